#!/usr/bin/env python3
"""Seeded synthetic collaboration graph for the plugin benchmarks of
tests/bench/run.sh: exactly PEOPLE people in 4 sectors and exactly TIES
distinct directed ties (no self-ties), written both as spand input and as
an integer edge list for the peers (R sna, networkx, python-igraph).

Structure, so that the measures have something to find: people sit in
teams of about 25 inside their sector (sector sizes 40/30/20/10 %); a tie
goes to someone in the same team with probability 0.6, elsewhere in the
same sector with 0.25, and across sectors with 0.15. Senders are drawn
with a mildly skewed activity (a few people are busier than the rest, but
there are no giant hubs). Everything comes from random.Random(seed), so the
same flags give byte-identical files.

Writes into OUTDIR:
  people.csv    id,sector           (ids g0000001.. sort in index order)
  records.csv   id,ts,from,to,kind,weight,directed   one directed record a tie
  graph.txt     line 1: N; line 2: the N sectors of vertices 0..N-1;
                then one "from to" line per tie, 0-based vertex numbers
Every person has at least one tie (each is the sender of its first one when
TIES >= PEOPLE), so spand's view (without isolates) holds all N people in
the same order as graph.txt.
"""
import argparse
import bisect
import os
import random
import sys

SECTORS = ["adults", "children", "nhs", "voluntary"]
SHARES = [0.4, 0.3, 0.2, 0.1]
TEAM = 25


def write_graph(outdir, n, sector, order):
    """Write people.csv, records.csv and graph.txt of n people with sector
    numbers `sector` and the directed ties `order` (pairs of vertex
    numbers) into outdir: the formats run.sh and peers.py read. gencut.py
    writes its graphs with this too."""
    os.makedirs(outdir, exist_ok=True)
    ids = [f"g{v + 1:07d}" for v in range(n)]
    with open(os.path.join(outdir, "people.csv"), "w") as f:
        f.write("id,sector\n")
        for v in range(n):
            f.write(f"{ids[v]},{SECTORS[sector[v]]}\n")
    base = 1704096000  # 2024-01-01T08:00:00Z
    with open(os.path.join(outdir, "records.csv"), "w") as f:
        f.write("id,ts,from,to,kind,weight,directed\n")
        for k, (u, v) in enumerate(order):
            f.write(f"t{k + 1:08d},{base + (k * 997) % 31000000},"
                    f"{ids[u]},{ids[v]},advice,1,true\n")
    with open(os.path.join(outdir, "graph.txt"), "w") as f:
        f.write(f"{n}\n")
        f.write(" ".join(SECTORS[s] for s in sector) + "\n")
        for (u, v) in order:
            f.write(f"{u} {v}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--people", type=int, required=True)
    ap.add_argument("--ties", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("outdir")
    a = ap.parse_args()
    n, m = a.people, a.ties
    if n < 8 or m < n or m > n * (n - 1) // 4:
        sys.exit("gengraph.py: need 8 <= people <= ties <= people*(people-1)/4")
    rnd = random.Random(f"spand-bench-graph/{a.seed}/{n}/{m}")

    # Sectors in contiguous blocks, teams inside them.
    sector, team = [], []
    members, teams = {s: [] for s in range(4)}, []
    start = 0
    for s in range(4):
        size = round(n * SHARES[s]) if s < 3 else n - start
        for k in range(size):
            v = start + k
            sector.append(s)
            if k % TEAM == 0:
                teams.append([])
            teams[-1].append(v)
            team.append(len(teams) - 1)
            members[s].append(v)
        start += size
    activity = [rnd.paretovariate(2.5) for _ in range(n)]
    cum, acc = [], 0.0
    for x in activity:
        acc += x
        cum.append(acc)

    ties, order = set(), []

    def add(u, v):
        if u != v and (u, v) not in ties:
            ties.add((u, v))
            order.append((u, v))
            return True
        return False

    def target(u):
        r = rnd.random()
        if r < 0.6 and len(teams[team[u]]) > 1:
            pool = teams[team[u]]
        elif r < 0.85 and len(members[sector[u]]) > 1:
            pool = members[sector[u]]
        else:
            others = [s for s in range(4) if s != sector[u] and members[s]]
            pool = members[rnd.choice(others)]
        return pool[rnd.randrange(len(pool))]

    for u in range(n):                  # everyone has a tie
        while not add(u, target(u)):
            pass
    while len(order) < m:
        u = bisect.bisect_left(cum, rnd.random() * acc)
        add(min(u, n - 1), target(min(u, n - 1)))

    write_graph(a.outdir, n, sector, order)


if __name__ == "__main__":
    main()
