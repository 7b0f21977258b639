#!/bin/bash
# One core against two threads, by hand, into fresh folders (nothing is
# deleted between runs: on ext4 without a journal, files created within
# minutes of a mass deletion cost several times the system time).
#   benches/two_threads.sh CORPUS REPS "FLAGS" BIN...
# Prints wall / user / system seconds of `taskset -c 0 BIN run --jobs 1` and
# `BIN run --jobs 2` for each BIN in turn, and their ratio; the outputs are
# left in a folder it names, to delete later.
set -u
corpus=$1; reps=$2; flags=$3; shift 3
dir=$(mktemp -d "${TMPDIR:-/tmp}/two_threads.XXXX")
for i in $(seq "$reps"); do
  for bin in "$@"; do
    name=$(basename "$bin")
    # shellcheck disable=SC2086
    one=$( { /usr/bin/time -f "%e %U %S" taskset -c 0 "$bin" run "$corpus" --out "$dir/$name-1c-$i" --jobs 1 -q $flags 2>&1 >/dev/null; } | tail -1)
    # shellcheck disable=SC2086
    two=$( { /usr/bin/time -f "%e %U %S" "$bin" run "$corpus" --out "$dir/$name-j2-$i" --jobs 2 -q $flags 2>&1 >/dev/null; } | tail -1)
    ratio=$(awk -v a="${one%% *}" -v b="${two%% *}" 'BEGIN { printf "%.2f", a / b }')
    echo "$name run $i: one core [$one] jobs 2 [$two] ratio $ratio"
    echo "$name ${one%% *} ${two%% *}" >> "$dir/walls"
  done
done
# Best of the runs on each side (the least disturbed by other load on a
# shared machine) and the medians.
for bin in "$@"; do
  name=$(basename "$bin")
  awk -v n="$name" '$1 == n { o[++k] = $2; t[k] = $3 }
    END {
      if (k == 0) exit
      # insertion sorts, k is small
      for (i = 2; i <= k; i++) { x = o[i]; j = i - 1; while (j > 0 && o[j] > x) { o[j+1] = o[j]; j-- } o[j+1] = x }
      for (i = 2; i <= k; i++) { x = t[i]; j = i - 1; while (j > 0 && t[j] > x) { t[j+1] = t[j]; j-- } t[j+1] = x }
      mo = (k % 2) ? o[(k+1)/2] : (o[k/2] + o[k/2+1]) / 2
      mt = (k % 2) ? t[(k+1)/2] : (t[k/2] + t[k/2+1]) / 2
      printf "%s over %d runs: best one core %.2f s, jobs 2 %.2f s, ratio %.2f; medians %.2f s, %.2f s, ratio %.2f\n", n, k, o[1], t[1], o[1] / t[1], mo, mt, mo / mt
    }' "$dir/walls"
done
echo "outputs in $dir (delete when done)"
