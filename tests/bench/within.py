#!/usr/bin/python3
"""The peer of run.sh's `within` row (issue 10, "Scoped views"): python-igraph
computing the mixing plugin's per-site network row (modularity,
nominal assortativity, E-I index) on every site's induced subgraph.

    within.py DATA_DIR --spand MIXING_WITHIN.json [--reps N] [--attr site]

DATA_DIR holds contrib/spand-demo.py's people.csv, records.csv and
events.csv. The graph is built first, outside the timing, as the mixing
plugin sees the view: the undirected collapse (a pair joined by any record
or by a shared event is one edge, weight 1) of every tie between two
people of the same site (the `within` view drops ties across sites). The
timed part, run N times, is, for every site: the induced subgraph of its
people, Graph.modularity by sector, Graph.assortativity_nominal by sector
(undirected, normalised) and the E-I index (between-sector minus
within-sector edges over all edges).

spand's answer (`analyse mixing --within site`, saved by rpc.py --save) is
compared site by site: the scope list, each scope's collapsed edge count
(the sum of the pair table's `ties`), and modularity, assortativity and ei
to 1e-9. Prints one JSON object: times (seconds per run), sites, edges,
ok, check.
"""
import argparse
import csv
import json
import math
import os
import sys
import time

import igraph as ig


def build(d, attr):
    people = list(csv.DictReader(open(os.path.join(d, "people.csv"))))
    idx = {p["id"]: i for i, p in enumerate(people)}
    site = [p.get(attr) or "" for p in people]
    pairs = set()

    def tie(a, b):
        if a == b or site[a] == "" or site[a] != site[b]:
            return
        pairs.add((a, b) if a < b else (b, a))

    with open(os.path.join(d, "records.csv")) as f:
        for r in csv.DictReader(f):
            tie(idx[r["from"]], idx[r["to"]])
    ev = os.path.join(d, "events.csv")
    if os.path.exists(ev):
        with open(ev) as f:
            for e in csv.DictReader(f):
                ps = [idx[x] for x in e["participants"].split(";") if x in idx]
                for i in range(len(ps)):
                    for j in range(i + 1, len(ps)):
                        tie(ps[i], ps[j])
    g = ig.Graph(n=len(people), edges=sorted(pairs), directed=False)
    sectors = sorted({p["sector"] for p in people})
    g.vs["sector"] = [sectors.index(p["sector"]) for p in people]
    by_site = {}
    for i, s in enumerate(site):
        if s:
            by_site.setdefault(s, []).append(i)
    return g, by_site


def per_site(g, by_site):
    """The timed part: each site's network row."""
    out = {}
    for s, vs in by_site.items():
        sub = g.induced_subgraph(vs)
        mem = sub.vs["sector"]
        # only the sectors present, numbered 0.. (as the scope's groups)
        present = sorted(set(mem))
        mem = [present.index(m) for m in mem]
        m = sub.ecount()
        if m == 0:
            out[s] = (0, math.nan, math.nan, math.nan)
            continue
        q = sub.modularity(mem)
        r = sub.assortativity_nominal(mem, directed=False)
        ext = sum(1 for e in sub.es if mem[e.source] != mem[e.target])
        out[s] = (m, q, r, (ext - (m - ext)) / m)
    return out


def close(a, b):
    if a is None or b is None:
        return a is None and (b is None or math.isnan(b)) or \
            b is None and math.isnan(a)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def table(res, name):
    t = res["tables"][name]
    cols = [c["name"] for c in t["columns"]]
    return [dict(zip(cols, row)) for row in t["rows"]]


def check(spand_path, attr, ours):
    res = json.load(open(spand_path))
    net = {r[attr]: r for r in table(res, "network")}
    ties = {}
    for r in table(res, "pair"):
        ties[r[attr]] = ties.get(r[attr], 0) + r["ties"]
    bad = []
    # sites whose people have no tie inside the site are not scopes
    want = {s for s, v in ours.items() if v[0] > 0}
    if set(net) != want:
        bad.append("scopes differ: spand %d, igraph %d (%s)" % (
            len(net), len(want), sorted(set(net) ^ want)[:5]))
    compared = 0
    for s in sorted(want & set(net)):
        m, q, r, ei = ours[s]
        row = net[s]
        for name, a, b in (("ties", ties.get(s, 0), m),
                           ("modularity", row["modularity"], q),
                           ("assortativity", row["assortativity"], r),
                           ("ei", row["ei"], ei)):
            compared += 1
            if not close(a, b):
                bad.append(f"{s} {name}: spand {a} igraph {b}")
    ok = not bad
    msg = (f"{len(want & set(net))} sites × (ties, modularity, assortativity, "
           f"ei): {compared} values equal to 1e-9" if ok else
           f"{len(bad)} differ, e.g. " + "; ".join(bad[:3]))
    return ok, msg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--spand", required=True)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--attr", default="site")
    a = ap.parse_args()
    t0 = time.perf_counter()
    g, by_site = build(a.data, a.attr)
    build_s = time.perf_counter() - t0
    times = []
    for _ in range(a.reps):
        t0 = time.perf_counter()
        ours = per_site(g, by_site)
        times.append(time.perf_counter() - t0)
    ok, msg = check(a.spand, a.attr, ours)
    json.dump({"times": {"igraph_within": times}, "build_s": build_s,
               "sites": len(by_site), "edges": g.ecount(), "ok": ok,
               "check": msg}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
