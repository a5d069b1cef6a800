"""Two windows of one network for run.sh's qap row: N people in four
groups; a baseline of random ties at the given mean degree, and a main
window keeping half of them plus as many new ones, so that the windows
are related (a QAP p near 0) as a programme's two years would be.

Usage: gen_change.py N DEGREE SEED OUTDIR
Writes OUTDIR/people.csv and records.csv (for spand: baseline ties dated
2024-06-01, main-window ties 2025-06-01, undirected) and graph.txt (for
R: line 1 N; then "b i j" or "a i j", 1-based, each tie once)."""
import csv
import os
import random
import sys

n, degree, seed, out = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rnd = random.Random(seed)
os.makedirs(out, exist_ok=True)
ids = [f"p{k:05d}" for k in range(n)]
m = int(n * degree / 2)
before = set()
while len(before) < m:
    i, j = rnd.sample(range(n), 2)
    before.add((min(i, j), max(i, j)))
after = {e for e in before if rnd.random() < 0.5}
while len(after) < m:
    i, j = rnd.sample(range(n), 2)
    after.add((min(i, j), max(i, j)))
with open(os.path.join(out, "people.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "sector"])
    for k, p in enumerate(ids):
        w.writerow([p, f"g{k % 4}"])
with open(os.path.join(out, "records.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["ts", "from", "to", "kind", "directed"])
    for ts, ties in (("2024-06-01", before), ("2025-06-01", after)):
        for i, j in sorted(ties):
            w.writerow([ts, ids[i], ids[j], "advice", "false"])
# R numbers people 1..n in id order, as spand's U (everyone has a tie in
# one window or the other at these degrees; the row checks it).
with open(os.path.join(out, "graph.txt"), "w") as f:
    f.write(f"{n}\n")
    for tag, ties in (("b", before), ("a", after)):
        for i, j in sorted(ties):
            f.write(f"{tag} {i + 1} {j + 1}\n")
