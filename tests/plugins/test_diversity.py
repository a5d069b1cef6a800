"""The diversity plugin (METRICS.md "diversity": participation coefficient,
its normalised form, Blau and Shannon diversity of the groups of a
person's contacts, groups reached; group means and medians) on small
networks worked by hand, and on seeded random networks against a direct
computation from networkx's undirected collapse at 1e-9 relative; then a
20k-person / 200k-tie view for time.

The undirected collapse as the references build it: a networkx Graph with
an edge {a, b} when either arc has records, weighing w_ab + w_ba (the
summed record weights of both arcs); an undirected record or an event
gives both arcs, each with the tie's weight (doc/design-notes.md,
"Views"), so such a tie weighs 2w. Unweighted, every edge counts 1.
People are matched by id.

Needs python3-networkx (Debian). When the python3 that runs the tests
lacks it (or python3-igraph, which the sibling tests need), the test
re-runs itself with /usr/bin/python3; it fails, rather than skips, if
neither has them."""
import math
import random
import time

from reftools import big_records, random_network, require_references  # noqa: E402

require_references()

import networkx as nx  # noqa: E402

from spandtest import TAP, Daemon  # noqa: E402

t = TAP()
TS = "2024-01-15"
REL = 1e-9
VCOLS = ["participation", "participation_norm", "blau", "shannon",
         "groups_reached"]
GCOLS = [f"{c}_{s}" for c in VCOLS for s in ("mean", "median")]


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
    """(result, {id: row}, {group: row}), rows as dicts."""
    req = {"plugin": "diversity", **kw}
    if params is not None:
        req["params"] = params
    r = d.call("analyse", req)

    def rows(name):
        tab = r["tables"][name]
        cols = [c["name"] for c in tab["columns"]]
        return [dict(zip(cols, row)) for row in tab["rows"]]

    return (r, {x["id"]: x for x in rows("vertex")},
            {x["group"]: x for x in rows("group")})


def near(got, want, rel=1e-12):
    """Relative agreement; a value that is 0 up to rounding within 1e-12."""
    if want is None or got is None:
        return got is None and want is None
    if abs(want) < 1e-12:
        return abs(got - want) <= 1e-12
    return abs(got - want) <= rel * abs(want)


def vals(row, cols=VCOLS):
    return [row[c] for c in cols]


def same(got, want):
    return len(got) == len(want) and all(near(g, w) for g, w in
                                         zip(got, want))


def H(*ps):
    """Shannon entropy of the shares ps."""
    return -sum(p * math.log(p) for p in ps if p > 0)


def mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


def median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    m = len(xs)
    return xs[m // 2] if m % 2 else (xs[m // 2 - 1] + xs[m // 2]) / 2


# ---------------------------------------------------------------------------
# Network E. adults a b c, children d e g, nhs f (g has no tie). S = 3.
#   a>b 2 and b>a 1   edge {a,b}: weight 3
#   a>d 1             {a,d}: 1
#   a-f undirected 2  {a,f}: 2 + 2 = 4
#   b-c undirected 1  {b,c}: 1 + 1 = 2
#   d>e 0.5           {d,e}: 0.5
#   e>f 4             {e,f}: 4
# Counted (each edge 1); participation P = 1 - sum_s (k_s/k)^2, norm =
# P / (1 - 1/3) = 3P/2; blau = P; shannon over the same shares:
#   a  alters b (adults), d (children), f (nhs): shares 1/3 each:
#      P = 1 - 3/9 = 2/3, norm 1, shannon ln 3, reached 2
#   b  alters a, c (adults): P = 0, norm 0, shannon 0, reached 0
#   c  alter b: P = 0, reached 0
#   d  alters a (adults), e (children): P = 1/2, norm 3/4, ln 2, reached 1
#   e  alters d (children), f (nhs): P = 1/2, norm 3/4, ln 2, reached 1
#   f  alters a (adults), e (children): P = 1/2, norm 3/4, ln 2, reached 2
# Weighted (k_s sums w_ij + w_ji):
#   a  adults 3, children 1, nhs 4, k = 8: P = 1 - (9 + 1 + 16)/64 =
#      19/32, norm 57/64, shannon H(3/8, 1/8, 1/2), reached 2
#   b  adults 3 + 2: P = 0;  c: P = 0
#   d  adults 1, children 0.5, k = 1.5: shares 2/3, 1/3: P = 4/9, norm
#      2/3, shannon H(2/3, 1/3)
#   e  children 0.5, nhs 4, k = 4.5: shares 1/9, 8/9: P = 16/81, norm
#      8/27, shannon H(1/9, 8/9)
#   f  adults 4, children 4: P = 1/2, norm 3/4, ln 2
COUNTED = {"a": [2 / 3, 1, 2 / 3, math.log(3), 2],
           "b": [0, 0, 0, 0, 0], "c": [0, 0, 0, 0, 0],
           "d": [1 / 2, 3 / 4, 1 / 2, math.log(2), 1],
           "e": [1 / 2, 3 / 4, 1 / 2, math.log(2), 1],
           "f": [1 / 2, 3 / 4, 1 / 2, math.log(2), 2]}
WEIGHTED = {"a": [19 / 32, 57 / 64, 19 / 32, H(3 / 8, 1 / 8, 1 / 2), 2],
            "b": [0, 0, 0, 0, 0], "c": [0, 0, 0, 0, 0],
            "d": [4 / 9, 2 / 3, 4 / 9, H(2 / 3, 1 / 3), 1],
            "e": [16 / 81, 8 / 27, 16 / 81, H(1 / 9, 8 / 9), 1],
            "f": [1 / 2, 3 / 4, 1 / 2, math.log(2), 2]}
PEOPLE_E = people({"adults": "a b c", "children": "d e g", "nhs": "f"})
RECORDS_E = [rec("a>b", 2), rec("b>a", 1), rec("a>d"), rec("a-f", 2),
             rec("b-c"), rec("d>e", 0.5), rec("e>f", 4)]
MEMBERS = {"adults": "abc", "children": "de", "nhs": "f"}


def group_want(want, members):
    """Mean and median of each column over members, nulls skipped."""
    out = []
    for k in range(len(VCOLS)):
        xs = [want[p][k] for p in members]
        out += [mean(xs), median(xs)]
    return out


with Daemon() as d:
    d.start()
    d.call("ingest", {"people": PEOPLE_E, "records": RECORDS_E})
    info = {p["name"]: p for p in d.call("plugins")["plugins"]}["diversity"]
    t.eq([(p["name"], p["type"], p["default"]) for p in info["params"]],
         [("weighted", "bool", "false")], "declared parameter and default")
    t.eq([(c["table"], c["name"]) for c in info["columns"]],
         [("vertex", c) for c in VCOLS] + [("group", c) for c in GCOLS],
         "declared columns: vertex measures, group mean and median")

    r, v, g = analyse(d)
    t.eq((r["view"]["vertices"], r["view"]["edges"]), (6, 9),
         "E: 6 people, 9 arcs")
    for p, want in COUNTED.items():
        t.ok(same(vals(v[p]), want), f"E counted: {p} as by hand",
             f"got:  {vals(v[p])}\nwant: {want}")
    # Groups, counted: adults P [2/3, 0, 0]: mean 2/9, median 0; reached
    # [2, 0, 0]: mean 2/3, median 0. children d, e: equal, mean = median.
    t.ok(same(vals(g["adults"], GCOLS),
              [2 / 9, 0, 1 / 3, 0, 2 / 9, 0, math.log(3) / 3, 0, 2 / 3, 0]),
         "E counted: adults mean and median", g["adults"])
    t.ok(same(vals(g["children"], GCOLS),
              [1 / 2, 1 / 2, 3 / 4, 3 / 4, 1 / 2, 1 / 2, math.log(2),
               math.log(2), 1, 1]),
         "E counted: children mean and median", g["children"])
    t.ok(same(vals(g["nhs"], GCOLS), group_want(COUNTED, "f")),
         "E counted: nhs (one member)", g["nhs"])

    r, v, g = analyse(d, {"weighted": True})
    for p, want in WEIGHTED.items():
        t.ok(same(vals(v[p]), want), f"E weighted: {p} as by hand",
             f"got:  {vals(v[p])}\nwant: {want}")
    # children d, e: P [4/9, 16/81]: mean = median (two values) = 26/81.
    t.ok(same(vals(g["children"], GCOLS),
              group_want(WEIGHTED, "de")) and
         near(g["children"]["participation_median"], 26 / 81),
         "E weighted: children median of two = their mean = 26/81",
         g["children"])
    t.ok(same(vals(g["adults"], GCOLS), group_want(WEIGHTED, "abc")),
         "E weighted: adults mean and median", g["adults"])

    # Isolates: g has no alters: ratios null, groups_reached 0; the nulls
    # are skipped in children's means and medians, the 0 is not.
    r, v, g = analyse(d, isolates=True)
    t.ok(vals(v["g"]) == [None, None, None, None, 0],
         "E+isolates: g null, groups_reached 0", v.get("g"))
    t.ok(same(vals(g["children"], GCOLS),
              [1 / 2, 1 / 2, 3 / 4, 3 / 4, 1 / 2, 1 / 2, math.log(2),
               math.log(2), 2 / 3, 1]),
         "E+isolates: children: g's nulls skipped, its 0 reached counted "
         "(mean 2/3, median 1)", g["children"])
    t.eq(d.stop(), 0, "E: clean stop")

# ---------------------------------------------------------------------------
# One group (S = 1): participation 0 for everyone, participation_norm
# null (1 - 1/S = 0); a weight-0 tie, weighted, is 0/0: null, but the alter
# is still reached (groups_reached counts alters, not weight).
with Daemon() as d:
    d.start()
    d.call("ingest", {"people": people({"nhs": "n1 n2 n3"}),
                      "records": [rec("n1-n2"), rec("n2>n3")]})
    r, v, g = analyse(d)
    t.ok(all(vals(x) == [0, None, 0, 0, 0] for x in v.values()),
         "one group: P = 0, norm null, shannon 0, reached 0",
         {k: vals(x) for k, x in v.items()})
    t.ok(vals(g["nhs"], GCOLS) == [0, 0, None, None, 0, 0, 0, 0, 0, 0],
         "one group: group row", g["nhs"])
    d.call("ingest", {"people": people({"voluntary": "z1"}),
                      "records": [rec("z1>n3", 0)]})
    r, v, g = analyse(d, {"weighted": True})
    t.ok(vals(v["z1"]) == [None, None, None, None, 1],
         "zero weight, weighted: 0/0 is null, n3's group still reached",
         v["z1"])
    # n3: alters n2 (nhs, weight 1) and z1 (voluntary, weight 0): shares
    # 1, 0: P = 0, shannon 0, but 2 groups in the view: norm 0; reached 1.
    t.ok(same(vals(v["n3"]), [0, 0, 0, 0, 1]),
         "zero weight, weighted: a 0 share adds nothing", v["n3"])
    r, v, g = analyse(d)
    t.ok(same(vals(v["n3"]), [1 / 2, 1, 1 / 2, math.log(2), 1]),
         "zero weight, counted: a tie like any other", v["n3"])
    # Empty view: no rows at all.
    r, v, g = analyse(d, window={"to": "2020-01-01"})
    t.eq((r["view"]["vertices"], v, g), (0, {}, {}), "empty view: no rows")
    r, v, g = analyse(d, window={"to": "2020-01-01"}, isolates=True)
    t.ok(r["view"]["vertices"] == 4 and
         all(vals(x) == [None] * 4 + [0] for x in v.values()) and
         all(vals(x, GCOLS) == [None] * 8 + [0, 0] for x in g.values()),
         "isolates only: ratios null, reached 0", (v, g))
    t.eq(d.stop(), 0, "one group: clean stop")


# ---------------------------------------------------------------------------
# Seeded random networks against a direct computation on networkx's
# undirected collapse.


def collapse(ids, arcs):
    """networkx Graph: {a, b} with weight w_ab + w_ba."""
    U = nx.Graph()
    U.add_nodes_from(ids)
    for (a, b), w in arcs.items():
        if U.has_edge(a, b):
            U[a][b]["weight"] += w
        else:
            U.add_edge(a, b, weight=w)
    return U


def reference(U, sector, S, weighted):
    """{id: [participation, norm, blau, shannon, groups_reached]}."""
    out = {}
    for p in U:
        k = {}
        for q, e in U[p].items():
            k[sector[q]] = k.get(sector[q], 0) + (e["weight"] if weighted
                                                  else 1)
        tot = sum(k.values())
        reached = len({sector[q] for q in U[p]} - {sector[p]})
        if tot == 0:
            out[p] = [None, None, None, None, reached]
            continue
        shares = [x / tot for x in k.values()]
        P = 1 - sum(x * x for x in shares)
        out[p] = [P, P / (1 - 1 / S) if S > 1 else None, P, H(*shares),
                  reached]
    return out


CASES = [(12, 2, 20, 0, 0.0, 2, 21), (30, 3, 60, 5, 0.5, 3, 22),
         (60, 4, 150, 10, 0.3, 5, 23), (80, 1, 200, 0, 1.0, 4, 24),
         (150, 5, 500, 40, 0.4, 10, 25), (300, 6, 400, 20, 0.2, 30, 26),
         (40, 40, 120, 5, 0.5, 0, 27)]
worst = {"vertex": 0.0, "group": 0.0}


def rel_err(got, want):
    if got is None or want is None or abs(want) < 1e-12:
        return 0.0
    return abs(got - want) / abs(want)


for (n, ngroups, nrec, nevents, pu, niso, seed) in CASES:
    ids, sector, ppl, recs, events, arcs = random_network(
        n, ngroups, nrec, nevents, pu, niso, seed)
    tag = f"N={n} groups={ngroups} seed={seed}"
    U = collapse(ids, arcs)
    S = len(set(sector.values()))
    with Daemon() as d:
        d.start()
        d.call("ingest", {"people": ppl})
        for k in range(0, len(recs), 2000):
            d.call("ingest", {"records": recs[k:k + 2000]})
        if events:
            d.call("ingest", {"events": events})
        for weighted in (False, True):
            what = f"{tag} {'weighted' if weighted else 'counted'}"
            r, v, g = analyse(d, {"weighted": weighted}, isolates=True)
            t.eq((r["view"]["vertices"], r["view"]["edges"],
                  r["view"]["groups"]), (n, len(arcs), S),
                 f"{what}: the view has the same people, arcs and groups")
            ref = reference(U, sector, S, weighted)
            bad = []
            for p in ids:
                for c, got, want in zip(VCOLS, vals(v[p]), ref[p]):
                    if not near(got, want, REL):
                        bad.append(f"{p} {c}: {got!r} {want!r}")
                    worst["vertex"] = max(worst["vertex"],
                                          rel_err(got, want))
            t.ok(not bad, f"{what}: every person as computed from networkx",
                 "\n".join(bad[:20]))
            gbad = []
            for s in set(sector.values()):
                members = [p for p in ids if sector[p] == s]
                want = []
                for k in range(len(VCOLS)):
                    xs = [ref[p][k] for p in members]
                    want += [mean(xs), median(xs)]
                for c, got, w in zip(GCOLS, vals(g[s], GCOLS), want):
                    if not near(got, w, REL):
                        gbad.append(f"{s} {c}: {got!r} {w!r}")
                    worst["group"] = max(worst["group"], rel_err(got, w))
            t.ok(not gbad, f"{what}: group means and medians",
                 "\n".join(gbad[:20]))
        t.eq(d.stop(), 0, f"{tag}: clean stop")
for k, e in worst.items():
    t.diag(f"max relative error of {k} rows vs the networkx-based "
           f"computation: {e:.3g}")


# ---------------------------------------------------------------------------
# Size: 20k people in 6 groups, 200k ties (half undirected), weights 1-5.
with Daemon() as d:
    d.start()
    rnd = random.Random(2024)
    N, M = 20000, 200000
    d.call("ingest", {"people": [{"id": f"q{k:05d}",
                                  "sector": f"s{rnd.randrange(6)}"}
                                 for k in range(N)]})
    for batch in big_records(rnd, N, M, 20000):
        d.call("ingest", {"records": batch})
    # The first analysis also builds the view (then cached for the second).
    for weighted, note in ((True, "including building the view"),
                           (False, "view already built")):
        t0 = time.monotonic()
        r = d.call("analyse", {"plugin": "diversity", "top": 5,
                               "params": {"weighted": weighted}})
        wall = time.monotonic() - t0
        t.ok(r["view"]["vertices"] == N and
             r["tables"]["vertex"]["total_rows"] == N and
             len(r["tables"]["group"]["rows"]) == 6,
             f"size: {N} people, {M} ties ({r['view']['edges']} arcs), "
             f"weighted={weighted}: analysed")
        t.diag(f"diversity {N} people / {M} ties weighted={weighted}: "
               f"{r['elapsed_ms']:.0f} ms in the daemon ({note}), "
               f"{wall:.2f} s round trip")
    t.eq(d.stop(), 0, "size: clean stop")
t.done()
