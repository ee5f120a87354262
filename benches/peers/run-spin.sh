#!/usr/bin/env bash
# Checks the Promela ports with SPIN (Debian package `spin`), depth-first
# and breadth-first, exhaustively, printing SPIN's own figures.
# Usage: benches/peers/run-spin.sh [file.pml …]  (default: every .pml here)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
files=("$@")
[ ${#files[@]} -eq 0 ] && files=("$here"/*.pml)
for f in "${files[@]}"; do
    cp "$f" "$work/model.pml"
    (cd "$work" && spin -a model.pml >/dev/null)
    for mode in DFS BFS; do
        flags="-O2 -DSAFETY -DNOREDUCE"
        [ "$mode" = BFS ] && flags="$flags -DBFS"
        (cd "$work" && gcc $flags -o pan pan.c)
        echo "== $(basename "$f") $mode"
        # -E: states where no event is enabled are not errors (the model
        # allows them); -m: DFS stack depth; -w: hash table of 2^w slots.
        (cd "$work" && /usr/bin/time -v ./pan -E -m1000000 -w24 2>&1) |
            grep -E "states, stored|transitions|memory usage for states|total actual memory|elapsed time|rate|Maximum resident|errors:"
    done
done
