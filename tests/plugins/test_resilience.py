"""The resilience plugin (METRICS.md "resilience"): for each pair of groups
the direct ties, the size of a minimum vertex separator made of people
outside both groups (null when directly tied, 0 when no path exists), one
such separator (the one closest to group_a), and per person in how many
pairs' separators they stand.

Small networks worked by hand; then seeded random networks (several group
counts, disconnected parts, isolated dyads) against networkx: each group
pair's groups contracted into two nodes S and T, the cut size compared
exactly with local_node_connectivity and with the size of
minimum_st_node_cut; the reported separator checked to be outside both
groups, of that size, and really separating S from T; and compared with
the separator closest to S computed independently (networkx maximum_flow
on a vertex-split network, then the residual reach of S). A timing
diagnostic on a view of 20k people and 200k ties (printed, not asserted)."""
import random
import time

import networkx as nx
from networkx.algorithms.connectivity import (local_node_connectivity,
                                              minimum_st_node_cut)

from spandtest import TAP, Daemon

t = TAP()
TS = "2024-01-15"
PLUGIN = "resilience"


def rec(spec, ts=TS):
    """A record from "a>b" (directed) or "a-b" (undirected)."""
    a, b = spec.replace("-", ">").split(">")
    r = {"ts": ts, "from": a, "to": b, "kind": "advice"}
    if "-" in spec:
        r["directed"] = False
    return r


def people(groups, attr="sector"):
    return [{"id": p, attr: s} for s, ids in groups.items()
            for p in ids.split()]


def analyse(d, params=None, timeout=60, **kw):
    """(result, {id: row}, {(group_a, group_b): row})."""
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
            {(x["group_a"], x["group_b"]): x for x in rows("pair")})


def prow(row):
    return (row["direct_ties"], row["cut_size"], row["separator"])


# ---------------------------------------------------------------------------
# Network R. adults a1 a2; children k1; nhs n1 n2 n3; voluntary v1;
# police p1 p2 (only tied to each other).
#   ties a1-n1, a2-n2, n1-k1, n2-k1, n3-k1, n1-n3, k1-v1, p1-p2.
# Pairs (groups in byte order: adults, children, nhs, police, voluntary):
#   adults-children: not tied. Paths a1-n1-k1, a1-n1-n3-k1, a2-n2-k1: every
#     one passes n1 or n2, and no single person meets both a1-n1-.. and
#     a2-n2-..: cut 2, separator {n1, n2} (the only one).
#   adults-nhs: a1-n1, a2-n2: direct 2, cut null.
#   adults-voluntary: every path ends k1-v1: cut 1 {k1}. (n1, n2 also
#     separate... no: {n1, n2} has size 2; {k1} is the minimum.)
#   children-nhs: n1-k1 n2-k1 n3-k1: direct 3. children-voluntary: k1-v1:
#     direct 1.
#   nhs-voluntary: all through k1: cut 1 {k1}.
#   police with anyone: no path: cut 0, separator "" (nobody need leave).
# separator_count: n1 1, n2 1, k1 2 (adults-voluntary, nhs-voluntary),
#   everyone else 0.
PEOPLE_R = people({"adults": "a1 a2", "children": "k1", "nhs": "n1 n2 n3",
                   "voluntary": "v1", "police": "p1 p2"})
RECORDS_R = [rec(s) for s in ["a1-n1", "a2-n2", "n1>k1", "k1>n2", "n3-k1",
                              "n1-n3", "k1-v1", "p1-p2"]]
WANT_R = {("adults", "children"): (0, 2, "n1, n2"),
          ("adults", "nhs"): (2, None, None),
          ("adults", "police"): (0, 0, ""),
          ("adults", "voluntary"): (0, 1, "k1"),
          ("children", "nhs"): (3, None, None),
          ("children", "police"): (0, 0, ""),
          ("children", "voluntary"): (1, None, None),
          ("nhs", "police"): (0, 0, ""),
          ("nhs", "voluntary"): (0, 1, "k1"),
          ("police", "voluntary"): (0, 0, "")}
with Daemon() as d:
    d.start()
    d.call("ingest", {"people": PEOPLE_R, "records": RECORDS_R})
    info = {p["name"]: p for p in d.call("plugins")["plugins"]}[PLUGIN]
    t.eq([(c["table"], c["name"], c["type"]) for c in info["columns"]],
         [("vertex", "separator_count", "int"),
          ("pair", "direct_ties", "int"), ("pair", "cut_size", "int"),
          ("pair", "separator", "string")], "declared columns")
    t.eq(info["params"], [], "no parameters")

    r, v, p = analyse(d)
    t.eq({k: prow(x) for k, x in p.items()}, WANT_R,
         "R: every group pair as worked by hand")
    t.eq({k: x["separator_count"] for k, x in v.items() if
          x["separator_count"]}, {"n1": 1, "n2": 1, "k1": 2},
         "R: separator counts")
    t.eq(sorted(x["separator_count"] for x in v.values()).count(0), 6,
         "R: everyone else 0")
    # The direction of a record does not matter: n1>k1 and k1>n2 are ties.
    r, v, p = analyse(d, isolates=True)
    t.eq({k: prow(x) for k, x in p.items()}, WANT_R,
         "R with isolates: nothing changes (nobody is isolated)")
    t.eq(d.stop(), 0, "R: clean stop")

# ---------------------------------------------------------------------------
# Network L: a line a - x - y - b; a adults, x and y nhs, b children (by
# `sector`); by `team` a is in zeta, b in alpha. Either of x, y alone
# separates a from b: the separator reported is the one closest to
# group_a, the first group by name:
#   sector: (adults, children): group_a = adults = {a}: separator x.
#   team:   (alpha, zeta): group_a = alpha = {b}: separator y.
# An isolate i (adults / zeta) with isolates: no change to the separators,
# and i stands in none.
with Daemon() as d:
    d.start()
    d.call("ingest", {"people": [
        {"id": "a", "sector": "adults", "team": "zeta"},
        {"id": "x", "sector": "nhs", "team": "mid"},
        {"id": "y", "sector": "nhs", "team": "mid"},
        {"id": "b", "sector": "children", "team": "alpha"},
        {"id": "i", "sector": "adults", "team": "zeta"}],
        "records": [rec("a-x"), rec("x-y"), rec("y-b")]})
    r, v, p = analyse(d)
    t.eq(prow(p[("adults", "children")]), (0, 1, "x"),
         "L: the separator closest to group_a (adults)")
    r, v, p = analyse(d, boundary="team")
    t.eq(prow(p[("alpha", "zeta")]), (0, 1, "y"),
         "L by team: the separator closest to group_a (alpha)")
    t.eq((prow(p[("alpha", "mid")]), prow(p[("mid", "zeta")])),
         ((1, None, None), (1, None, None)), "L by team: direct ties")
    r, v, p = analyse(d, isolates=True)
    t.ok(prow(p[("adults", "children")]) == (0, 1, "x") and
         v["i"]["separator_count"] == 0,
         "L with an isolate: unchanged, the isolate in no separator")

    # One group only: no pairs at all.
    d.call("ingest", {"people": [{"id": q, "sector": "solo"}
                                 for q in ("s1", "s2", "s3")],
                      "records": [rec("s1-s2", ts="2019-05-01"),
                                  rec("s2-s3", ts="2019-05-01")]})
    r, v, p = analyse(d, window={"to": "2020-01-01"})
    t.ok(p == {} and all(x["separator_count"] == 0 for x in v.values()) and
         len(v) == 3, "one group: no pair rows, counts 0", (p, v))
    # Empty view.
    r, v, p = analyse(d, window={"to": "2010-01-01"})
    t.eq((r["view"]["vertices"], v, p), (0, {}, {}), "empty view: no rows")
    t.eq(d.stop(), 0, "L: clean stop")


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


def check_view(ppl, recs, v, p):
    """Compare the plugin's rows with networkx; returns a list of
    problems (empty when all agree)."""
    group = {x["id"]: x["sector"] for x in ppl}
    C = nx.Graph()
    for r in recs:
        C.add_edge(r["from"], r["to"])
    groups = sorted({group[x] for x in C})
    problems, counts = [], dict.fromkeys(C, 0)
    for i, s in enumerate(groups):
        for tt in groups[i + 1:]:
            row = p.get((s, tt))
            direct = sum(1 for a, b in C.edges()
                         if {group[a], group[b]} == {s, tt})
            if row is None:
                problems.append(f"{s}-{tt}: no row")
                continue
            if row["direct_ties"] != direct:
                problems.append(f"{s}-{tt}: direct {row['direct_ties']} "
                                f"!= {direct}")
            if direct:
                if row["cut_size"] is not None or row["separator"] is not None:
                    problems.append(f"{s}-{tt}: tied but cut {row}")
                continue
            H = nx.Graph()
            H.add_nodes_from(["S", "T"])

            def m(x):
                return "S" if group[x] == s else "T" if group[x] == tt else x
            for a, b in C.edges():
                if m(a) != m(b):
                    H.add_edge(m(a), m(b))
            want = local_node_connectivity(H, "S", "T")
            nxcut = minimum_st_node_cut(H, "S", "T")
            value, closest = closest_to_s(H)
            sep = set(row["separator"].split(", ")) if row["separator"] \
                else set()
            G2 = H.copy()
            G2.remove_nodes_from(sep)
            if not (row["cut_size"] == want == len(nxcut) == value ==
                    len(sep)):
                problems.append(f"{s}-{tt}: cut {row['cut_size']}, networkx "
                                f"{want}/{len(nxcut)}/{value}, separator "
                                f"{len(sep)}")
            if any(group.get(x) in (s, tt) or x not in C for x in sep):
                problems.append(f"{s}-{tt}: separator {sep} not outside")
            if nx.has_path(G2, "S", "T"):
                problems.append(f"{s}-{tt}: separator {sep} does not "
                                f"separate")
            if sep != closest:
                problems.append(f"{s}-{tt}: separator {sorted(sep)} is not "
                                f"the one closest to {s}: {sorted(closest)}")
            if row["separator"] and row["separator"].split(", ") != \
                    sorted(sep, key=lambda x: x.encode()):
                problems.append(f"{s}-{tt}: separator not in id order")
            for x in sep:
                if x in counts:
                    counts[x] += 1
    for x, c in counts.items():
        if v[x]["separator_count"] != c:
            problems.append(f"{x}: separator_count {v[x]['separator_count']}"
                            f" != {c}")
    return problems


with Daemon() as d:
    d.start()
    rng = random.Random(31337)
    cases, year = [], 2001
    for n_groups in (2, 3, 5, 8):
        for sizes in ((60, 30, 9), (120,), (45, 45)):
            ppl, recs = random_network(rng, f"r{year}", year, n_groups, sizes)
            d.call("ingest", {"people": ppl, "records": recs})
            cases.append((year, n_groups, sizes, ppl, recs))
            year += 1
    total_pairs = total_cut = 0
    sizes_seen = {}
    for year, n_groups, sizes, ppl, recs in cases:
        window = {"from": f"{year}-01-01", "to": f"{year + 1}-01-01"}
        r, v, p = analyse(d, window=window)
        problems = check_view(ppl, recs, v, p)
        cut = [x for x in p.values() if x["cut_size"]]
        for x in p.values():
            k = x["cut_size"]
            sizes_seen[k] = sizes_seen.get(k, 0) + 1
        total_pairs += len(p)
        total_cut += len(cut)
        t.ok(not problems, f"random {year}: {n_groups} groups, components "
             f"{sizes}+2 dyads: {len(p)} pairs ({len(cut)} with a cut > 0) "
             f"agree with networkx", "\n".join(problems[:20]))
    t.diag(f"random: {total_pairs} group pairs, {total_cut} with a positive "
           f"cut; pairs by cut size (None: directly tied): "
           f"{sorted(sizes_seen.items(), key=lambda kv: (kv[0] is not None, kv[0] or 0))}")
    t.ok(total_cut >= 10, "random: enough pairs with a real separator",
         total_cut)
    t.eq(d.stop(), 0, "random: clean stop")

# ---------------------------------------------------------------------------
# Timing diagnostic: 20k people and 200k ties in 8 groups; each group a
# random graph, 1% of ties to the next group in a ring, so the
# group pairs that are not neighbours (20 of 28) need a flow.
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
    r, v, p = analyse(d, timeout=3600, top=1)
    cuts = sorted(x["cut_size"] for x in p.values()
                  if x["cut_size"] is not None)
    t.diag(f"timing {r['view']['vertices']} people, {r['view']['edges']} "
           f"arcs, {len(p)} pairs ({len(cuts)} flows, cuts {cuts[0]}.."
           f"{cuts[-1]}): {time.monotonic() - t0:.2f} s wall, elapsed_ms "
           f"{r['elapsed_ms']:.0f}")
    t.ok(len(cuts) == 20, "timing: 20 pairs needed a flow (diagnostic)")
    t.eq(d.stop(), 0, "timing: clean stop")
t.done()
