"""The mixing plugin (METRICS.md "mixing": ties and density per pair of
groups; modularity, nominal assortativity and E-I of the boundary, on the
undirected collapse) on small networks worked by hand, and on seeded
random networks against python-igraph (modularity, assortativity_nominal
with normalized=True) and networkx (modularity,
attribute_assortativity_coefficient) at 1e-9 relative; then a 20k-person
/ 200k-tie view for time.

The undirected collapse as the references build it: an edge {a, b} when
either arc has records, weighing w_ab + w_ba (the summed record weights
of both arcs); an undirected record or an event gives both arcs, each
with the tie's weight (doc/design-notes.md, "Views"), so such a tie weighs
2w. Unweighted, every edge counts 1. Assortativity counts edges even
with `weighted` (igraph 0.10's assortativity_nominal has no weights).
People are matched by id.

Needs python3-networkx and python3-igraph (Debian). When the python3 that
runs the tests lacks them, the test re-runs itself with /usr/bin/python3;
it fails, rather than skips, if neither has them."""
import random
import time
import warnings

from reftools import big_records, random_network, require_references  # noqa: E402

require_references()

import igraph as ig  # noqa: E402
import networkx as nx  # noqa: E402

from spandtest import TAP, Daemon  # noqa: E402

# networkx warns of its own 0/0 (one group) before returning NaN.
warnings.simplefilter("ignore", RuntimeWarning)
t = TAP()
TS = "2024-01-15"
REL = 1e-9
NCOLS = ["modularity", "assortativity", "ei"]


def rec(spec, weight=1):
    """A record from "a>b" (directed) or "a-b" (undirected)."""
    a, b = spec.replace("-", ">").split(">")
    r = {"ts": TS, "from": a, "to": b, "kind": "advice", "weight": weight}
    if "-" in spec:
        r["directed"] = False
    return r


def people(groups):
    """People from {sector: "ids separated by spaces"}."""
    return [{"id": p, "sector": s} for s, ids in groups.items()
            for p in ids.split()]


def analyse(d, params=None, **kw):
    """(result, {(group_a, group_b): (ties, density)}, network row)."""
    req = {"plugin": "mixing", **kw}
    if params is not None:
        req["params"] = params
    r = d.call("analyse", req)

    def rows(name):
        tab = r["tables"][name]
        cols = [c["name"] for c in tab["columns"]]
        return [dict(zip(cols, row)) for row in tab["rows"]]

    pairs = {(x["group_a"], x["group_b"]): (x["ties"], x["density"])
             for x in rows("pair")}
    return r, pairs, rows("network")[0]


def near(got, want, rel=1e-12):
    """Relative agreement; a value that is 0 up to rounding within 1e-12."""
    if want is None or got is None:
        return got is None and want is None
    if abs(want) < 1e-12:
        return abs(got - want) <= 1e-12
    return abs(got - want) <= rel * abs(want)


def same(got, want):
    return len(got) == len(want) and all(near(g, w) for g, w in
                                         zip(got, want))


def same_pairs(got, want):
    return set(got) == set(want) and all(same(got[k], want[k]) for k in want)


def net3(row):
    return [row[c] for c in NCOLS]


# ---------------------------------------------------------------------------
# Network E (as in test_ei.py). adults a b c, children d e g, nhs f (g has
# no tie).
#   a>b 2 and b>a 1   edge {a,b}: weight 3
#   a>d 1             {a,d}: 1
#   b-c undirected 1  {b,c}: 1 + 1 = 2
#   d>e 0.5           {d,e}: 0.5
#   e>f 4             {e,f}: 4
#   f>a 1             {a,f}: 1
# Sizes adults 3, children 2 (3 with g), nhs 1.
# Pairs, counted (ties / possible pairs):
#   adults-adults     {a,b} {b,c}  2 / 3
#   adults-children   {a,d}        1 / (3*2) = 1/6
#   adults-nhs        {a,f}        1 / 3
#   children-children {d,e}        1 / 1
#   children-nhs      {e,f}        1 / 2
#   nhs-nhs           none         0 / 0: density null
# Modularity, counted: m = 6; inside I = 2, 1, 0; degrees a 3, b 2, c 1
# (K = 6), d 2, e 2 (K = 4), f 2 (K = 2):
#   Q = (2/6 - (6/12)^2) + (1/6 - (4/12)^2) + (0 - (2/12)^2)
#     = 1/12 + 1/18 - 1/36 = 1/9
# Assortativity: e_ss sums to 3 internal / 6 = 1/2; shares of edge ends
# a = 6/12, 4/12, 2/12: sum a^2 = 14/36 = 7/18: r = (1/2 - 7/18) /
# (1 - 7/18) = 2/11. E-I: E = 3 ({a,d} {e,f} {a,f}), I = 3: 0.
# Weighted: m = 11.5; inside 3 + 2 = 5, 0.5, 0; strengths a 5, b 5, c 2
# (K = 12), d 1.5, e 4.5 (K = 6), f 5 (K = 5):
#   Q = (5/11.5 - (12/23)^2) + (0.5/11.5 - (6/23)^2) - (5/23)^2
#     = 11/23 - 205/529 = 48/529
# pairs weighted: 5 / 3, 1 / 6, 1 / 3, 0.5 / 1, 4 / 2; E-I: E = 6,
# I = 5.5: 0.5 / 11.5 = 1/23; assortativity unchanged, 2/11.
PEOPLE_E = people({"adults": "a b c", "children": "d e g", "nhs": "f"})
RECORDS_E = [rec("a>b", 2), rec("b>a", 1), rec("a>d"), rec("b-c"),
             rec("d>e", 0.5), rec("e>f", 4), rec("f>a")]
A, C, N = "adults", "children", "nhs"
PAIRS_E = {(A, A): (2, 2 / 3), (A, C): (1, 1 / 6), (A, N): (1, 1 / 3),
           (C, C): (1, 1), (C, N): (1, 1 / 2), (N, N): (0, None)}
PAIRS_EW = {(A, A): (5, 5 / 3), (A, C): (1, 1 / 6), (A, N): (1, 1 / 3),
            (C, C): (0.5, 0.5), (C, N): (4, 2), (N, N): (0, None)}
# With isolates g joins children (3): possible pairs children-children 3,
# adults-children 9, children-nhs 3; Q, r and E-I do not change (g has no
# edge).
PAIRS_EI = {(A, A): (2, 2 / 3), (A, C): (1, 1 / 9), (A, N): (1, 1 / 3),
            (C, C): (1, 1 / 3), (C, N): (1, 1 / 3), (N, N): (0, None)}

with Daemon() as d:
    d.start()
    d.call("ingest", {"people": PEOPLE_E, "records": RECORDS_E})
    info = {p["name"]: p for p in d.call("plugins")["plugins"]}["mixing"]
    t.eq([(p["name"], p["type"], p["default"]) for p in info["params"]],
         [("weighted", "bool", "false")], "declared parameter and default")
    t.eq([(c["table"], c["name"]) for c in info["columns"]],
         [("pair", "ties"), ("pair", "density")] +
         [("network", c) for c in NCOLS], "declared columns")

    r, pairs, net = analyse(d)
    t.eq((r["view"]["vertices"], r["view"]["edges"]), (6, 8),
         "E: 6 people, 8 arcs")
    t.ok(same_pairs(pairs, PAIRS_E),
         "E counted: every pair of groups, ties and density by hand "
         "(nhs-nhs: 0 ties, density null)", pairs)
    t.ok(same(net3(net), [1 / 9, 2 / 11, 0]),
         "E counted: modularity 1/9, assortativity 2/11, E-I 0", net)
    r, pairs, net = analyse(d, {"weighted": True})
    t.ok(same_pairs(pairs, PAIRS_EW), "E weighted: pairs sum weights",
         pairs)
    t.ok(same(net3(net), [48 / 529, 2 / 11, 1 / 23]),
         "E weighted: modularity 48/529, assortativity 2/11 (counted), "
         "E-I 1/23", net)
    r, pairs, net = analyse(d, isolates=True)
    t.ok(r["view"]["vertices"] == 7 and same_pairs(pairs, PAIRS_EI) and
         same(net3(net), [1 / 9, 2 / 11, 0]),
         "E+isolates: g adds possible pairs, nothing else", (pairs, net))
    t.eq(d.stop(), 0, "E: clean stop")

# ---------------------------------------------------------------------------
# Network S: segregated. adults a1..a4 and children c1..c4, each a
# complete undirected K4, nothing across. Pairs: within 6 / 6 = 1 each;
# adults-children 0 ties, density 0 / 16 = 0 (the row is there).
# Q = 2 (6/12 - (12/24)^2) = 1/2; r = (1 - 1/2) / (1 - 1/2) = 1; E-I -1.
# A disconnected graph, so also the case of several components.
PEOPLE_S = people({"adults": "a1 a2 a3 a4", "children": "c1 c2 c3 c4"})
PAIRS_S = [(f"{x}{i}", f"{x}{j}") for x in "ac" for i in range(1, 5)
           for j in range(i + 1, 5)]
with Daemon() as d:
    d.start()
    d.call("ingest", {"people": PEOPLE_S,
                      "records": [rec(f"{a}-{b}") for a, b in PAIRS_S]})
    r, pairs, net = analyse(d)
    t.ok(same_pairs(pairs, {(A, A): (6, 1), (A, C): (0, 0),
                            (C, C): (6, 1)}),
         "S: no ties across: the pair row says 0 ties, density 0", pairs)
    t.ok(same(net3(net), [1 / 2, 1, -1]),
         "S: modularity 1/2, assortativity 1, E-I -1", net)
    t.eq(d.stop(), 0, "S: clean stop")

# ---------------------------------------------------------------------------
# One group: nhs n1 n2 n3 with n1-n2, n2>n3. Q = I/m - (K/2m)^2 = 1 - 1 =
# 0; assortativity (1 - 1) / (1 - 1) = 0/0: null; E-I -1; one pair row,
# 2 ties of 3 possible.
with Daemon() as d:
    d.start()
    d.call("ingest", {"people": people({"nhs": "n1 n2 n3"}),
                      "records": [rec("n1-n2"), rec("n2>n3")]})
    r, pairs, net = analyse(d)
    t.ok(same_pairs(pairs, {(N, N): (2, 2 / 3)}) and
         same(net3(net), [0, None, -1]),
         "one group: Q 0, assortativity null (0/0), E-I -1", (pairs, net))
    # A group of one, tied only with weight 0: weighted, it adds nothing to
    # m; counted, it is an edge across.
    d.call("ingest", {"people": people({"voluntary": "z1"}),
                      "records": [rec("z1>n3", 0)]})
    r, pairs, net = analyse(d, {"weighted": True})
    # weighted: nhs-nhs 2 + 2... n1-n2 weighs 1 + 1 = 2, n2>n3 1: inside 3,
    # m = 3, Q = 3/3 - (6/6)^2 = 0; E-I: E = 0, I = 3: -1.
    t.ok(same_pairs(pairs, {(N, N): (3, 1), (N, "voluntary"): (0, 0),
                            ("voluntary", "voluntary"): (0, None)}) and
         same(net3(net)[::2], [0, -1]),
         "zero weight, weighted: the tie weighs nothing", (pairs, net))
    # counted: edges {n1,n2} {n2,n3} inside, {n3,z1} across: m = 3;
    # K_nhs = 2 + 2 + ... degrees n1 1, n2 2, n3 2 = 5, K_vol = 1:
    # Q = 2/3 - (5/6)^2 - (1/6)^2 = 24/36 - 25/36 - 1/36 = -1/18;
    # r: e_ss = 2/3, a = 5/6, 1/6: sum a^2 = 26/36: (24/36 - 26/36) /
    # (10/36) = -1/5; E-I (1 - 2) / 3 = -1/3.
    r, pairs, net = analyse(d)
    t.ok(same_pairs(pairs, {(N, N): (2, 2 / 3), (N, "voluntary"): (1, 1 / 3),
                            ("voluntary", "voluntary"): (0, None)}) and
         same(net3(net), [-1 / 18, -1 / 5, -1 / 3]),
         "zero weight, counted: an edge like any other", (pairs, net))
    # Empty view: no pair rows, network nulls.
    r, pairs, net = analyse(d, window={"to": "2020-01-01"})
    t.ok(r["view"]["vertices"] == 0 and pairs == {} and
         net3(net) == [None] * 3, "empty view: no pairs, nulls", net)
    # Only isolates: pairs of every group, 0 ties; nothing else defined.
    r, pairs, net = analyse(d, window={"to": "2020-01-01"}, isolates=True)
    t.ok(same_pairs(pairs, {(N, N): (0, 0), (N, "voluntary"): (0, 0),
                            ("voluntary", "voluntary"): (0, None)}) and
         net3(net) == [None] * 3,
         "isolates only: 0 ties and density 0 (null for a group of one), "
         "network null", (pairs, net))
    t.eq(d.stop(), 0, "one group: clean stop")


# ---------------------------------------------------------------------------
# Seeded random networks against python-igraph and networkx.


def collapse(arcs):
    """{frozenset({a, b}): w_ab + w_ba}."""
    out = {}
    for (a, b), w in arcs.items():
        k = frozenset((a, b))
        out[k] = out.get(k, 0) + w
    return out


def rel_err(got, want):
    if got is None or want is None or abs(want) < 1e-12:
        return 0.0
    return abs(got - want) / abs(want)


CASES = [(12, 2, 20, 0, 0.0, 2, 31), (30, 3, 60, 5, 0.5, 3, 32),
         (60, 4, 150, 10, 0.3, 5, 33), (80, 1, 200, 0, 1.0, 4, 34),
         (150, 5, 500, 40, 0.4, 10, 35), (300, 6, 400, 20, 0.2, 30, 36),
         (40, 40, 120, 5, 0.5, 0, 37)]
worst = {"igraph modularity": 0.0, "igraph assortativity_nominal": 0.0,
         "networkx modularity": 0.0,
         "networkx attribute_assortativity_coefficient": 0.0,
         "direct count (pairs, E-I)": 0.0}
for (n, ngroups, nrec, nevents, pu, niso, seed) in CASES:
    ids, sector, ppl, recs, events, arcs = random_network(
        n, ngroups, nrec, nevents, pu, niso, seed)
    tag = f"N={n} groups={ngroups} seed={seed}"
    edges = collapse(arcs)
    groups = sorted(set(sector.values()))
    size = {s: sum(1 for p in ids if sector[p] == s) for s in groups}
    gindex = {s: k for k, s in enumerate(groups)}
    order = sorted(ids)
    index = {p: k for k, p in enumerate(order)}
    elist = sorted(tuple(sorted(e)) for e in edges)
    Hg = ig.Graph(n=len(order), edges=[(index[a], index[b])
                                       for a, b in elist])
    membership = [gindex[sector[p]] for p in order]
    U = nx.Graph()
    for p in ids:
        U.add_node(p, sector=sector[p])
    for (a, b) in elist:
        U.add_edge(a, b, weight=edges[frozenset((a, b))])
    comms = [{p for p in ids if sector[p] == s} for s in groups]
    with Daemon() as d:
        d.start()
        d.call("ingest", {"people": ppl})
        for k in range(0, len(recs), 2000):
            d.call("ingest", {"records": recs[k:k + 2000]})
        if events:
            d.call("ingest", {"events": events})
        for weighted in (False, True):
            what = f"{tag} {'weighted' if weighted else 'counted'}"
            r, pairs, net = analyse(d, {"weighted": weighted}, isolates=True)
            t.eq((r["view"]["vertices"], r["view"]["edges"]),
                 (n, len(arcs)), f"{what}: the view has the same arcs")
            wl = [edges[frozenset(e)] for e in elist] if weighted else None
            ref = {
                "igraph modularity": Hg.modularity(
                    membership, weights=wl, resolution=1, directed=False),
                "networkx modularity": nx.algorithms.community.modularity(
                    U, comms, weight="weight" if weighted else None)
                if edges else float("nan"),
                "igraph assortativity_nominal": Hg.assortativity_nominal(
                    membership, directed=False, normalized=True),
                "networkx attribute_assortativity_coefficient":
                    nx.attribute_assortativity_coefficient(U, "sector")
                    if edges else float("nan"),
            }
            bad = []
            for k, w in ref.items():
                col = "modularity" if "modularity" in k else "assortativity"
                got = net[col]
                if w != w or abs(w) == float("inf"):  # NaN or 0/0 -> inf
                    if got is not None:
                        bad.append(f"{col}: {got!r}, {k} {w!r}")
                    continue
                if not near(got, w, REL):
                    bad.append(f"{col}: {got!r}, {k} {w!r}")
                worst[k] = max(worst[k], rel_err(got, w))
            t.ok(not bad, f"{what}: modularity and assortativity as igraph "
                 "and networkx", "\n".join(bad))
            # Pairs and E-I, counted directly.
            want, E, I = {}, 0, 0
            for s in groups:
                for u in groups:
                    if s <= u:
                        want[(s, u)] = 0
            for e, w in edges.items():
                a, b = sorted(e)
                x = w if weighted else 1
                key = tuple(sorted((sector[a], sector[b])))
                want[key] += x
                if sector[a] == sector[b]:
                    I += x
                else:
                    E += x
            pbad = []
            for (s, u), x in want.items():
                possible = size[s] * (size[s] - 1) / 2 if s == u \
                    else size[s] * size[u]
                dens = x / possible if possible else None
                got = pairs.get((s, u))
                if got is None or not same(got, (x, dens)):
                    pbad.append(f"{s}-{u}: {got} {(x, dens)}")
                else:
                    worst["direct count (pairs, E-I)"] = max(
                        worst["direct count (pairs, E-I)"],
                        rel_err(got[0], x), rel_err(got[1], dens))
            ei = (E - I) / (E + I) if E + I else None
            t.ok(not pbad and len(pairs) == len(want) and
                 near(net["ei"], ei, REL),
                 f"{what}: every pair of groups and the E-I as counted",
                 "\n".join(pbad[:20]) + f"\nei {net['ei']} {ei}")
            worst["direct count (pairs, E-I)"] = max(
                worst["direct count (pairs, E-I)"], rel_err(net["ei"], ei))
        t.eq(d.stop(), 0, f"{tag}: clean stop")
for k, e in worst.items():
    t.diag(f"max relative error vs {k}: {e:.3g}")


# ---------------------------------------------------------------------------
# Size: 20k people in 6 groups, 200k ties (half undirected), weights 1-5.
with Daemon() as d:
    d.start()
    rnd = random.Random(2024)
    NP, M = 20000, 200000
    d.call("ingest", {"people": [{"id": f"q{k:05d}",
                                  "sector": f"s{rnd.randrange(6)}"}
                                 for k in range(NP)]})
    for batch in big_records(rnd, NP, M, 20000):
        d.call("ingest", {"records": batch})
    # The first analysis also builds the view (then cached for the second).
    for weighted, note in ((True, "including building the view"),
                           (False, "view already built")):
        t0 = time.monotonic()
        r = d.call("analyse", {"plugin": "mixing",
                               "params": {"weighted": weighted}})
        wall = time.monotonic() - t0
        t.ok(r["view"]["vertices"] == NP and
             len(r["tables"]["pair"]["rows"]) == 21 and
             None not in r["tables"]["network"]["rows"][0],
             f"size: {NP} people, {M} ties ({r['view']['edges']} arcs), "
             f"weighted={weighted}: 21 pairs, network defined")
        t.diag(f"mixing {NP} people / {M} ties weighted={weighted}: "
               f"{r['elapsed_ms']:.0f} ms in the daemon ({note}), "
               f"{wall:.2f} s round trip")
    t.eq(d.stop(), 0, "size: clean stop")
t.done()
