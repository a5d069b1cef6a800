"""The resilience plugin (METRICS.md "resilience"): for each pair of groups
the direct ties; the holders, a minimum vertex cover of the direct ties
(its size, one such cover, the person with most direct ties and their
share); the cut size, a minimum vertex separator made of people outside
both groups once the direct ties are set aside, and one such separator
(the one closest to group_a); per person in how many pairs' covers and
separators they stand; and for the network the fewest holders of a tied
pair and the pairs not connected at all.

Small networks worked by hand, among them a boundary of 40 ties held by one
person; the demo data's year one, where in every site the children's PSW
holds all the children-NHS ties; then seeded random networks (several
group counts, disconnected parts, isolated dyads) against networkx: the
holders against bipartite.hopcroft_karp_matching (its size), the reported
cover checked to be a cover of that size and compared with
bipartite.to_vertex_cover (group_a as the top nodes); each group pair's
groups contracted into two nodes S and T without the S-T ties, the cut
compared exactly with local_node_connectivity and with the size of
minimum_st_node_cut; the reported separator checked to be outside both
groups, of that size, and really separating S from T; and compared with
the separator closest to S computed independently (networkx maximum_flow
on a vertex-split network, then the residual reach of S). A timing
diagnostic on a view of 20k people and 200k ties (printed, not asserted)."""
import csv
import os
import random
import subprocess
import sys
import tempfile
import time

import networkx as nx
from networkx.algorithms import bipartite
from networkx.algorithms.connectivity import (local_node_connectivity,
                                              minimum_st_node_cut)

from reftools import people, rec
from spandtest import SRCDIR, TAP, Daemon

t = TAP()
PLUGIN = "resilience"


def analyse(d, params=None, timeout=60, **kw):
    """(result, {id: row}, {(group_a, group_b): row}, network row)."""
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
            {(x["group_a"], x["group_b"]): x for x in rows("pair")},
            rows("network")[0])


COLS = ("direct_ties", "holders", "holder_ids", "top_holder",
        "top_holder_share", "cut_size", "separator")


def prow(row):
    return tuple(row[c] for c in COLS)


def nrow(row):
    return (row["min_holders"], row["pairs_disconnected"])


def counts(v, col):
    return {k: x[col] for k, x in v.items() if x[col]}


# ---------------------------------------------------------------------------
# Network R. adults a1 a2; children k1; nhs n1 n2 n3; voluntary v1;
# police p1 p2 (only tied to each other).
#   ties a1-n1, a2-n2, n1-k1, n2-k1, n3-k1, n1-n3, k1-v1, p1-p2.
# Pairs (groups in byte order: adults, children, nhs, police, voluntary):
#   adults-children: not tied: holders 0, no top holder. Paths a1-n1-k1,
#     a1-n1-n3-k1, a2-n2-k1: every one passes n1 or n2, and no single
#     person meets both: cut 2, separator {n1, n2} (the only one).
#   adults-nhs: a1-n1, a2-n2: 2 ties, 2 disjoint: holders 2; König with
#     adults on the left, both matched: the cover is the left side {a1,
#     a2}; everyone has 1 tie: top a1 (lowest id), 1/2. Set aside, no other
#     path from adults (tied to nhs only): cut 0.
#   adults-voluntary: every path ends k1-v1: cut 1 {k1}.
#   children-nhs: n1-k1 n2-k1 n3-k1: 3 ties, all k1's: holders 1 {k1},
#     top k1, 3/3. Other paths from k1 to nhs: k1-v1 ends there: cut 0.
#   children-voluntary: k1-v1: holders 1, the left side {k1}; k1 and v1
#     have 1 tie each: top k1 (lowest id), 1/1; cut 0.
#   nhs-voluntary: all through k1: cut 1 {k1}.
#   police with anyone: no tie and no path: 0, 0, "", null, null, 0, "".
# holder_count: a1 1, a2 1, k1 2. separator_count: n1 1, n2 1, k1 2.
# Network: min_holders 1 (children-nhs, children-voluntary);
# pairs_disconnected 4 (the police pairs).
PEOPLE_R = people({"adults": "a1 a2", "children": "k1", "nhs": "n1 n2 n3",
                   "voluntary": "v1", "police": "p1 p2"})
RECORDS_R = [rec(s) for s in ["a1-n1", "a2-n2", "n1>k1", "k1>n2", "n3-k1",
                              "n1-n3", "k1-v1", "p1-p2"]]
NONE = (0, 0, "", None, None, 0, "")
WANT_R = {("adults", "children"): (0, 0, "", None, None, 2, "n1, n2"),
          ("adults", "nhs"): (2, 2, "a1, a2", "a1", 0.5, 0, ""),
          ("adults", "police"): NONE,
          ("adults", "voluntary"): (0, 0, "", None, None, 1, "k1"),
          ("children", "nhs"): (3, 1, "k1", "k1", 1.0, 0, ""),
          ("children", "police"): NONE,
          ("children", "voluntary"): (1, 1, "k1", "k1", 1.0, 0, ""),
          ("nhs", "police"): NONE,
          ("nhs", "voluntary"): (0, 0, "", None, None, 1, "k1"),
          ("police", "voluntary"): NONE}
with Daemon() as d:
    d.start()
    d.call("ingest", {"people": PEOPLE_R, "records": RECORDS_R})
    info = {p["name"]: p for p in d.call("plugins")["plugins"]}[PLUGIN]
    t.eq([(c["table"], c["name"], c["type"]) for c in info["columns"]],
         [("vertex", "holder_count", "int"),
          ("vertex", "separator_count", "int"),
          ("pair", "direct_ties", "int"), ("pair", "holders", "int"),
          ("pair", "holder_ids", "string"), ("pair", "top_holder", "string"),
          ("pair", "top_holder_share", "real"), ("pair", "cut_size", "int"),
          ("pair", "separator", "string"),
          ("network", "min_holders", "int"),
          ("network", "pairs_disconnected", "int")], "declared columns")
    t.eq(info["params"], [], "no parameters")

    r, v, p, n = analyse(d)
    t.eq({k: prow(x) for k, x in p.items()}, WANT_R,
         "R: every group pair as worked by hand")
    t.eq(counts(v, "holder_count"), {"a1": 1, "a2": 1, "k1": 2},
         "R: holder counts")
    t.eq(counts(v, "separator_count"), {"n1": 1, "n2": 1, "k1": 2},
         "R: separator counts")
    t.eq(len(v), 9, "R: everyone has a row")
    t.eq(nrow(n), (1, 4), "R: min_holders 1, 4 pairs disconnected")
    # The direction of a record does not matter: n1>k1 and k1>n2 are ties.
    r, v, p, n = analyse(d, isolates=True)
    t.eq({k: prow(x) for k, x in p.items()}, WANT_R,
         "R with isolates: nothing changes (nobody is isolated)")
    t.eq(d.stop(), 0, "R: clean stop")

# ---------------------------------------------------------------------------
# Network L: a line a - x - y - b; a adults, x and y nhs, b children (by
# `sector`); by `team` a is in zeta, x and y in mid, b in alpha. Either of
# x, y alone separates a from b: the separator reported is the one closest
# to group_a, the first group by name:
#   sector: (adults, children): group_a = adults = {a}: separator x.
#           (adults, nhs): a-x, cover {a} (group_a's side when every one
#           of its members is matched), top a (a and x tie, a < x); set
#           aside, a has no other tie: cut 0. (children, nhs): y-b: cover
#           {b}, top b (b < y), cut 0.
#   team:   (alpha, zeta): group_a = alpha = {b}: separator y.
#           (mid, zeta): x-a: cover {x}, group_a = mid's side; top a.
# An isolate i (adults / zeta) with isolates: no change, and i stands in
# no cover and no separator.
with Daemon() as d:
    d.start()
    d.call("ingest", {"people": [
        {"id": "a", "sector": "adults", "team": "zeta"},
        {"id": "x", "sector": "nhs", "team": "mid"},
        {"id": "y", "sector": "nhs", "team": "mid"},
        {"id": "b", "sector": "children", "team": "alpha"},
        {"id": "i", "sector": "adults", "team": "zeta"}],
        "records": [rec("a-x"), rec("x-y"), rec("y-b")]})
    r, v, p, n = analyse(d)
    t.eq({k: prow(x) for k, x in p.items()},
         {("adults", "children"): (0, 0, "", None, None, 1, "x"),
          ("adults", "nhs"): (1, 1, "a", "a", 1.0, 0, ""),
          ("children", "nhs"): (1, 1, "b", "b", 1.0, 0, "")},
         "L: the separator closest to group_a (adults), covers, tops")
    t.eq(nrow(n), (1, 0), "L: min_holders 1, none disconnected")
    r, v, p, n = analyse(d, boundary="team")
    t.eq({k: prow(x) for k, x in p.items()},
         {("alpha", "mid"): (1, 1, "b", "b", 1.0, 0, ""),
          ("alpha", "zeta"): (0, 0, "", None, None, 1, "y"),
          ("mid", "zeta"): (1, 1, "x", "a", 1.0, 0, "")},
         "L by team: the separator closest to group_a (alpha); covers")
    r, v, p, n = analyse(d, isolates=True)
    t.ok(prow(p[("adults", "children")]) == (0, 0, "", None, None, 1, "x")
         and v["i"]["separator_count"] == 0 and v["i"]["holder_count"] == 0,
         "L with an isolate: unchanged, the isolate in no cover or "
         "separator")

    # One group only: no pairs at all; min_holders null.
    d.call("ingest", {"people": [{"id": q, "sector": "solo"}
                                 for q in ("s1", "s2", "s3")],
                      "records": [rec("s1-s2", ts="2019-05-01"),
                                  rec("s2-s3", ts="2019-05-01")]})
    r, v, p, n = analyse(d, window={"to": "2020-01-01"})
    t.ok(p == {} and all(x["separator_count"] == 0 and
                         x["holder_count"] == 0 for x in v.values()) and
         len(v) == 3 and nrow(n) == (None, 0),
         "one group: no pair rows, counts 0, min_holders null", (p, v, n))
    # Empty view.
    r, v, p, n = analyse(d, window={"to": "2010-01-01"})
    t.eq((r["view"]["vertices"], v, p, nrow(n)), (0, {}, {}, (None, 0)),
         "empty view: no rows")
    t.eq(d.stop(), 0, "L: clean stop")

# ---------------------------------------------------------------------------
# Network O: a boundary held by one person. h (nhs) has a tie with each of
# 40 adults a00..a39; no other adult-nhs tie. holders 1: {h}, König with
# adults on the left: 39 of them unmatched, their alternating paths reach h
# (and h's mate), so the cover is {h}; top h, 40/40. With those 40 ties set
# aside, a00 - v1 (voluntary) - n2 (nhs) is the one other path: cut 1, v1.
# Then k1 and k2 (children): k1 with h, n2, n3, and k2 with n2: a
# matching k1-h, k2-n2 of 2, so holders 2; both children matched: cover
# {k1, k2}; top k1 3/4; no other path from children to nhs: cut 0.
# adults-children, not tied: a_i - h - k1 and a00 - v1 - n2 - k1/k2: {h,
# v1} or {h, n2}; the one nearest adults is {h, v1}.
ADULTS = [f"a{i:02d}" for i in range(40)]
with Daemon() as d:
    d.start()
    d.call("ingest", {
        "people": people({"adults": " ".join(ADULTS), "nhs": "h n2 n3",
                          "voluntary": "v1", "children": "k1 k2"}),
        "records": [rec(f"{a}>h") for a in ADULTS] +
        [rec(s) for s in ("a00-v1", "v1-n2", "k1-h", "n2>k1", "k1-n3",
                          "k2-n2")]})
    r, v, p, n = analyse(d)
    t.eq(prow(p[("adults", "nhs")]), (40, 1, "h", "h", 1.0, 1, "v1"),
         "O: 40 adult-nhs ties, all held by h; v1 the one other way")
    t.eq(prow(p[("children", "nhs")]), (4, 2, "k1, k2", "k1", 0.75, 0, ""),
         "O: children-nhs: 4 ties, 2 holders, k1 with 3 of 4")
    t.eq(prow(p[("adults", "children")]),
         (0, 0, "", None, None, 2, "h, v1"),
         "O: adults-children: through h, or a00-v1-n2: {h, v1} nearest "
         "adults")
    t.eq((v["h"]["holder_count"], v["v1"]["separator_count"]), (1, 2),
         "O: h holds one boundary, v1 stands in two separators")
    t.eq(nrow(n)[0], 1, "O: min_holders 1")
    t.eq(d.stop(), 0, "O: clean stop")

# ---------------------------------------------------------------------------
# The demo's year one: in every site the children's Principal Social
# Worker holds all the children-NHS ties (contrib/spand-demo.py: the
# children's PSW is the one year-one spanner to the NHS, partners n_icb
# and n_hv). Pooled over 4 sites, the boundary's minimum cover is the four
# PSWs, one a site, although there are more ties than PSWs.
with tempfile.TemporaryDirectory() as tmp, Daemon() as d:
    subprocess.run([sys.executable,
                    os.path.join(SRCDIR, "contrib", "spand-demo.py"), "-q",
                    "--sites", "4", tmp], check=True)
    demo = list(csv.DictReader(open(os.path.join(tmp, "people.csv"))))
    psw = sorted(x["id"] for x in demo
                 if x["role"] == "Principal Social Worker (children)")
    sites = {x["site"] for x in demo}
    d.start()
    for f in ("people", "records", "events"):
        lr = d.spanctl("load", os.path.join(tmp, f + ".csv"))
        t.ok(lr.returncode == 0, f"demo: {f}.csv loaded", lr.stderr)
    r, v, p, n = analyse(d, window={"from": "2024-01-01",
                                     "to": "2025-01-01"})
    row = p[("children", "nhs")]
    t.ok(len(psw) == len(sites) == 4 and
         row["holders"] == 4 and row["holder_ids"] == ", ".join(psw) and
         row["direct_ties"] > 4,
         f"demo year one: children-nhs {row['direct_ties']} ties held by "
         f"the 4 sites' children's PSWs, one a site", (row, psw))
    t.eq(d.stop(), 0, "demo: clean stop")


# ---------------------------------------------------------------------------
# Random networks against networkx.
def random_network(rng, tag, year, n_groups, sizes, internal=0.95):
    """People and records of several random components plus two isolated
    dyads, ts in `year`. Within a component people are laid on a line and
    groups come in runs (the run's group, or with probability 0.05 any
    group), and ties join people at most 5 apart but for 1%; so distant
    groups are often not directly tied and have separators worth
    finding."""
    ppl, recs = [], []
    for c, size in enumerate(list(sizes) + [2, 2]):
        ids = [f"{tag}c{c}v{i:03d}" for i in range(size)]
        for i, p in enumerate(ids):
            gi = (i * n_groups) // size
            if rng.random() > internal:
                gi = rng.randrange(n_groups)
            ppl.append({"id": p, "sector": f"g{gi}"})
        pairs = set()
        for i in range(size - 1):
            pairs.add((ids[i], ids[i + 1]))
        for _ in range(size):
            i = rng.randrange(size)
            j = min(size - 1, i + rng.randint(1, 5))
            if rng.random() < 0.01:
                j = rng.randrange(size)
            if i != j:
                pairs.add((ids[i], ids[j]))
        for a, b in sorted(pairs):
            r = {"ts": f"{year}-03-01", "from": a, "to": b, "kind": "advice"}
            if rng.random() < 0.3:
                a, b = b, a
                r.update({"from": a, "to": b})
            if rng.random() < 0.5:
                r["directed"] = False
            recs.append(r)
    return ppl, recs


def closest_to_s(H):
    """The minimum S-T vertex separator closest to S, by networkx
    maximum_flow on the vertex-split network with unbounded edge
    capacities, then the residual reach of S."""
    F = nx.DiGraph()
    for x in H:
        if x not in ("S", "T"):
            F.add_edge(("in", x), ("out", x), capacity=1)

    def node(x, end):
        return x if x in ("S", "T") else (end, x)
    for a, b in H.edges():
        for u, w in ((a, b), (b, a)):
            if u != "T" and w != "S":
                F.add_edge(node(u, "out"), node(w, "in"))  # no capacity: inf
    F.add_nodes_from(["S", "T"])
    value, flow = nx.maximum_flow(F, "S", "T")
    reach, stack = {"S"}, ["S"]
    while stack:
        u = stack.pop()
        for w, data in F[u].items():  # forward arcs with room
            if w not in reach and flow[u][w] < data.get("capacity",
                                                         float("inf")):
                reach.add(w)
                stack.append(w)
        for w in F.predecessors(u):  # backward arcs carrying flow
            if w not in reach and flow[w][u] > 0:
                reach.add(w)
                stack.append(w)
    sep = {x for x in H if x not in ("S", "T") and ("in", x) in reach and
           ("out", x) not in reach}
    return value, sep


def check_view(ppl, recs, v, p, n):
    """Compare the plugin's rows with networkx; returns a list of
    problems (empty when all agree)."""
    group = {x["id"]: x["sector"] for x in ppl}
    C = nx.Graph()
    for r in recs:
        C.add_edge(r["from"], r["to"])
    groups = sorted({group[x] for x in C})
    problems = []
    sepc, holdc = dict.fromkeys(C, 0), dict.fromkeys(C, 0)
    min_holders, disconnected = None, 0
    for i, s in enumerate(groups):
        for tt in groups[i + 1:]:
            row = p.get((s, tt))
            if row is None:
                problems.append(f"{s}-{tt}: no row")
                continue
            problems += check_holders(C, group, s, tt, row, holdc)
            if row["direct_ties"]:
                min_holders = min(row["holders"], min_holders or 1 << 30)
            problems += check_cut(C, group, s, tt, row, sepc)
            disconnected += not row["direct_ties"] and not row["cut_size"]
    for x in C:
        if (v[x]["separator_count"], v[x]["holder_count"]) != \
                (sepc[x], holdc[x]):
            problems.append(f"{x}: separator_count, holder_count "
                            f"{v[x]['separator_count']}, "
                            f"{v[x]['holder_count']} != {sepc[x]}, "
                            f"{holdc[x]}")
    if nrow(n) != (min_holders, disconnected):
        problems.append(f"network {nrow(n)} != {(min_holders, disconnected)}")
    return problems


def check_holders(C, group, s, tt, row, holdc):
    """direct_ties, holders, holder_ids, top_holder(_share) of pair s, tt."""
    B = nx.Graph()
    B.add_edges_from((a, b) for a, b in C.edges()
                     if {group[a], group[b]} == {s, tt})
    direct, problems = B.number_of_edges(), []
    if row["direct_ties"] != direct:
        problems.append(f"{s}-{tt}: direct {row['direct_ties']} != {direct}")
    if not direct:
        if (row["holders"], row["holder_ids"], row["top_holder"],
                row["top_holder_share"]) != (0, "", None, None):
            problems.append(f"{s}-{tt}: not tied but {row}")
        return problems
    top = [x for x in B if group[x] == s]
    matching = bipartite.hopcroft_karp_matching(B, top_nodes=top)
    size = len(matching) // 2
    cover = set(row["holder_ids"].split(", "))
    nxcover = bipartite.to_vertex_cover(B, matching, top_nodes=top)
    if row["holders"] != size or len(cover) != size:
        problems.append(f"{s}-{tt}: holders {row['holders']}, cover "
                        f"{len(cover)}, matching {size}")
    if any(a not in cover and b not in cover for a, b in B.edges()):
        problems.append(f"{s}-{tt}: {sorted(cover)} is not a cover")
    if cover != nxcover:
        problems.append(f"{s}-{tt}: cover {sorted(cover)} != networkx "
                        f"to_vertex_cover {sorted(nxcover)}")
    if row["holder_ids"].split(", ") != sorted(cover,
                                               key=lambda x: x.encode()):
        problems.append(f"{s}-{tt}: holder_ids not in id order")
    most = max(B.degree(x) for x in B)
    want_top = min((x for x in B if B.degree(x) == most),
                   key=lambda x: x.encode())
    if (row["top_holder"], row["top_holder_share"]) != \
            (want_top, most / direct):
        problems.append(f"{s}-{tt}: top {row['top_holder']} "
                        f"{row['top_holder_share']} != {want_top} "
                        f"{most}/{direct}")
    for x in cover:
        holdc[x] += 1
    return problems


def check_cut(C, group, s, tt, row, sepc):
    """cut_size and separator of pair s, tt, the direct ties set aside."""
    problems = []
    H = nx.Graph()
    H.add_nodes_from(["S", "T"])

    def m(x):
        return "S" if group[x] == s else "T" if group[x] == tt else x
    for a, b in C.edges():
        if m(a) != m(b) and {m(a), m(b)} != {"S", "T"}:
            H.add_edge(m(a), m(b))
    want = local_node_connectivity(H, "S", "T")
    nxcut = minimum_st_node_cut(H, "S", "T")
    value, closest = closest_to_s(H)
    sep = set(row["separator"].split(", ")) if row["separator"] else set()
    G2 = H.copy()
    G2.remove_nodes_from(sep)
    if not (row["cut_size"] == want == len(nxcut) == value == len(sep)):
        problems.append(f"{s}-{tt}: cut {row['cut_size']}, networkx "
                        f"{want}/{len(nxcut)}/{value}, separator {len(sep)}")
    if any(group.get(x) in (s, tt) or x not in C for x in sep):
        problems.append(f"{s}-{tt}: separator {sep} not outside")
    if nx.has_path(G2, "S", "T"):
        problems.append(f"{s}-{tt}: separator {sep} does not separate")
    if sep != closest:
        problems.append(f"{s}-{tt}: separator {sorted(sep)} is not the one "
                        f"closest to {s}: {sorted(closest)}")
    if row["separator"] and row["separator"].split(", ") != \
            sorted(sep, key=lambda x: x.encode()):
        problems.append(f"{s}-{tt}: separator not in id order")
    for x in sep:
        sepc[x] += 1
    return problems


with Daemon() as d:
    d.start()
    rng = random.Random(31337)
    cases, year = [], 2001
    for n_groups in (2, 3, 5, 8):
        for sizes in ((60, 30, 9), (120,), (45, 45), (300,)):
            ppl, recs = random_network(rng, f"r{year}", year, n_groups, sizes,
                                       internal=rng.choice((0.95, 0.7)))
            d.call("ingest", {"people": ppl, "records": recs})
            cases.append((year, n_groups, sizes, ppl, recs))
            year += 1
    total_pairs = total_cut = total_multi = 0
    for year, n_groups, sizes, ppl, recs in cases:
        window = {"from": f"{year}-01-01", "to": f"{year + 1}-01-01"}
        r, v, p, n = analyse(d, window=window)
        problems = check_view(ppl, recs, v, p, n)
        cut = [x for x in p.values() if x["cut_size"]]
        multi = [x for x in p.values() if x["holders"] > 1]
        total_pairs += len(p)
        total_cut += len(cut)
        total_multi += len(multi)
        t.ok(not problems, f"random {year}: {n_groups} groups, components "
             f"{sizes}+2 dyads: {len(p)} pairs ({len(cut)} with a cut > 0, "
             f"{len(multi)} with holders > 1) agree with networkx",
             "\n".join(problems[:20]))
    t.diag(f"random: {total_pairs} group pairs, {total_cut} with a positive "
           f"cut, {total_multi} with more than one holder")
    t.ok(total_cut >= 10 and total_multi >= 10,
         "random: enough pairs with a real separator and a real cover",
         (total_cut, total_multi))
    t.eq(d.stop(), 0, "random: clean stop")

# ---------------------------------------------------------------------------
# Timing diagnostic: 20k people and 200k ties in 8 groups; each group a
# random graph, 1% of ties to the next group in a ring; all
# 28 group pairs need a flow (the direct ties are set aside).
N_BIG, M_BIG, G_BIG = 20000, 200000, 8
with Daemon(conf={"analysis": {"timeout_ms": 3600000}}) as d:
    d.start()
    rng = random.Random(5)
    size = N_BIG // G_BIG
    ids = [f"t{i:05d}" for i in range(N_BIG)]
    d.call("ingest", {"people": [{"id": p, "sector": f"s{i // size}"}
                                 for i, p in enumerate(ids)]})
    pairs = set()
    while len(pairs) < M_BIG:
        a = rng.randrange(N_BIG)
        ga = a // size
        gb = (ga + 1) % G_BIG if rng.random() < 0.01 else ga
        b = gb * size + rng.randrange(size)
        if a != b:
            pairs.add((min(a, b), max(a, b)))
    pairs = sorted(pairs)
    for i in range(0, len(pairs), 5000):
        d.call("ingest", {"records": [
            {"ts": "2024-06-01", "from": ids[a], "to": ids[b],
             "kind": "advice", "directed": False}
            for a, b in pairs[i:i + 5000]]})
    t0 = time.monotonic()
    r, v, p, n = analyse(d, timeout=3600, top=1)
    cuts = sorted(x["cut_size"] for x in p.values())
    t.diag(f"timing {r['view']['vertices']} people, {r['view']['edges']} "
           f"arcs, {len(p)} pairs ({len(cuts)} flows, cuts {cuts[0]}.."
           f"{cuts[-1]}): {time.monotonic() - t0:.2f} s wall, elapsed_ms "
           f"{r['elapsed_ms']:.0f}")
    t.ok(len(cuts) == 28, "timing: 28 pairs, each with a cut (diagnostic)")
    t.eq(d.stop(), 0, "timing: clean stop")
t.done()
