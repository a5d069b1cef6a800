#!/usr/bin/env python3
"""Seeded synthetic collaboration graph with articulation points, for the
departure row of tests/bench/run.sh: exactly PEOPLE people in 4 sectors and
exactly TIES distinct directed ties, in the formats of gengraph.py
(people.csv, records.csv, graph.txt; ids g0000001.., every person with a
tie).

gengraph.py's graphs (teams of 25, ties mostly within the team, 15 %
across sectors) have no articulation point at 10 ties a person, so that
the departure plugin would have nothing to cut. Here, on the same plan:
  - 15 % of people are peripheral: exactly one tie, to a core person of
    their own team (70 %) or of another sector (30 %): their contact cuts
    them off from everyone when leaving;
  - 10 % of teams are satellites: every tie between a member and anyone
    outside the team goes through the team's first member (its lead), who
    so holds the team's whole boundary;
  - the other ties as gengraph.py: to the same team with probability 0.6,
    the same sector 0.25, another sector 0.15, among core people.
Everything comes from random.Random(seed): the same flags give
byte-identical files.
"""
import argparse
import random
import sys

from gengraph import SECTORS, write_graph  # same formats, same sectors

SHARES = [0.4, 0.3, 0.2, 0.1]
TEAM = 25


def layout(n):
    """sector[v], team[v], the teams' members, the sectors' members."""
    sector, team, teams, members = [], [], [], {s: [] for s in range(4)}
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
    return sector, team, teams, members


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--people", type=int, required=True)
    ap.add_argument("--ties", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("outdir")
    a = ap.parse_args()
    n, m = a.people, a.ties
    if n < 100 or m < n or m > n * (n - 1) // 8:
        sys.exit("gencut.py: need 100 <= people <= ties <= people*(people-1)/8")
    rnd = random.Random(f"spand-bench-cut/{a.seed}/{n}/{m}")
    sector, team, teams, members = layout(n)
    satellite = {t for t in range(len(teams)) if rnd.random() < 0.10}
    peripheral = [rnd.random() < 0.15 and teams[team[v]][0] != v
                  for v in range(n)]
    core = {s: [v for v in members[s] if not peripheral[v]]
            for s in range(4)}
    core_team = [[v for v in tm if not peripheral[v]] for tm in teams]
    senders = [v for v in range(n) if not peripheral[v]]

    ties, order = set(), []

    def add(u, v):
        if u != v and (u, v) not in ties:
            ties.add((u, v))
            order.append((u, v))
            return True
        return False

    def lead(v):
        return teams[team[v]][0]

    def target(u):
        r = rnd.random()
        if r < 0.6 and len(core_team[team[u]]) > 1:
            pool = core_team[team[u]]
        elif r < 0.85 and len(core[sector[u]]) > 1:
            pool = core[sector[u]]
        else:
            pool = core[rnd.choice([s for s in range(4)
                                    if s != sector[u] and core[s]])]
        return pool[rnd.randrange(len(pool))]

    def core_tie(u):
        v = target(u)
        if team[u] != team[v]:  # satellites reach out through their lead
            if team[u] in satellite:
                u = lead(u)
            if team[v] in satellite:
                v = lead(v)
        return add(u, v) if rnd.random() < 0.5 else add(v, u)

    for v in range(n):
        if peripheral[v]:
            if rnd.random() < 0.7 and len(core_team[team[v]]) > 0:
                pool = core_team[team[v]]
            else:
                pool = core[rnd.choice([s for s in range(4)
                                        if s != sector[v] and core[s]])]
            w = pool[rnd.randrange(len(pool))]
            if team[w] in satellite and team[w] != team[v]:
                w = lead(w)
            add(v, w) if rnd.random() < 0.5 else add(w, v)
        else:
            tries = 0
            while not core_tie(v) and tries < 100:
                tries += 1
    while len(order) < m:
        core_tie(senders[rnd.randrange(len(senders))])

    write_graph(a.outdir, n, sector, order)


if __name__ == "__main__":
    main()
