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
  done
done
echo "outputs in $dir (delete when done)"
