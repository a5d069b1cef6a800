"""The boundary_betweenness plugin (METRICS.md "boundary_betweenness"):
cross-group betweenness, all-pairs betweenness and their ratio, on the
undirected collapse or (param `directed`) the directed view, counted or
with lengths 1/w (`weighted`), exact or sampled (`sample`, `seed`).

Small networks worked by hand; then seeded random networks (several group
counts, weighted and unweighted, directed and undirected, with several
components and isolated dyads) against networkx: betweenness_centrality
(normalized=False) for all pairs, and for cross pairs the sum over groups G
of betweenness_centrality_subset(sources=G, targets=outside G,
normalized=False), which networkx already halves for undirected graphs.
Weighted references use exact rational lengths (fractions.Fraction), so
that ties of equal true length are ties, as in the plugin (which compares
lengths within igraph's relative 1e-10). Then the sampled estimate on a
larger network (diagnostic tolerance), and a timing diagnostic on a view of
20k people and 200k ties (printed, not asserted)."""
import math
import os
import random
import time
from fractions import Fraction

import networkx as nx

from spandtest import TAP, Daemon, RpcError

t = TAP()
TS = "2024-01-15"
PLUGIN = "boundary_betweenness"


def rec(spec, weight=1, ts=TS):
    """A record from "a>b" (directed) or "a-b" (undirected)."""
    a, b = spec.replace("-", ">").split(">")
    r = {"ts": ts, "from": a, "to": b, "kind": "advice", "weight": weight}
    if "-" in spec:
        r["directed"] = False
    return r


def people(groups):
    """People from {sector: "ids separated by spaces"}."""
    return [{"id": p, "sector": s} for s, ids in groups.items()
            for p in ids.split()]


def analyse(d, params=None, timeout=60, **kw):
    """(result, {id: row}, {group: row}, network row), rows as dicts."""
    req = {"plugin": PLUGIN, **kw}
    if params is not None:
        req["params"] = params
    with d.client(timeout=timeout) as c:
        r = c.call("analyse", req)

    def rows(name):
        tab = r["tables"][name]
        cols = [c["name"] for c in tab["columns"]]
        return [dict(zip(cols, row)) for row in tab["rows"]]

    return (r, {x["id"]: x for x in rows("vertex")},
            {x["group"]: x for x in rows("group")}, rows("network")[0])


def close(got, want, rel=1e-12):
    if want is None or got is None:
        return got is None and want is None
    return abs(got - want) <= rel * max(1.0, abs(want))


def triple(row):
    return (row["cross_betweenness"], row["betweenness"], row["cross_share"])


def same(got, want, rel=1e-12):
    return len(got) == len(want) and all(close(g, w, rel)
                                         for g, w in zip(got, want))


def all_same(rows, want):
    return all(same(triple(rows[k]), w) for k, w in want.items())


# ---------------------------------------------------------------------------
# Network T (a tree) plus network Q (a square) in one view: two components.
#
# T: a, b adults; c children; d, e nhs; undirected ties a-b, b-c, c-d, c-e.
#   A tree: one shortest path per pair. Of the 10 pairs,
#   ab bc cd ce are ties (nobody between); ac passes b; ad, ae pass b and
#   c; bd, be, de pass c. betweenness b = 3 (ac ad ae), c = 5 (ad ae bd be
#   de). Same-group pairs: ab (adults) and de (nhs); every other pair is
#   cross. cross b = 3 (all of b's are cross), c = 4 (de is not).
#   cross_share b = 1, c = 4/5; a, d, e are on no path: 0, 0, null.
# Q: a2, c2 adults; b2 children; d2 nhs; ties a2-b2, b2-c2, c2-d2, d2-a2.
#   a2-c2 has two shortest paths (via b2, via d2): b2 and d2 get 1/2 each;
#   b2-d2 likewise gives a2 and c2 1/2 each. a2-c2 is within adults, b2-d2
#   is cross: cross a2 = c2 = 1/2 (share 1), b2 = d2 = 0 (share 0).
#   No pair across T and Q has a path: nothing more.
# groups: adults a b a2 c2: cross 3 + 1/2 + 1/2 = 4, betweenness 3 + 1 = 4;
#   children c b2: 4 + 0, 5 + 1/2 -> 4, 5.5, share 8/11;
#   nhs d e d2: 0, 1/2 -> share 0.
# network: cross 8, betweenness 8 + 2 = 10, share 4/5; 9 sources.
PEOPLE_TQ = people({"adults": "a b a2 c2", "children": "c b2",
                    "nhs": "d e d2", "voluntary": "f"})
RECORDS_TQ = [rec(s) for s in ["a-b", "b-c", "c-d", "c-e",
                               "a2-b2", "b2-c2", "c2-d2", "d2-a2"]]
WANT_TQ = {"a": (0, 0, None), "b": (3, 3, 1), "c": (4, 5, 0.8),
           "d": (0, 0, None), "e": (0, 0, None), "a2": (0.5, 0.5, 1),
           "c2": (0.5, 0.5, 1), "b2": (0, 0.5, 0), "d2": (0, 0.5, 0)}

with Daemon() as d:
    d.start()
    d.call("ingest", {"people": PEOPLE_TQ, "records": RECORDS_TQ})

    info = {p["name"]: p for p in d.call("plugins")["plugins"]}[PLUGIN]
    t.eq([(p["name"], p["type"], p["default"]) for p in info["params"]],
         [("directed", "bool", "false"), ("weighted", "bool", "false"),
          ("sample", "int", "0"), ("seed", "int", "1"),
          ("threads", "int", "0")],
         "declared parameters and defaults")
    t.eq([(c["table"], c["name"]) for c in info["columns"]],
         [("vertex", "cross_betweenness"), ("vertex", "betweenness"),
          ("vertex", "cross_share"), ("group", "cross_betweenness"),
          ("group", "betweenness"), ("group", "cross_share"),
          ("network", "cross_betweenness"), ("network", "betweenness"),
          ("network", "cross_share"), ("network", "sources")],
         "declared columns")

    r, v, g, net = analyse(d)
    t.ok(all_same(v, WANT_TQ), "TQ: vertex rows as worked by hand",
         {k: triple(x) for k, x in v.items()})
    t.ok(same(triple(g["adults"]), (4, 4, 1)) and
         same(triple(g["children"]), (4, 5.5, 8 / 11)) and
         same(triple(g["nhs"]), (0, 0.5, 0)),
         "TQ: group rows sum the members", {k: triple(x) for k, x in g.items()})
    t.ok(same(triple(net), (8, 10, 0.8)) and net["sources"] == 9 and
         r["notes"] == [], "TQ: network totals, 9 sources, no note", net)
    t.ok("voluntary" not in g, "TQ: a group without people in the view has "
         "no row (f has no tie)")

    # f joins as an isolate: a vertex row of 0, 0, null; voluntary group
    # row 0, 0, null; nothing else changes.
    r, v, g, net = analyse(d, isolates=True)
    t.ok(triple(v["f"]) == (0, 0, None) and
         triple(g["voluntary"]) == (0, 0, None) and all_same(v, WANT_TQ) and
         same(triple(net), (8, 10, 0.8)) and net["sources"] == 10,
         "TQ+isolate: isolate 0, 0, null; the rest unchanged", v.get("f"))

    # Directed view of T and Q as stored: each undirected tie is two arcs,
    # so every path runs both ways and ordered pairs double the counts.
    r, v, g, net = analyse(d, {"directed": True})
    t.ok(all_same(v, {k: (2 * w[0], 2 * w[1], w[2])
                      for k, w in WANT_TQ.items()}),
         "TQ directed: symmetric arcs give twice the undirected values",
         {k: triple(x) for k, x in v.items()})
    t.eq(d.stop(), 0, "TQ: clean stop")

# ---------------------------------------------------------------------------
# Network C, directed: x1 > y1 > x2 > x1, a 3-cycle of arcs, x1 and x2
# adults, y1 nhs.
#   directed: ordered pairs with no arc: (x1, x2) goes x1>y1>x2 through
#   y1; (y1, x1) goes y1>x2>x1 through x2; (x2, y1) goes x2>x1>y1 through
#   x1. betweenness 1 each. (x1, x2) is within adults: cross y1 = 0;
#   (y1, x1) and (x2, y1) are cross: x2 = 1, x1 = 1.
#   undirected collapse: a triangle, nobody between anybody: all 0, null.
# Network W, weighted (directed records, so collapse weight = record
# weight): p, r adults; q children; s nhs; square p>q (2), q>r (2),
# p>s (1), s>r (1). Lengths: p-q 1/2, q-r 1/2, p-s 1, s-r 1.
#   p-r: via q 1, via s 2: only q (p, r both adults: not cross).
#   q-s: q-p-s 1.5, q-r-s 1.5: a tie, p and r 1/2 each (cross: children,
#   nhs). p-s: direct 1 vs p-q-r-s 2; r-s likewise; p-q, q-r direct.
#   weighted: p (1/2, 1/2, 1), q (0, 1, 0), r (1/2, 1/2, 1), s (0, 0, null).
#   unweighted: a square: p-r via q or s (1/2 each, not cross), q-s via p
#   or r (1/2 each, cross): p (1/2, 1/2, 1), q (0, 1/2, 0), r as p, s as q.
PEOPLE_CW = people({"adults": "x1 x2 p r", "nhs": "y1 s", "children": "q"})
RECORDS_CW = [rec("x1>y1"), rec("y1>x2"), rec("x2>x1"), rec("p>q", 2),
              rec("q>r", 2), rec("p>s", 1), rec("s>r", 1)]
with Daemon() as d:
    d.start()
    d.call("ingest", {"people": PEOPLE_CW, "records": RECORDS_CW})
    r, v, g, net = analyse(d, {"directed": True})
    t.ok(all_same(v, {"x1": (1, 1, 1), "y1": (0, 1, 0), "x2": (1, 1, 1)}),
         "C directed: a 3-cycle, ordered pairs", {k: triple(v[k])
                                                   for k in ("x1", "y1", "x2")})
    r, v, g, net = analyse(d)
    t.ok(all_same(v, {"x1": (0, 0, None), "y1": (0, 0, None),
                      "x2": (0, 0, None)}),
         "C undirected: a triangle has no broker")
    t.ok(all_same(v, {"p": (0.5, 0.5, 1), "q": (0, 0.5, 0),
                      "r": (0.5, 0.5, 1), "s": (0, 0.5, 0)}),
         "W unweighted: a square", {k: triple(v[k]) for k in "pqrs"})
    r, v, g, net = analyse(d, {"weighted": True})
    t.ok(all_same(v, {"p": (0.5, 0.5, 1), "q": (0, 1, 0),
                      "r": (0.5, 0.5, 1), "s": (0, 0, None)}),
         "W weighted: length 1/w, an exact tie q-p-s = q-r-s",
         {k: triple(v[k]) for k in "pqrs"})
    # An arc q>p of weight 0 beside p>q of weight 2: the collapsed tie
    # weighs 2 + 0, as before.
    d.call("ingest", {"records": [rec("q>p", 0)]})  # p-q now weight 2 + 0
    r, v, g, net = analyse(d, {"weighted": True})
    t.ok(all_same(v, {"p": (0.5, 0.5, 1), "q": (0, 1, 0),
                      "r": (0.5, 0.5, 1), "s": (0, 0, None)}),
         "W weighted: a zero-weight arc beside a weighted one adds nothing")
    try:
        analyse(d, {"sample": -1})
        t.ok(False, "negative sample refused")
    except RpcError as e:
        t.eq(e.code, 1010, "negative sample: analysis failed")
    t.eq(d.stop(), 0, "CW: clean stop")

with Daemon() as d:
    d.start()
    d.call("ingest", {"people": people({"adults": "p r", "nhs": "s",
                                        "children": "q"}),
                      "records": [rec("p>q", 0), rec("q>r", 2),
                                  rec("p>s", 1), rec("s>r", 1)]})
    # p-q weighs 0: no path along it when weighted. The rest is the path
    # q - r - s - p: r lies between q and s, q and p (2 pairs, both
    # cross); s between r and p (adults, not cross) and q and p (cross).
    r, v, g, net = analyse(d, {"weighted": True})
    t.ok(all_same(v, {"p": (0, 0, None), "q": (0, 0, None),
                      "r": (2, 2, 1), "s": (1, 2, 0.5)}),
         "zero weight: an infinitely long tie carries no path",
         {k: triple(v[k]) for k in "pqrs"})
    r, v, g, net = analyse(d)
    t.ok(all_same(v, {"p": (0.5, 0.5, 1), "q": (0, 0.5, 0),
                      "r": (0.5, 0.5, 1), "s": (0, 0.5, 0)}),
         "zero weight: unweighted it is a tie like any other")
    t.eq(d.stop(), 0, "zero weight: clean stop")

# ---------------------------------------------------------------------------
# One group: nothing is cross. n1 - n2 - n3: n2 has betweenness 1, cross 0,
# share 0. Empty view: no rows; network 0, 0, null, 0 sources.
with Daemon() as d:
    d.start()
    d.call("ingest", {"people": people({"nhs": "n1 n2 n3"}),
                      "records": [rec("n1-n2"), rec("n2-n3")]})
    r, v, g, net = analyse(d)
    t.ok(triple(v["n2"]) == (0, 1, 0) and triple(v["n1"]) == (0, 0, None)
         and triple(net) == (0, 1, 0), "one group: cross 0, share 0",
         triple(net))
    r, v, g, net = analyse(d, window={"to": "2020-01-01"})
    t.eq((r["view"]["vertices"], v, g, triple(net), net["sources"]),
         (0, {}, {}, (0, 0, None), 0), "empty view: no rows, zero totals")
    r, v, g, net = analyse(d, {"sample": 5}, window={"to": "2020-01-01"})
    t.eq(net["sources"], 0, "empty view, sampled: 0 sources")
    r, v, g, net = analyse(d, {"sample": 3})
    t.ok(triple(net) == (0, 1, 0) and net["sources"] == 3 and
         len(r["notes"]) == 1 and "exactly" in r["notes"][0],
         "sample >= people: exact, and the note says so", r["notes"])
    t.eq(d.stop(), 0, "one group: clean stop")


# ---------------------------------------------------------------------------
# Random networks against networkx.
def random_network(rng, tag, year, n_groups, sizes, p_dir=0.5,
                   weights=(0.5, 1, 1.5, 2, 3, 4)):
    """People and records of a random network made of several components
    (each a random graph of the given size, density about 3/size) and
    two isolated dyads, ts in `year`. Returns (people, records)."""
    ppl, recs = [], []
    comps = list(sizes) + [2, 2]
    for c, size in enumerate(comps):
        ids = [f"{tag}c{c}v{i:03d}" for i in range(size)]
        for p in ids:
            ppl.append({"id": p, "sector": f"g{rng.randrange(n_groups)}"})
        pairs = set()
        # A spanning path keeps the component connected; then random ties.
        order = ids[:]
        rng.shuffle(order)
        for a, b in zip(order, order[1:]):
            pairs.add((a, b))
        for _ in range(int(1.5 * size)):
            a, b = rng.sample(ids, 2)
            pairs.add((a, b))
        for a, b in sorted(pairs):
            r = {"ts": f"{year}-03-01", "from": a, "to": b, "kind": "advice",
                 "weight": rng.choice(weights)}
            if rng.random() > p_dir:
                r["directed"] = False
            recs.append(r)
            if rng.random() < 0.1:  # a second record on the same tie
                recs.append(dict(r, weight=rng.choice(weights),
                                 ts=f"{year}-04-01"))
    return ppl, recs


def arcs_of(recs):
    """{(a, b): summed weight} of the directed view (an undirected record
    is two arcs, each of the record's weight)."""
    arcs = {}
    for r in recs:
        a, b, w = r["from"], r["to"], Fraction(r["weight"])
        arcs[(a, b)] = arcs.get((a, b), 0) + w
        if r.get("directed") is False:
            arcs[(b, a)] = arcs.get((b, a), 0) + w
    return arcs


def reference(ppl, recs, directed, weighted):
    """{id: (cross, betweenness)} by networkx on the same construction."""
    arcs = arcs_of(recs)
    group = {p["id"]: p["sector"] for p in ppl}
    if directed:
        G = nx.DiGraph()
        for (a, b), w in arcs.items():
            G.add_edge(a, b, w=w)
    else:
        G = nx.Graph()
        for (a, b), w in arcs.items():
            if G.has_edge(a, b):
                G[a][b]["w"] += w
            else:
                G.add_edge(a, b, w=w)
    for a, b, data in G.edges(data=True):
        data["length"] = 1 / data["w"]  # exact Fraction
    wt = "length" if weighted else None
    bet = nx.betweenness_centrality(G, normalized=False, weight=wt)
    cross = dict.fromkeys(G, 0.0)
    for s in sorted(set(group[x] for x in G)):
        members = [x for x in G if group[x] == s]
        others = [x for x in G if group[x] != s]
        sub = nx.betweenness_centrality_subset(G, members, others,
                                               normalized=False, weight=wt)
        for x, b in sub.items():
            cross[x] += b
    return {x: (float(cross[x]), float(bet[x])) for x in G}


def rel_err(got, want):
    if want == 0:
        return abs(got)
    return abs(got - want) / abs(want)


worst = 0.0
with Daemon(conf={"analysis": {"timeout_ms": 600000}}) as d:
    d.start()
    rng = random.Random(20240115)
    cases = []
    year = 2001
    for n_groups in (1, 2, 3, 5):
        for sizes in ((40, 25, 8), (70, 12)):
            ppl, recs = random_network(rng, f"r{year}", year, n_groups, sizes)
            d.call("ingest", {"people": ppl, "records": recs})
            cases.append((year, n_groups, sizes, ppl, recs))
            year += 1
    for year, n_groups, sizes, ppl, recs in cases:
        window = {"from": f"{year}-01-01", "to": f"{year + 1}-01-01"}
        for directed in (False, True):
            for weighted in (False, True):
                want = reference(ppl, recs, directed, weighted)
                r, v, g, net = analyse(d, {"directed": directed,
                                           "weighted": weighted},
                                       window=window)
                err = 0.0
                ok = set(v) == set(want)
                for x, (cw, bw) in want.items():
                    if x not in v:
                        continue
                    row = v[x]
                    err = max(err, rel_err(row["cross_betweenness"], cw),
                              rel_err(row["betweenness"], bw))
                    share = cw / bw if bw else None
                    ok = ok and close(row["cross_share"], share, 1e-9)
                # group sums and network totals
                sector = {p["id"]: p["sector"] for p in ppl}
                for s, row in g.items():
                    cw = sum(c for x, (c, b) in want.items()
                             if sector[x] == s)
                    bw = sum(b for x, (c, b) in want.items()
                             if sector[x] == s)
                    err = max(err, rel_err(row["cross_betweenness"], cw),
                              rel_err(row["betweenness"], bw))
                tot_c = sum(c for c, b in want.values())
                tot_b = sum(b for c, b in want.values())
                err = max(err, rel_err(net["cross_betweenness"], tot_c),
                          rel_err(net["betweenness"], tot_b))
                worst = max(worst, err)
                t.ok(ok and err <= 1e-9,
                     f"random {year}: {n_groups} groups, components "
                     f"{sizes}+2 dyads, directed={directed}, "
                     f"weighted={weighted}: networkx within 1e-9 "
                     f"(max rel err {err:.2e})",
                     f"people {len(v)} vs {len(want)}, err {err}")
    t.diag(f"max relative error vs networkx over all random cases: "
           f"{worst:.3e}")

    # The number of threads does not change a bit of the result (sources
    # are summed in fixed shares).
    year, n_groups, sizes, ppl, recs = cases[-1]
    window = {"from": f"{year}-01-01", "to": f"{year + 1}-01-01"}
    runs = [analyse(d, {"threads": k, "weighted": True}, window=window)
            for k in (1, 2, 3, 8)]
    t.ok(all(r[1] == runs[0][1] and r[3] == runs[0][3] for r in runs[1:]),
         "threads 1, 2, 3, 8: identical results")
    try:
        analyse(d, {"threads": -1}, window=window)
        t.ok(False, "negative threads refused")
    except RpcError as e:
        t.eq(e.code, 1010, "negative threads: analysis failed")

    # -----------------------------------------------------------------------
    # Sampled betweenness on a larger network (1500 people, one component
    # and a few dyads, 4 groups): the note, the reproducibility of a seed,
    # and closeness to the exact values (diagnostic tolerance: the network
    # totals within 10%, the correlation of vertex values above 0.9).
    ppl, recs = random_network(random.Random(7), "big", 2030, 4, (1500,),
                               p_dir=0.0)
    d.call("ingest", {"people": ppl, "records": recs})
    window = {"from": "2030-01-01", "to": "2031-01-01"}
    r, exact, g, exnet = analyse(d, window=window)
    n = r["view"]["vertices"]
    r, est, g, net = analyse(d, {"sample": 300, "seed": 42}, window=window)
    t.ok(len(r["notes"]) == 1 and "estimated" in r["notes"][0] and
         "300" in r["notes"][0] and net["sources"] == 300,
         "sampled: the note says estimated from 300 sources", r["notes"])
    r2, est2, g2, net2 = analyse(d, {"sample": 300, "seed": 42},
                                 window=window)
    t.ok(all(triple(est[x]) == triple(est2[x]) for x in est),
         "sampled: the same seed gives the same estimate")
    r3, est3, g3, net3 = analyse(d, {"sample": 300, "seed": 43},
                                 window=window)
    t.ok(any(triple(est[x]) != triple(est3[x]) for x in est),
         "sampled: another seed another sample")

    def corr(xs, ys):
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        sxy = sum((a - mx) * (b - my) for a, b in zip(xs, ys))
        sxx = sum((a - mx) ** 2 for a in xs)
        syy = sum((b - my) ** 2 for b in ys)
        return sxy / math.sqrt(sxx * syy)

    ids = sorted(exact)
    for col in ("cross_betweenness", "betweenness"):
        e_tot, s_tot = exnet[col], net[col]
        c = corr([exact[x][col] for x in ids], [est[x][col] for x in ids])
        t.diag(f"sampled 300/{n} sources, {col}: total {s_tot:.6g} vs exact "
               f"{e_tot:.6g} ({100 * (s_tot - e_tot) / e_tot:+.2f}%), "
               f"vertex correlation {c:.4f}")
        t.ok(abs(s_tot - e_tot) <= 0.1 * e_tot and c > 0.9,
             f"sampled {col}: close to exact (total within 10%, "
             f"correlation > 0.9)")
    t.eq(d.stop(), 0, "random: clean stop")

# ---------------------------------------------------------------------------
# Shapes that make the undirected BFS change direction (issue 10): level by
# level it scans either the rows of the level (top-down) or the rows of
# everyone not yet reached (bottom-up), whichever has fewer arcs. The
# shapes below take each path the kernel has: bottom-up levels, a
# top-down level after a bottom-up one (a dense core with a long tail),
# bottom-up while another component stays unreached, and a bottom-up
# level whose vertices have many predecessors (complete bipartite).
# directions() mirrors the rule to show that each shape does what it is
# here for; the values are checked against networkx.
def directions(adj, s):
    """The direction ("td"/"bu") of each level's expansion from s, by the
    plugin's rule: bottom-up when the unreached vertices' degrees plus
    their number are fewer than the level's degrees."""
    n = len(adj)
    dist = {s: 0}
    frontier, out = [s], []
    while frontier:
        fdeg = sum(len(adj[v]) for v in frontier)
        un = [x for x in adj if x not in dist]
        up = sum(len(adj[x]) for x in un) + len(un) < fdeg
        out.append("bu" if up else "td")
        nxt = []
        for v in frontier:
            for x in adj[v]:
                if x not in dist:
                    dist[x] = dist[v] + 1
                    nxt.append(x)
        frontier = nxt
    assert len(dist) <= n
    return out


def shape_dense_tail(rng):
    """A dense core of 60 (p = 0.5), a 25-long tail from it, a second
    dense component of 30, and three isolates' worth of dyads."""
    edges = set()
    core = [f"k{i:02d}" for i in range(60)]
    for i in range(60):
        for j in range(i + 1, 60):
            if rng.random() < 0.5:
                edges.add((core[i], core[j]))
    tail = [core[0]] + [f"t{i:02d}" for i in range(25)]
    edges.update(zip(tail, tail[1:]))
    other = [f"o{i:02d}" for i in range(30)]
    for i in range(30):
        for j in range(i + 1, 30):
            if rng.random() < 0.6:
                edges.add((other[i], other[j]))
    edges.update({("d0", "d1"), ("d2", "d3"), ("d4", "d5")})
    return edges


def shape_bipartite():
    """K(5, 40): from a small-side person level 2 is the rest of the
    small side, each reached from all 40 of the other side."""
    return {(f"a{i}", f"b{j:02d}") for i in range(5) for j in range(40)}


with Daemon(conf={"analysis": {"timeout_ms": 600000}}) as d:
    d.start()
    rng = random.Random(77)
    shapes = [("dense core with a tail, another component, dyads",
               shape_dense_tail(rng)),
              ("complete bipartite 5 x 40", shape_bipartite())]
    for k, (what, edges) in enumerate(shapes):
        year = 2040 + k
        names = sorted({x for e in edges for x in e})
        ppl = [{"id": f"s{k}{x}", "sector": f"g{rng.randrange(3)}"}
               for x in names]
        recs = [{"ts": f"{year}-03-01", "from": f"s{k}{a}",
                 "to": f"s{k}{b}", "kind": "advice", "weight": 1,
                 "directed": rng.random() < 0.5} for a, b in sorted(edges)]
        adj = {x["id"]: set() for x in ppl}
        for r in recs:
            adj[r["from"]].add(r["to"])
            adj[r["to"]].add(r["from"])
        dirs = {s: directions(adj, s) for s in adj}
        seen = {"bu": any("bu" in x for x in dirs.values()),
                "td after bu": any("bu" in x and "td" in x[x.index("bu"):]
                                   for x in dirs.values())}
        d.call("ingest", {"people": ppl, "records": recs})
        window = {"from": f"{year}-01-01", "to": f"{year + 1}-01-01"}
        want = reference(ppl, recs, False, False)
        r, v, g, net = analyse(d, {}, window=window)
        err = max(max(rel_err(v[x]["cross_betweenness"], c),
                      rel_err(v[x]["betweenness"], b))
                  for x, (c, b) in want.items())
        t.ok(set(v) == set(want) and err <= 1e-12,
             f"{what}: networkx within 1e-12 (max rel err {err:.2e})",
             err)
        t.ok(seen["bu"] and (k > 0 or seen["td after bu"]),
             f"{what}: the shape takes the paths it is here for", seen)
    t.eq(d.stop(), 0, "shapes: clean stop")

# ---------------------------------------------------------------------------
# Bit for bit: every value of every table, as float.hex(), hashed. The
# digests pin down the order of every floating-point sum, so that a change
# of order shows here and is made on purpose; they agree with threads = 1
# and with the default (one thread per processor). Directed and
# undirected, sampled and exact, and the weighted (Dijkstra) path. The
# directed and weighted digests are those of commit b372bd7; the
# undirected unweighted ones changed when that path got its own kernel
# (top-down or bottom-up by level, dependencies pulled or pushed along
# the DAG: sums in another order, values equal to networkx's within
# 1e-15 above). Should the view's own numbering of people or arcs change,
# recompute them and say why in the commit.
def bits_network():
    rng = random.Random(424242)
    ppl = [{"id": f"p{i:03d}",
            "sector": ["adults", "children", "nhs", "vol"][rng.randrange(4)]}
           for i in range(240)]
    recs = []
    for _ in range(900):
        a, b = rng.sample(range(240), 2)
        if rng.random() < 0.5 and abs(a - b) > 20:
            b = (a + rng.randrange(1, 20)) % 240
        recs.append({"ts": TS, "from": f"p{a:03d}", "to": f"p{b:03d}",
                     "kind": "advice", "weight": rng.choice([1, 2, 3]),
                     "directed": rng.random() < 0.7})
    return ppl, recs


def bits_digest(d, params):
    import hashlib
    r = d.call("analyse", {"plugin": PLUGIN, "params": params})
    h = hashlib.sha256()
    for tab in ("vertex", "group", "network"):
        for row in r["tables"][tab]["rows"]:
            h.update(repr([x.hex() if isinstance(x, float) else x
                           for x in row]).encode())
    return h.hexdigest()[:16]


BITS = [({}, "15ae4d57d0e446c8"), ({"threads": 1}, "15ae4d57d0e446c8"),
        ({"threads": 2}, "15ae4d57d0e446c8"),
        ({"directed": True}, "39ceac5e53feb126"),
        ({"weighted": True}, "021394372408ab90"),
        ({"sample": 60, "seed": 5}, "f8a89070361a5061"),
        ({"directed": True, "sample": 60}, "1af08dc4791c1eb1")]
with Daemon() as d:
    d.start()
    ppl, recs = bits_network()
    d.call("ingest", {"people": ppl, "records": recs})
    got = [(params, bits_digest(d, params)) for params, _ in BITS]
    t.eq(got, BITS, "every value the same bit for bit as pinned (digests "
         "of float.hex), whatever the number of threads")
    t.eq(d.stop(), 0, "bits: clean stop")

# ---------------------------------------------------------------------------
# Timing diagnostic: a view of 20k people and 200k ties (undirected records
# between random pairs, 4 groups). Printed, not asserted.
N_BIG, M_BIG = 20000, 200000
with Daemon(conf={"analysis": {"timeout_ms": 3600000}}) as d:
    d.start()
    rng = random.Random(99)
    ids = [f"t{i:05d}" for i in range(N_BIG)]
    d.call("ingest", {"people": [{"id": p, "sector": f"s{rng.randrange(4)}"}
                                 for p in ids]})
    pairs = set()
    while len(pairs) < M_BIG:
        a, b = rng.randrange(N_BIG), rng.randrange(N_BIG)
        if a != b:
            pairs.add((min(a, b), max(a, b)))
    pairs = sorted(pairs)
    for i in range(0, len(pairs), 5000):
        d.call("ingest", {"records": [
            {"ts": "2024-06-01", "from": ids[a], "to": ids[b],
             "kind": "advice", "directed": False,
             "weight": 1 + (a * 7 + b) % 4}
            for a, b in pairs[i:i + 5000]]})
    # Exact weighted is left out (about twice the exact unweighted time;
    # the sampled run shows the ratio): the test should not take minutes.
    for params in ({"sample": 500}, {"sample": 500, "weighted": True}, {}):
        t0 = time.monotonic()
        r, v, g, net = analyse(d, params, timeout=3600, top=1)
        t.diag(f"timing {r['view']['vertices']} people, "
               f"{r['view']['edges']} arcs, params {params}: "
               f"{time.monotonic() - t0:.2f} s wall, elapsed_ms "
               f"{r['elapsed_ms']:.0f}")
    t.ok(r["view"]["vertices"] == N_BIG, "timing view built (diagnostic)")
    t.eq(d.stop(), 0, "timing: clean stop")
t.done()
