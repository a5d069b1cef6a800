#!/bin/bash
# bb_kernels.sh [GRAPH-DIR] [SOURCES] [plugin]: build bb_kernels.c and run it on a
# bench graph (people.csv, records.csv as tests/bench/gengraph.py writes
# them; default the 20k / 200k graph `run.sh --only bb_speed` caches).
# An experiment: see bb_kernels.c and doc/performance.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
graph=${1:-$top/bench-cache/graph-p20000-t200000-seed1}
sources=${2:-304}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -std=gnu11 -I"$top/include" -o "$work/bb_kernels" \
    "$here/bb_kernels.c" $(pkg-config --cflags --libs igraph) -lm -pthread
/usr/bin/python3 - "$graph" >"$work/graph.txt" <<'PY'
import csv, sys
d = sys.argv[1]
ids, groups, gid = {}, [], {}
for r in csv.DictReader(open(f"{d}/people.csv")):
    ids[r["id"]] = len(ids)
    groups.append(gid.setdefault(r["sector"], len(gid)))
pairs = []
for r in csv.DictReader(open(f"{d}/records.csv")):
    for x in (r["from"], r["to"]):
        if x not in ids:
            ids[x] = len(ids)
            groups.append(-1)
    pairs.append(f"{ids[r['from']]} {ids[r['to']]}")
print(len(ids), len(pairs))
print(" ".join(map(str, groups)))
print("\n".join(pairs))
PY
"$work/bb_kernels" "$sources" ${3:+"$3"} <"$work/graph.txt"
