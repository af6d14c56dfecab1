#!/usr/bin/env bash
# Plots docs/macvlan_churn.dat (from bench/macvlan_churn.sh) to docs/macvlan_churn.png: time per
# endpoint against the number of endpoints, create and delete, namespace work included
# (create_total, delete_total): the CNI plugin and `cbpfnet ep add/del` at one process per
# endpoint, `cbpfnet ep apply` at one process per batch; the 5 ms target as a line; log scale,
# since the batch sits two orders of magnitude below.
#
#   bench/macvlan_plot.sh [DAT] [PNG]
cd "$(dirname "$0")/.."
dat=${1:-docs/macvlan_churn.dat}
png=${2:-docs/macvlan_churn.png}
gnuplot <<PLOT
set terminal pngcairo size 900,640 noenhanced
set output "$png"
set title "macvlan endpoint churn: ms per endpoint, namespace included"
set xlabel "endpoints created, then deleted"
set ylabel "ms per endpoint (log scale)"
set logscale y
set yrange [0.5:400]
set key outside below
set grid
plot "< grep '^cni' $dat" using 2:13 with linespoints lw 2 dt 2 lc 1 title "CNI macvlan: netns add + ADD", \
     "< grep '^cni' $dat" using 2:14 with linespoints lw 2 dt 2 lc 2 title "CNI macvlan: DEL + netns del", \
     "< grep '^cbpfnet' $dat" using 2:13 with linespoints lw 2 dt 4 lc 1 title "cbpfnet ep add (process per endpoint)", \
     "< grep '^cbpfnet' $dat" using 2:14 with linespoints lw 2 dt 4 lc 2 title "cbpfnet ep del (process per endpoint)", \
     "< grep '^batch' $dat" using 2:13 with linespoints lw 3 lc 1 title "cbpfnet ep apply: adds (wall / N)", \
     "< grep '^batch' $dat" using 2:14 with linespoints lw 3 lc 2 title "cbpfnet ep apply: deletes (wall / N)", \
     5 with lines lw 1 lc rgb "black" dt 3 title "5 ms target"
PLOT
