#!/usr/bin/env bash
# Plots docs/macvlan_churn.dat (from bench/macvlan_churn.sh) to docs/macvlan_churn.png: mean time
# per endpoint against the number of endpoints, create and delete, cbpfnet and the CNI plugin.
#
#   bench/macvlan_plot.sh [DAT] [PNG]
cd "$(dirname "$0")/.."
dat=${1:-docs/macvlan_churn.dat}
png=${2:-docs/macvlan_churn.png}
gnuplot <<PLOT
set terminal pngcairo size 900,520 noenhanced
set output "$png"
set title "macvlan endpoint churn: mean wall time per endpoint (process start included)"
set xlabel "endpoints created, then deleted"
set ylabel "ms per endpoint"
set yrange [0:*]
set key top left
set grid
plot "< grep '^cbpfnet' $dat" using 2:3 with linespoints lw 2 title "cbpfnet ep add", \
     "< grep '^cbpfnet' $dat" using 2:5 with linespoints lw 2 title "cbpfnet ep del", \
     "< grep '^cni' $dat" using 2:3 with linespoints lw 2 dt 2 title "CNI macvlan ADD", \
     "< grep '^cni' $dat" using 2:5 with linespoints lw 2 dt 2 title "CNI macvlan DEL", \
     "< grep '^cbpfnet' $dat" using 2:11 with lines lw 1 dt 3 title "cbpfnet no-op (process start)"
PLOT
