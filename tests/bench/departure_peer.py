#!/usr/bin/python3
"""The networkx peer of the departure row of tests/bench/run.sh: each
person removed in turn from the undirected collapse, and the connected
pairs (across groups, and in all) counted again; compared with spand's
departure result.

    departure_peer.py GRAPH [--sample K] [--seed S] [--spand RESULT.json]

GRAPH is a directory written by gengraph.py (graph.txt: N, the sectors of
vertices 0..N-1, then one "from to" arc a line; vertex v is person
g{v+1:07d}). Without --sample every person is removed (the definition in
full); with --sample K only K people drawn with random.Random(S), and the
time per person is extrapolated to all N (the output says so). The time
is wall-clock seconds of the loop alone (time.perf_counter()), after the
graph is built, as spand's side is the analyse of a built view.

Prints one JSON object: {"times": {"networkx_removal_loop": [s]},
"removed": K, "people": N, "per_person_s": ..., "extrapolated_s": ...,
"articulation_points": ..., "check": "...", "ok": true|false}; "ok" is
false when any compared person's cross_pairs_cut, pairs_cut or
cross_share (relative 1e-12) differs from spand's, or a compared person
is missing from spand's result.
"""
import argparse
import json
import random
import sys
import time

import networkx as nx


def read_graph(d):
    with open(f"{d}/graph.txt") as f:
        n = int(f.readline())
        sectors = f.readline().split()
        arcs = [tuple(map(int, line.split())) for line in f if line.strip()]
    return n, sectors, arcs


def connected_pairs(G, group):
    """(all, cross) unordered pairs of G joined by a path."""
    total = cross = 0
    for comp in nx.connected_components(G):
        by = {}
        for x in comp:
            by[group[x]] = by.get(group[x], 0) + 1
        c = len(comp)
        total += c * (c - 1) // 2
        cross += (c * c - sum(k * k for k in by.values())) // 2
    return total, cross


def removal_loop(G, group, people):
    """{v: (cross_pairs_cut, pairs_cut, cross_share)} by removing each v."""
    total, cross = connected_pairs(G, group)
    comp_of = {}
    for comp in nx.connected_components(G):
        for x in comp:
            comp_of[x] = comp
    out = {}
    for v in people:
        comp = comp_of[v]
        mine_all = len(comp) - 1
        mine_cross = sum(1 for y in comp if group[y] != group[v])
        nbrs = list(G[v])
        G.remove_node(v)
        after_all, after_cross = connected_pairs(G, group)
        G.add_node(v)
        G.add_edges_from((v, u) for u in nbrs)
        cut_cross = cross - mine_cross - after_cross
        denom = cross - mine_cross
        out[v] = (cut_cross, total - mine_all - after_all,
                  cut_cross / denom if denom else None)
    return out


def compare(res, got):
    t = res["tables"]["vertex"]
    names = [c["name"] for c in t["columns"]]
    ci = [names.index(c) for c in ("cross_pairs_cut", "pairs_cut",
                                   "cross_share")]
    spand = {int(r[0][1:]) - 1: tuple(r[i] for i in ci) for r in t["rows"]}
    bad = []
    for v, want in got.items():
        have = spand.get(v)
        if have is None or have[:2] != want[:2] or \
                (have[2] is None) != (want[2] is None) or \
                (want[2] is not None and
                 abs(have[2] - want[2]) > 1e-12 * max(1.0, abs(want[2]))):
            bad.append((v, have, want))
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("graph")
    ap.add_argument("--sample", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--spand")
    a = ap.parse_args()
    n, sectors, arcs = read_graph(a.graph)
    G = nx.Graph()
    G.add_nodes_from(range(n))
    G.add_edges_from(arcs)
    group = dict(enumerate(sectors))
    people = list(range(n))
    if a.sample and a.sample < n:
        people = sorted(random.Random(a.seed).sample(people, a.sample))
    t0 = time.perf_counter()
    got = removal_loop(G, group, people)
    took = time.perf_counter() - t0
    per = took / len(people)
    arts = len(set(nx.articulation_points(G)))
    out = {"times": {"networkx_removal_loop": [took]},
           "removed": len(people), "people": n, "per_person_s": per,
           "extrapolated_s": per * n, "articulation_points": arts}
    cutters = sum(1 for x in got.values() if x[1] > 0)
    what = (f"all {n} people" if len(people) == n else
            f"{len(people)} of {n} people (sample, seed {a.seed}), "
            f"time extrapolated per person")
    if a.spand:
        with open(a.spand) as f:
            bad = compare(json.load(f), got)
        out["ok"] = not bad
        out["check"] = (f"{what}: networkx removal loop and spand agree on "
                        f"every compared value ({cutters} of them cut "
                        f"pairs; networkx articulation_points {arts})"
                        if not bad else
                        f"{what}: {len(bad)} differ, e.g. {bad[:3]}")
    else:
        out["ok"] = True
        out["check"] = f"{what}: not compared"
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
