#!/usr/bin/env bash
# Network model classifier end to end through the command line: data reproduced byte for byte,
# training targets, metrics against an awk reimplementation and against LIBLINEAR, Table 1,
# stability selection, the history cache, confirm/override/retrain, plots and every bad input.
# Needs no namespaces and no root; uses liblinear-tools and jq.
source "$(dirname "$0")/../lib.sh"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$REPO" || exit 1

PAPER_ACCURACY=0.94701
S=$WORK/state
m() { "$CBPFNET" --state "$S" "$@"; }
mj() { "$CBPFNET" --state "$S" --json "$@"; }

# check_ge DESC A B: A >= B as numbers.
check_ge() {
	if awk -v a="$2" -v b="$3" 'BEGIN { exit !(a >= b) }'; then ok "$1 ($2 >= $3)"; else
		not_ok "$1: $2 < $3"
	fi
}
# check_near DESC A B TOL: |A - B| <= TOL.
check_near() {
	if awk -v a="$2" -v b="$3" -v t="$4" 'BEGIN { d = a - b; exit !(d <= t && -d <= t) }'; then
		ok "$1 ($2 vs $3)"
	else not_ok "$1: $2 and $3 differ by more than $4"; fi
}
# check_err DESC TEXT CMD...: CMD fails and says TEXT on stderr.
check_err() {
	local desc=$1 text=$2 err
	shift 2
	if err=$("$@" 2>&1 >/dev/null); then not_ok "$desc (succeeded)"; else
		check_contains "$desc" "$text" "$err"
	fi
}

# --- data ---------------------------------------------------------------------------------
check "model gen writes train and test sets" \
	m model gen --seed 2019 --train "$WORK/train.csv" --test "$WORK/test.csv"
check "regenerated training set is byte-identical to model/train.csv" \
	cmp "$WORK/train.csv" model/train.csv
check "regenerated test set is byte-identical to model/test.csv" cmp "$WORK/test.csv" model/test.csv
check_eq "2000 training samples and a header" 2001 "$(wc -l <model/train.csv)"
check_eq "300 test samples and a header" 301 "$(wc -l <model/test.csv)"
check_eq "no test vector appears in the training set" 0 \
	"$(awk -F, 'NR == FNR { seen[$1 FS $2 FS $3 FS $4]; next } FNR > 1 && ($1 FS $2 FS $3 FS $4) in seen' \
		model/train.csv model/test.csv | wc -l)"
gen=$(mj model gen)
bayes=$(jq .bayes.accuracy <<<"$gen")
check_near "the generator's Bayes accuracy is the paper's accuracy" "$bayes" "$PAPER_ACCURACY" 0.0005
check_eq "gen reports the paper's Table 1 with the rule's verdicts" 8 "$(jq '.table1 | length' <<<"$gen")"

# --- training and the targets ---------------------------------------------------------------
tr=$(mj model train --train model/train.csv --test model/test.csv --out "$WORK/m.json")
acc=$(jq .test.accuracy <<<"$tr")
check_ge "test accuracy within 0.5 points of the Bayes accuracy" "$acc" "$(awk -v b="$bayes" 'BEGIN { print b - 0.005 }')"
check_ge "test accuracy reaches the paper's Table 3" "$acc" "$PAPER_ACCURACY"
check_ge "test AUC" "$(jq .test.auc <<<"$tr")" 0.98
check_eq "model/model.json holds the weights training on the committed data gives" \
	"$(jq -c '[.weights, .bias, .scaling]' "$WORK/m.json")" \
	"$(jq -c '[.weights, .bias, .scaling]' model/model.json)"
pop=$(mj model eval --model "$WORK/m.json" --population)
check_near "expected accuracy over the generator is the Bayes accuracy" \
	"$(jq .population.accuracy <<<"$pop")" "$bayes" 0.005

# --- metrics, recomputed in awk from the scores ---------------------------------------------
ev=$(mj model eval --model "$WORK/m.json" --data model/test.csv --scores "$WORK/scores.csv")
ref=$(awk -F, 'NR > 1 {
	n++; y[n] = $1; s[n] = $2; p = $2 > 0.5
	tp += y[n] && p; fp += !y[n] && p; fn += y[n] && !p; tn += !y[n] && !p
} END {
	for (i = 1; i <= n; i++) if (y[i]) for (j = 1; j <= n; j++) if (!y[j]) {
		pairs++; win += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0
	}
	pr = tp / (tp + fp); rc = tp / (tp + fn)
	printf "%.12f %.12f %.12f %.12f %.12f\n", (tp + tn) / n, pr, rc, 2 * pr * rc / (pr + rc), win / pairs
}' "$WORK/scores.csv")
read -r r_acc r_pre r_rec r_f1 r_auc <<<"$ref"
check_near "accuracy matches the awk reference" "$(jq .metrics.accuracy <<<"$ev")" "$r_acc" 1e-9
check_near "precision matches the awk reference" "$(jq .metrics.precision <<<"$ev")" "$r_pre" 1e-9
check_near "recall matches the awk reference" "$(jq .metrics.recall <<<"$ev")" "$r_rec" 1e-9
check_near "F1 matches the awk reference" "$(jq .metrics.f1 <<<"$ev")" "$r_f1" 1e-9
check_near "AUC matches the awk pair count" "$(jq .metrics.auc <<<"$ev")" "$r_auc" 1e-9
check_eq "the confusion matrix adds up to the test set" 300 \
	"$(jq '.metrics.confusion | .tp + .fp + .tn + .fn' <<<"$ev")"

# --- LIBLINEAR on the same split and the same standardization -------------------------------
awk -F, 'NR > 1 { for (j = 1; j <= 4; j++) { s[j] += $j; q[j] += $j * $j } n++ }
	END { for (j = 1; j <= 4; j++) { mu = s[j] / n; printf "%.17g %.17g\n", mu, sqrt(q[j] / n - mu * mu) } }' \
	model/train.csv >"$WORK/scale.txt"
to_svm() {
	awk 'NR == FNR { mu[NR] = $1; sd[NR] = $2; next }
		FNR > 1 { split($0, f, ","); printf "%d", f[5]
			for (j = 1; j <= 4; j++) printf " %d:%.17g", j, (f[j] - mu[j]) / sd[j]; print "" }' \
		"$WORK/scale.txt" "$1"
}
to_svm model/train.csv >"$WORK/train.svm"
to_svm model/test.csv >"$WORK/test.svm"
# C = 1/lambda: LIBLINEAR minimizes |w|^2/2 + C sum(loss), cbpfnet sum(loss) + lambda |w|^2/2.
lambda=$(jq .training.lambda "$WORK/m.json")
check "liblinear-train fits the same problem" liblinear-train -q -s 0 -e 0.0001 -B 1 \
	-c "$(awk -v l="$lambda" 'BEGIN { print 1 / l }')" "$WORK/train.svm" "$WORK/ll.model"
ll=$(liblinear-predict -b 1 "$WORK/test.svm" "$WORK/ll.model" "$WORK/ll.out" | sed -n 's/Accuracy = \([0-9.]*\)%.*/\1/p')
check_near "LIBLINEAR's test accuracy agrees within 0.5 points" "$(awk -v a="$ll" 'BEGIN { print a / 100 }')" "$acc" 0.005
# ll.out: predicted label, P(0), P(1); scores.csv: label, beta.
read -r same diff < <(paste -d' ' <(tail -n +2 "$WORK/ll.out") <(tail -n +2 "$WORK/scores.csv" | tr , ' ') |
	awk '{ agree += ($1 == 1) == ($5 > 0.5); d = $3 - $5; d = d < 0 ? -d : d; if (d > max) max = d }
		END { print agree, max }')
check_ge "LIBLINEAR and cbpfnet predict the same model for 99% of test samples" "$same" 297
check_near "LIBLINEAR's P(macvlan) is within 0.01 of cbpfnet's everywhere" "$diff" 0 0.01

# --- Table 1 through the command line -------------------------------------------------------
predict() {
	mj model predict --model model/model.json --security "$1" --scale "$2" --efficiency "$3" \
		--extensibility "$4"
}
check_eq "6,0,7,2 -> overlay, as the rule and the paper say" overlay "$(predict 6 0 7 2 | jq -r .choice)"
check_eq "2,8,9,5 -> macvlan, as the rule and the paper say" macvlan "$(predict 2 8 9 5 | jq -r .choice)"
check_eq "1,3,4,7 -> overlay, as the rule and the paper say" overlay "$(predict 1 3 4 7 | jq -r .choice)"
check_eq "1,8,5,4 -> macvlan, as the rule and the paper say" macvlan "$(predict 1 8 5 4 | jq -r .choice)"
check_eq "4,4,6,10 -> overlay, as the rule says (the paper's 1 is its noise)" overlay \
	"$(predict 4 4 6 10 | jq -r .choice)"
check_near "5,4,10,7, labelled both ways by the paper, sits on the boundary" \
	"$(predict 5 4 10 7 | jq .beta)" 0.5 0.1
p=$(predict 2 8 9 5)
check_near "alpha + beta = 1" "$(jq '.alpha + .beta' <<<"$p")" 1 1e-12
check_near "the explanation sums to the log-odds" \
	"$(jq '.explanation | .security + .scale + .efficiency + .extensibility + .bias' <<<"$p")" \
	"$(jq '(.beta / .alpha) | log' <<<"$p")" 1e-6
check "text output explains each feature" grep -qE '^  efficiency +9 +\+[0-9.]+ +toward macvlan$' \
	<(m model predict --model model/model.json --require "security=2,scale=8,efficiency=9,extensibility=5")

# --- stability selection --------------------------------------------------------------------
sc=$(mj model screen --train model/train.csv --C 0.4 --resamples 100)
check_ge "screen: security always kept" "$(jq '.path[0].security' <<<"$sc")" 0.95
check_ge "screen: efficiency always kept" "$(jq '.path[0].efficiency' <<<"$sc")" 0.95
check_near "screen: scale kept about half the time (paper 0.46)" "$(jq '.path[0].scale' <<<"$sc")" 0.5 0.2
check_near "screen: extensibility kept about half the time (paper 0.49)" \
	"$(jq '.path[0].extensibility' <<<"$sc")" 0.5 0.2

# --- history cache, confirm, override, retrain ----------------------------------------------
web=security=2,scale=8,efficiency=9,extensibility=5
check "decide web records a decision" m model decide web --require "$web"
check_contains "the same requirements are answered from the history cache" \
	"answered from the history cache" "$(m model decide web2 --require "$web")"
check_eq "--json says cached" true "$(mj model decide web3 --require "$web" | jq .cached)"
check_eq "a hard constraint bypasses the cache" "constraint false" \
	"$(mj model decide web4 --require "$web" --same-l2 no | jq -r '"\(.source) \(.cached)"')"
check_contains "confirm labels the decision" "confirmed macvlan" "$(m model confirm web)"
check_contains "override relabels a decision" "overridden to overlay" "$(m model override web3 overlay)"
check_err "a constraint decision cannot be confirmed" "made by a hard constraint" m model confirm web4
check_err "confirm of an unknown network" "no decision recorded for network nope" m model confirm nope
check_eq "history lists four decisions" 4 "$(mj model history | jq length)"
cp model/model.json "$WORK/in-use.json"
rt=$(m model retrain --model "$WORK/in-use.json")
check_contains "retrain uses the two labelled decisions" "plus 2 labelled decisions" "$rt"
check_contains "retrain keeps the new model when it scores no worse" "kept the new model: version 2" "$rt"
check_eq "the new model is in use" 2 "$(jq .version "$WORK/in-use.json")"
check_eq "it counts its confirmed samples" 2 "$(jq .training.confirmed_samples "$WORK/in-use.json")"

# --- the history.db of earlier versions moves into the store once ---------------------------
I=$WORK/imported-state
mkdir -p "$I"
old_history_db "$I/history.db" "(5, 'old-web', 2, 8, 9, 5, 0.6, 0.4, 0, 'classifier', 'r', 1,
	'2026-01-01T00:00:00Z', 1, '2026-01-02T00:00:00Z'),
	(6, 'old-db', 9, 1, 1, 1, 0.9, 0.1, 0, 'classifier', 'r', 1, '2026-01-01T00:00:00Z', NULL, NULL)"
check_eq "the imported decisions are listed with their ids and labels" "5 old-web macvlan,6 old-db null" \
	"$("$CBPFNET" --state "$I" --json model history | jq -r 'map("\(.decision) \(.network) \(.label)") | join(",")')"
check_eq "the imported, labelled decision answers the cache" "true 5 macvlan" \
	"$("$CBPFNET" --state "$I" --json model decide new-web --require "$web" |
		jq -r '"\(.cached) \(.cached_from) \(.choice)"')"
check_eq "a second run imports nothing again: 3 decisions" 3 \
	"$("$CBPFNET" --state "$I" --json model history | jq length)"
check_eq "one database file is left, history.db renamed aside" "cbpfnet.db history.db.imported" \
	"$(cd "$I" && echo *.db *.imported)"

# --- a damaged history.db or store: a clear error and exit status 1, never an abort -----------
# check_exit1 DESC TEXT CMD...: CMD exits with status 1 (not a signal) and says TEXT on stderr.
check_exit1() {
	local desc=$1 text=$2 err rc
	shift 2
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -ne 1 ]; then not_ok "$desc: exit status $rc, expected 1 ($err)"; else
		check_contains "$desc" "$text" "$err"
	fi
}
C=$WORK/corrupt-state
mkdir -p "$C"
head -c 8192 /dev/urandom >"$C/history.db"
for args in "history" "history web" "confirm web" "override web overlay" \
	"decide web --require $web" "retrain --model $WORK/in-use.json"; do
	# shellcheck disable=SC2086
	check_exit1 "model $args on a history.db of random bytes to import fails cleanly" \
		"history database $C/history.db: reading schema version: file is not a database" \
		"$CBPFNET" --state "$C" model $args
done
check "and the history.db is still there, not imported" test -f "$C/history.db"
rm -f "$C"/*
rows="(1, 'a', 1, 1, 1, 1, 0.5, 0.5, 0, 'classifier', '', 1, '', NULL, NULL)"
for i in $(seq 2 200); do rows+=", ($i, 'a$i', 1, 1, 1, 1, 0.5, 0.5, 0, 'classifier', '', 1, '', NULL, NULL)"; done
old_history_db "$C/history.db" "$rows"
# Page 2 holds the decisions table: zeroing it leaves a valid header over a broken tree.
dd if=/dev/zero of="$C/history.db" bs=4096 seek=1 count=1 conv=notrunc status=none
check_exit1 "model history on a history.db with a zeroed table page fails cleanly" \
	"history database $C/history.db: reading history: database disk image is malformed" \
	"$CBPFNET" --state "$C" model history
rm -f "$C"/*
head -c 8192 /dev/urandom >"$C/cbpfnet.db"
check_exit1 "model history on a store of random bytes fails cleanly" \
	"state database $C/cbpfnet.db: open: file is not a database" \
	"$CBPFNET" --state "$C" model history

S=$WORK/state2
for i in $(seq 1 40); do
	m model decide "bad$i" --require security=2,scale=5,efficiency=7,extensibility=5 >/dev/null &&
		m model override "bad$i" overlay >/dev/null
done
before=$(sha256sum <"$WORK/in-use.json")
rt=$(m model retrain --model "$WORK/in-use.json")
check_contains "retrain on 40 wrong overrides keeps the old model" \
	"kept the old model: the new one scores worse on the test set" "$rt"
check_eq "and leaves the model in use untouched" "$before" "$(sha256sum <"$WORK/in-use.json")"
check_eq "retrain --json says which" old "$(mj model retrain --model "$WORK/in-use.json" | jq -r .kept)"

S=$WORK/state3
mkdir -p "$S"
check_contains "retrain without --model starts from the shipped model, writes the state's" \
	"written to $S/model.json" "$(m model retrain)"
check_eq "a trained model in the state directory is the model in use" "$S/model.json" \
	"$(mj model eval | jq -r .model)"

# --- plots ----------------------------------------------------------------------------------
check "eval draws a ROC curve and a reliability diagram" m model eval --model model/model.json \
	--roc "$WORK/roc.png" --calibration "$WORK/cal.png" --population
check_eq "the ROC curve is a PNG" "PNG" "$(head -c 4 "$WORK/roc.png" | tail -c 3)"
check_eq "the reliability diagram is a PNG" "PNG" "$(head -c 4 "$WORK/cal.png" | tail -c 3)"

# --- bad input: a clear error, exit != 0, the model in use unchanged -------------------------
S=$WORK/state3
before=$(sha256sum <"$S/model.json")
check_err "weight above 10" "--security: '11' is not an integer weight 0..10" \
	m model predict --security 11 --scale 1 --efficiency 1 --extensibility 1
check_err "negative weight" "--scale: '-1' is not an integer weight 0..10" \
	m model predict --security 1 --scale -1 --efficiency 1 --extensibility 1
check_err "missing requirement" "requirement --extensibility missing" \
	m model predict --security 1 --scale 1 --efficiency 1
check_err "missing requirement in --require" "requirement efficiency missing" \
	m model decide x --require security=1,scale=1,extensibility=1
check_err "weight outside 0..10 in --require" "efficiency: '42' is not an integer weight" \
	m model decide x --require security=1,scale=1,efficiency=42,extensibility=1
check_err "decide without --require" "--require security=S,scale=N,efficiency=E,extensibility=X is missing" \
	m model decide x
printf 'security,scale,efficiency,extensibility,label\n1,2,3,4,0\n1,2,3\n' >"$WORK/bad.csv"
check_err "malformed CSV line names file and line" "$WORK/bad.csv:3: expected 5 fields, got 3" \
	m model eval --data "$WORK/bad.csv"
check_err "training on a malformed CSV" "$WORK/bad.csv:3: expected 5 fields, got 3" \
	m model train --train "$WORK/bad.csv" --test model/test.csv
check_err "retraining on a malformed CSV" "$WORK/bad.csv:3:" m model retrain --train "$WORK/bad.csv"
check_eq "the model in use is unchanged after the failed train and retrain" "$before" \
	"$(sha256sum <"$S/model.json")"
printf '{"format": "cbpfnet-model", "format_version": 1, "version": 1' >"$WORK/corrupt.json"
check_err "corrupt model JSON" "$WORK/corrupt.json: not valid JSON (truncated)" \
	m model predict --model "$WORK/corrupt.json" --require "$web"
jq '.format_version = 2' model/model.json >"$WORK/v2.json"
check_err "wrong model format version" "model format version 2 is not supported (this cbpfnet reads 1)" \
	m model eval --model "$WORK/v2.json"
cp "$WORK/corrupt.json" "$WORK/c2.json"
check_err "train refuses to replace a corrupt file it cannot read" "not replacing $WORK/c2.json" \
	m model train --out "$WORK/c2.json"
check_eq "which stays as it was" "$(cat "$WORK/corrupt.json")" "$(cat "$WORK/c2.json")"
cp "$WORK/corrupt.json" "$S/model.json"
check_err "a corrupt model in use stops retrain" "$S/model.json: not valid JSON" m model retrain
check_err "and stops a decision" "$S/model.json: not valid JSON" m model decide y --require "$web"
check_eq "nothing replaced the corrupt model in use" "$(cat "$WORK/corrupt.json")" "$(cat "$S/model.json")"
check_err "a penalty of zero" "lambda must be > 0, got 0" m model retrain --lambda 0 --model "$WORK/in-use.json"
check_err "override to an unknown model" "'vxlan' is not overlay or macvlan" m model override web vxlan
check_err "an unknown option" "model predict: unknown option '--speed'" m model predict --speed 3
check_err "an unknown subcommand" "model: unknown subcommand 'fit'" m model fit

# --- --json: one document per command -------------------------------------------------------
S=$WORK/state
for args in "gen" "eval --model model/model.json" "screen --C 0.4 --resamples 20" \
	"predict --model model/model.json --require $web" "history" "history web"; do
	# shellcheck disable=SC2086
	check_eq "model $args --json prints one JSON document" 1 "$(mj model $args | jq -s length)"
done

lib_finish
