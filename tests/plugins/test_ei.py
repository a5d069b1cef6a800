"""The ei plugin (METRICS.md "ei": Krackhardt & Stern's E-I index on the
undirected collapse) on small networks worked by hand: vertex, group and
network rows, counted and weighted, undirected ties, isolates, groups of
one, one group, no ties across groups, the expected E-I, the empty view,
and the permutation test, which is checked exactly against a port of the
plugin's seeded generator (splitmix64 + Fisher-Yates) so that a seed means
the same p-values on every platform. Each group's expected E-I by hand,
and the groups' p-values and the `strata` parameter against a permutation
test written here with Python's own generator (a seed-independent check:
within 3 Monte-Carlo standard errors)."""
import math
import random

from spandtest import TAP, Daemon, RpcError

t = TAP()
TS = "2024-01-15"


def rec(spec, weight=1, directed=True, ts=TS):
    """A record from "a>b" (directed) or "a-b" (undirected)."""
    a, b = spec.replace("-", ">").split(">")
    r = {"ts": ts, "from": a, "to": b, "kind": "advice", "weight": weight}
    if "-" in spec or not directed:
        r["directed"] = False
    return r


def people(groups):
    """People from {sector: "ids separated by spaces"}."""
    return [{"id": p, "sector": s} for s, ids in groups.items()
            for p in ids.split()]


def analyse(d, params=None, **kw):
    """(result, {id: row}, {group: row}, network row), rows as dicts."""
    req = {"plugin": "ei", **kw}
    if params is not None:
        req["params"] = params
    r = d.call("analyse", req)

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
    return (row["external"], row["internal"], row["ei"])


def same(got, want):
    return all(close(g, w) for g, w in zip(got, want)) and \
        len(got) == len(want)


# --- a port of the plugin's permutation test -------------------------------
M64 = (1 << 64) - 1


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return state, z ^ (z >> 31)


def uniform_below(state, bound):
    reject = ((1 << 64) - bound) % bound
    while True:
        state, x = splitmix64(state)
        if x >= reject:
            return state, x % bound


def permutation_p(labels, edges, perms, seed):
    """p_greater, p_less as ei.c computes them: labels in view order
    (vertices by id, groups by name, both in byte order), edges
    {(i, j): weight} of the undirected collapse, shuffles applied one after
    another, E-I compared within 1e-12."""
    total = sum(edges.values())

    def ei(lab):
        i = sum(w for (a, b), w in edges.items() if lab[a] == lab[b])
        return (total - 2 * i) / total

    observed = ei(labels)
    lab, state, ge, le = list(labels), seed & M64, 0, 0
    for _ in range(perms):
        for i in range(len(lab) - 1, 0, -1):
            state, j = uniform_below(state, i + 1)
            lab[i], lab[j] = lab[j], lab[i]
        x = ei(lab)
        ge += x >= observed - 1e-12
        le += x <= observed + 1e-12
    return ge / perms, le / perms


def view_order(ppl, edges_by_id):
    """Labels and collapsed edges numbered as the view numbers them."""
    ids = sorted((p["id"] for p in ppl), key=lambda s: s.encode())
    groups = sorted({p["sector"] for p in ppl}, key=lambda s: s.encode())
    sector = {p["id"]: p["sector"] for p in ppl}
    index = {p: k for k, p in enumerate(ids)}
    labels = [groups.index(sector[p]) for p in ids]
    edges = {(index[a], index[b]): w for (a, b), w in edges_by_id.items()}
    return labels, edges


# ---------------------------------------------------------------------------
# Network E. adults a b c, children d e g, nhs f (g has no tie).
#   a>b weight 2 and b>a weight 1   one edge {a,b}, weight 2 + 1 = 3
#   a>d 1                           {a,d} 1
#   b-c undirected, weight 1        two arcs of 1: {b,c}, weight 1 + 1 = 2
#   d>e 0.5                         {d,e} 0.5
#   e>f 4                           {e,f} 4
#   f>a 1                           {a,f} 1
# Internal edges: {a,b} {b,c} (adults), {d,e} (children); external: {a,d}
# {e,f} {a,f}.
#            counted          weighted
#   vertex   E  I  ei         E  I    ei
#   a        2  1  1/3        2  3    -1/5    ({a,d} {a,f} | {a,b})
#   b        0  2  -1         0  5    -1      ({a,b} {b,c})
#   c        0  1  -1         0  2    -1
#   d        1  1  0          1  0.5  1/3     ({a,d} | {d,e})
#   e        1  1  0          4  0.5  7/9     ({e,f} | {d,e})
#   f        2  0  1          5  0    1       ({e,f} {a,f})
#   group    (E: one end in the group; I: both ends)
#   adults   2  2  0          2  5    -3/7    ({a,d} {a,f} | {a,b} {b,c})
#   children 2  1  1/3        5  0.5  9/11    ({a,d} {e,f} | {d,e})
#   nhs      2  0  1          5  0    1
#   network  3  3  0          6  5.5  1/23
# expected_ei: sizes 3, 2, 1, N = 6: P_int = (3*2 + 2*1 + 0) / (6*5)
# = 8/30, expected_ei = 1 - 16/30 = 7/15. With isolates g joins children:
# sizes 3, 3, 1, N = 7: P_int = 12/42, expected_ei = 1 - 24/42 = 3/7.
PEOPLE_E = people({"adults": "a b c", "children": "d e g", "nhs": "f"})
RECORDS_E = [rec("a>b", 2), rec("b>a", 1), rec("a>d"), rec("b-c"),
             rec("d>e", 0.5), rec("e>f", 4), rec("f>a")]
EDGES_E = {("a", "b"): 3, ("a", "d"): 1, ("b", "c"): 2, ("d", "e"): 0.5,
           ("e", "f"): 4, ("a", "f"): 1}
COUNTED_V = {"a": (2, 1, 1 / 3), "b": (0, 2, -1), "c": (0, 1, -1),
             "d": (1, 1, 0), "e": (1, 1, 0), "f": (2, 0, 1)}
WEIGHTED_V = {"a": (2, 3, -1 / 5), "b": (0, 5, -1), "c": (0, 2, -1),
              "d": (1, 0.5, 1 / 3), "e": (4, 0.5, 7 / 9), "f": (5, 0, 1)}

with Daemon() as d:
    d.start()
    d.call("ingest", {"people": PEOPLE_E, "records": RECORDS_E})

    info = {p["name"]: p for p in d.call("plugins")["plugins"]}["ei"]
    t.eq([(p["name"], p["type"], p["default"]) for p in info["params"]],
         [("weighted", "bool", "false"), ("permutations", "int", "1000"),
          ("seed", "int", "1"), ("strata", "attribute", "")],
         "declared parameters and defaults")
    t.eq([(c["table"], c["name"]) for c in info["columns"]],
         [("vertex", "external"), ("vertex", "internal"), ("vertex", "ei"),
          ("group", "external"), ("group", "internal"), ("group", "ei"),
          ("group", "expected_ei"), ("group", "p_greater"),
          ("group", "p_less"), ("network", "external"), ("network", "internal"),
          ("network", "ei"), ("network", "expected_ei"),
          ("network", "p_greater"), ("network", "p_less")],
         "declared columns")

    r, v, g, net = analyse(d, {"permutations": 0})
    t.eq((r["view"]["vertices"], r["view"]["edges"]), (6, 8),
         "E: 6 people, 8 arcs (b-c is two)")
    t.ok(all(same(triple(v[p]), want) for p, want in COUNTED_V.items()),
         "E counted: vertex E, I, E-I as by hand",
         {p: triple(x) for p, x in v.items()})
    t.ok(same(triple(g["adults"]), (2, 2, 0)) and
         same(triple(g["children"]), (2, 1, 1 / 3)) and
         same(triple(g["nhs"]), (2, 0, 1)),
         "E counted: group rows", {k: triple(x) for k, x in g.items()})
    t.ok(same(triple(net), (3, 3, 0)) and close(net["expected_ei"], 7 / 15),
         "E counted: network E, I, E-I and expected_ei = 7/15", net)
    t.ok(net["p_greater"] is None and net["p_less"] is None,
         "E: permutations = 0: no p-values (null)", net)
    # Group expected_ei = (2(N - n) - (n - 1)) / (2(N - n) + (n - 1)),
    # N = 6: adults n = 3: (6 - 2) / (6 + 2) = 1/2; children n = 2:
    # (8 - 1) / (8 + 1) = 7/9; nhs n = 1: 10 / 10 = 1.
    t.ok(close(g["adults"]["expected_ei"], 1 / 2) and
         close(g["children"]["expected_ei"], 7 / 9) and
         g["nhs"]["expected_ei"] == 1,
         "E: group expected_ei 1/2, 7/9, 1 by hand",
         {k: x["expected_ei"] for k, x in g.items()})
    t.ok(all(x["p_greater"] is None and x["p_less"] is None
             for x in g.values()),
         "E: permutations = 0: no group p-values (null)")

    r, v, g, net = analyse(d, {"weighted": True, "permutations": 0})
    t.ok(all(same(triple(v[p]), want) for p, want in WEIGHTED_V.items()),
         "E weighted: an edge weighs w_ij + w_ji",
         {p: triple(x) for p, x in v.items()})
    t.ok(same(triple(g["adults"]), (2, 5, -3 / 7)) and
         same(triple(g["children"]), (5, 0.5, 9 / 11)) and
         same(triple(g["nhs"]), (5, 0, 1)),
         "E weighted: group rows", {k: triple(x) for k, x in g.items()})
    t.ok(same(triple(net), (6, 5.5, 1 / 23)) and
         close(net["expected_ei"], 7 / 15),
         "E weighted: network (expected_ei ignores weights)", net)

    r, v, g, net = analyse(d, {"permutations": 0}, isolates=True)
    t.ok(r["view"]["vertices"] == 7 and triple(v["g"]) == (0, 0, None),
         "E+isolates: g has no ties: E = I = 0, E-I null", v.get("g"))
    t.ok(same(triple(g["children"]), (2, 1, 1 / 3)) and
         same(triple(net), (3, 3, 0)) and close(net["expected_ei"], 3 / 7),
         "E+isolates: counts unchanged, expected_ei = 3/7", net)
    # N = 7, adults and children n = 3: (8 - 2) / (8 + 2) = 3/5; nhs 1.
    t.ok(close(g["adults"]["expected_ei"], 3 / 5) and
         close(g["children"]["expected_ei"], 3 / 5) and
         g["nhs"]["expected_ei"] == 1,
         "E+isolates: group expected_ei 3/5, 3/5, 1 (g counts in N and n)",
         {k: x["expected_ei"] for k, x in g.items()})

    # The permutation test, predicted exactly by the port above.
    labels, edges = view_order([p for p in PEOPLE_E if p["id"] != "g"],
                               EDGES_E)
    counted = {e: 1 for e in edges}
    for params, wts, what in [({}, counted, "defaults (1000, seed 1)"),
                              ({"seed": 7, "permutations": 200}, counted,
                               "seed 7"),
                              ({"seed": -3, "permutations": 200}, counted,
                               "negative seed"),
                              ({"weighted": True, "seed": 7,
                                "permutations": 200}, edges, "weighted")]:
        r, v, g, net = analyse(d, params)
        want = permutation_p(labels, wts, params.get("permutations", 1000),
                             params.get("seed", 1))
        t.eq((net["p_greater"], net["p_less"]), want,
             f"E: p_greater, p_less reproduce the seeded test: {what}")
        t.ok(net["p_greater"] + net["p_less"] >= 1,
             f"E: every permutation is >= or <= the observed: {what}")
    a = analyse(d, {"seed": 11, "permutations": 300})[3]
    b = analyse(d, {"seed": "11", "permutations": "300"})[3]
    t.eq((a["p_greater"], a["p_less"]), (b["p_greater"], b["p_less"]),
         "E: parameters given as strings: the same p-values")

    try:
        analyse(d, {"permutations": -1})
        t.ok(False, "E: negative permutations refused")
    except RpcError as e:
        t.eq(e.code, 1010, "E: negative permutations: analysis failed")
    t.eq(d.stop(), 0, "E: clean stop")

# ---------------------------------------------------------------------------
# Network S: segregated. adults a1..a4 and children c1..c4, each group a
# complete undirected K4 (6 edges each), nothing across: every E-I is -1
# (all internal). Every permuted labelling has E-I >= -1, so p_greater is
# exactly 1; p_less counts the permutations that keep the split (2 of the
# C(8,4) = 70 splits), about 3%.
PEOPLE_S = people({"adults": "a1 a2 a3 a4", "children": "c1 c2 c3 c4"})
PAIRS_S = [(f"{x}{i}", f"{x}{j}") for x in "ac" for i in range(1, 5)
           for j in range(i + 1, 5)]
with Daemon() as d:
    d.start()
    d.call("ingest", {"people": PEOPLE_S,
                      "records": [rec(f"{a}-{b}") for a, b in PAIRS_S]})
    r, v, g, net = analyse(d)
    t.ok(all(triple(x) == (0, 3, -1) for x in v.values()),
         "S: no cross-group ties: every person E-I = -1 (3 internal ties)")
    t.ok(all(triple(x) == (0, 6, -1) for x in g.values()),
         "S: each group: 6 internal edges, E-I = -1")
    # expected_ei: P_int = (4*3 + 4*3) / (8*7) = 24/56, 1 - 48/56 = 1/7.
    t.ok(same(triple(net), (0, 12, -1)) and close(net["expected_ei"], 1 / 7),
         "S: network E-I = -1, expected_ei = 1/7", net)
    labels, edges = view_order(PEOPLE_S, {p: 1 for p in PAIRS_S})
    t.eq(net["p_greater"], 1.0, "S: p_greater = 1 at the minimum E-I")
    t.eq((net["p_greater"], net["p_less"]),
         permutation_p(labels, edges, 1000, 1), "S: p_less as predicted")
    t.ok(0 < net["p_less"] < 0.1, "S: p_less near 2/70", net["p_less"])
    t.eq(d.stop(), 0, "S: clean stop")

# ---------------------------------------------------------------------------
# One group, and a group of one. nhs n1 n2 n3 with n1-n2, n2>n3: one
# group: everything internal, E-I = -1, expected_ei = 1 - 2*1 = -1, and
# every permutation gives the same E-I: p_greater = p_less = 1.
with Daemon() as d:
    d.start()
    d.call("ingest", {"people": people({"nhs": "n1 n2 n3"}),
                      "records": [rec("n1-n2"), rec("n2>n3")]})
    r, v, g, net = analyse(d, {"permutations": 50})
    t.ok(same(triple(net), (0, 2, -1)) and net["expected_ei"] == -1 and
         (net["p_greater"], net["p_less"]) == (1.0, 1.0),
         "one group: E-I -1, expected -1, p-values 1", net)
    t.ok(g["nhs"]["expected_ei"] == -1 and
         (g["nhs"]["p_greater"], g["nhs"]["p_less"]) == (1.0, 1.0),
         "one group: the group's expected E-I is -1, its p-values 1",
         g["nhs"])
    t.ok(same(triple(v["n2"]), (0, 2, -1)), "one group: n2 has 2 ties")
    # Now v1 alone in voluntary, tied to n1 and n3: its E-I is +1, its
    # group's too; nhs gains two external edges.
    d.call("ingest", {"people": [{"id": "v1", "sector": "voluntary"}],
                      "records": [rec("v1>n1"), rec("n3>v1")]})
    r, v, g, net = analyse(d, {"permutations": 0})
    t.ok(same(triple(v["v1"]), (2, 0, 1)) and
         same(triple(g["voluntary"]), (2, 0, 1)) and
         same(triple(g["nhs"]), (2, 2, 0)),
         "group of one: E-I +1; nhs E = 2, I = 2",
         {k: triple(x) for k, x in g.items()})
    # expected_ei: sizes 3, 1, N = 4: P_int = 6/12, expected_ei = 0.
    t.ok(same(triple(net), (2, 2, 0)) and close(net["expected_ei"], 0),
         "group of one: network E-I 0, expected 0", net)
    # N = 4: nhs n = 3: (2 - 2) / (2 + 2) = 0; voluntary n = 1: 6/6 = 1.
    t.ok(close(g["nhs"]["expected_ei"], 0) and
         g["voluntary"]["expected_ei"] == 1,
         "group of one: group expected_ei 0 (nhs) and 1 (voluntary)",
         {k: x["expected_ei"] for k, x in g.items()})
    t.eq(d.stop(), 0, "one group: clean stop")

# ---------------------------------------------------------------------------
# Empty view: no rows, and a network row of zeros and nulls.
with Daemon() as d:
    d.start()
    d.call("ingest", {"people": PEOPLE_E, "records": RECORDS_E})
    r, v, g, net = analyse(d, window={"to": "2020-01-01"})
    t.eq((r["view"]["vertices"], v, g), (0, {}, {}), "empty view: no rows")
    t.eq(triple(net) + (net["expected_ei"], net["p_greater"],
                        net["p_less"]), (0, 0, None, None, None, None),
         "empty view: E = I = 0, everything else null")
    # Isolates only (nobody tied in the window): N = 7, no edges: E-I and
    # the p-values are undefined, expected_ei is not (3/7).
    r, v, g, net = analyse(d, window={"to": "2020-01-01"}, isolates=True)
    t.ok(r["view"]["vertices"] == 7 and net["ei"] is None and
         net["p_greater"] is None and close(net["expected_ei"], 3 / 7) and
         all(x["ei"] is None for x in v.values()),
         "isolates only: E-I null everywhere, expected_ei 3/7", net)
    t.eq(d.stop(), 0, "empty: clean stop")
# ---------------------------------------------------------------------------
# Group p-values and strata, against a permutation test written here with
# Python's own generator: a different sequence of shuffles, so the check
# is statistical: spand's p (2,000 permutations) within 3 Monte-Carlo
# standard errors of Python's (10,000), the error of a difference of two
# independent estimates: 3 * sqrt(p (1 - p) (1/2000 + 1/10000)), with p
# kept at least 1/4000 from 0 and 1 so an exact 0 or 1 is not asked for
# bit for bit. Group E-I here comes straight from the definition (E_s:
# edges with one end in s, I_s: both ends), not from the plugin's sums.
SPAND_PERMS, PY_PERMS = 2000, 10000


def group_eis(lab, edges, ngroups):
    ext, inn = [0.0] * ngroups, [0.0] * ngroups
    for (a, b), w in edges.items():
        if lab[a] == lab[b]:
            inn[lab[a]] += w
        else:
            ext[lab[a]] += w
            ext[lab[b]] += w
    return [(e - i) / (e + i) if e + i else None for e, i in zip(ext, inn)]


def network_ei_py(lab, edges):
    e = sum(w for (a, b), w in edges.items() if lab[a] != lab[b])
    i = sum(w for (a, b), w in edges.items() if lab[a] == lab[b])
    return (e - i) / (e + i)


def py_permutation(labels, edges, ngroups, strata, perms, rng):
    """{"network": (p_greater, p_less), group index: (...)}: labels
    shuffled within each stratum (strata: a key per vertex, None for no
    value, which is a stratum of its own)."""
    by = {}
    for v, k in enumerate(strata):
        by.setdefault(k, []).append(v)
    obs_n = network_ei_py(labels, edges)
    obs_g = group_eis(labels, edges, ngroups)
    cnt = {"network": [0, 0], **{g: [0, 0] for g in range(ngroups)}}
    for _ in range(perms):
        lab = list(labels)
        for idx in by.values():
            vals = [lab[v] for v in idx]
            rng.shuffle(vals)
            for v, x in zip(idx, vals):
                lab[v] = x
        pairs = [("network", network_ei_py(lab, edges), obs_n)]
        pairs += [(g, x, o) for g, (x, o) in
                  enumerate(zip(group_eis(lab, edges, ngroups), obs_g))]
        for key, x, o in pairs:
            if x is None or o is None:
                continue
            cnt[key][0] += x >= o - 1e-9
            cnt[key][1] += x <= o + 1e-9
    return {k: (c[0] / perms, c[1] / perms) for k, c in cnt.items()}


def within_3se(got, want):
    p = min(max(want, 1 / 4000), 1 - 1 / 4000)
    return abs(got - want) <= 3 * math.sqrt(
        p * (1 - p) * (1 / SPAND_PERMS + 1 / PY_PERMS))


def check_against_python(d, ppl, edges_by_id, params, strata_key, what):
    """Analyse with SPAND_PERMS permutations and compare every group's and
    the network's p-values with py_permutation(); returns the answer."""
    ids = sorted((p["id"] for p in ppl), key=lambda s: s.encode())
    names = sorted({p["sector"] for p in ppl}, key=lambda s: s.encode())
    labels, edges = view_order(ppl, edges_by_id)
    if not params.get("weighted"):
        edges = {e: 1 for e in edges}
    byid = {p["id"]: p for p in ppl}
    strata = [byid[i].get(strata_key) if strata_key else None for i in ids]
    want = py_permutation(labels, edges, len(names), strata, PY_PERMS,
                          random.Random(20240115))
    r, v, g, net = analyse(d, {"permutations": SPAND_PERMS, **params})
    got = {"network": (net["p_greater"], net["p_less"])}
    got.update({k: (g[n]["p_greater"], g[n]["p_less"])
                for k, n in enumerate(names)})
    bad = {names[k] if k != "network" else k: (got[k], want[k])
           for k in want
           if not all(within_3se(a, b) for a, b in zip(got[k], want[k]))}
    t.ok(not bad, f"{what}: every p_greater / p_less within 3 Monte-Carlo "
         "standard errors of a Python permutation test", bad or got)
    return got, want


# Network R: 36 people, adults 18, children 12, nhs 6, random undirected
# ties, a little likelier within a group (0.12) than across (0.09),
# weights 1-3: some groups' p-values are far from 0 and 1.
rng = random.Random(7)
PEOPLE_R = people({"adults": " ".join(f"a{i:02d}" for i in range(18)),
                   "children": " ".join(f"c{i:02d}" for i in range(12)),
                   "nhs": " ".join(f"n{i:02d}" for i in range(6))})
EDGES_R = {}
for i, p in enumerate(PEOPLE_R):
    for q in PEOPLE_R[i + 1:]:
        same_group = p["sector"] == q["sector"]
        if rng.random() < (0.12 if same_group else 0.09):
            EDGES_R[(p["id"], q["id"])] = rng.choice([1, 2, 3])
with Daemon() as d:
    d.start()
    d.call("ingest", {"people": PEOPLE_R,
                      "records": [rec(f"{a}-{b}", w / 2)
                                  for (a, b), w in EDGES_R.items()]})
    got, want = check_against_python(d, PEOPLE_R, EDGES_R, {}, None,
                                      "R counted")
    t.ok(any(0.02 < p < 0.98 for k, pair in want.items() if k != "network"
             for p in pair),
         "R: some group p-value is far from 0 and 1 (the check above is "
         "not only about certainties)", want)
    check_against_python(d, PEOPLE_R, EDGES_R, {"weighted": True, "seed": 3},
                         None, "R weighted")
    # Ties likelier within groups: the network looks inward (about 0.04).
    t.ok(got["network"][1] < 0.1 and got["network"][0] > 0.9,
         "R: network p_less < 0.1, p_greater > 0.9", got["network"])
    t.eq(d.stop(), 0, "R: clean stop")

# Network T: two sites, each mixed differently: site north holds 12 adults
# and 2 children, site south 2 adults and 12 children; ties fall at random
# (0.4) among the people of a site, never across sites, whatever their
# group. Pooled, label shuffles put children among the northern adults, so
# the observed network (few cross-group ties, since each site is mostly one
# group) looks far more inward than chance: p_less near 0. Within sites,
# the observed mix is what random ties give: p_less is no longer small.
# Three more people without a site (a stratum of their own) are tied to
# each other.
rng = random.Random(11)
PEOPLE_T = []
for site, na, nc in [("north", 12, 2), ("south", 2, 12)]:
    PEOPLE_T += [{"id": f"{site[0]}a{i:02d}", "sector": "adults",
                  "site": site} for i in range(na)]
    PEOPLE_T += [{"id": f"{site[0]}c{i:02d}", "sector": "children",
                  "site": site} for i in range(nc)]
PEOPLE_T += [{"id": "xa1", "sector": "adults"},
             {"id": "xc1", "sector": "children"},
             {"id": "xc2", "sector": "children"}]
EDGES_T = {("xa1", "xc1"): 1, ("xc1", "xc2"): 1}
for i, p in enumerate(PEOPLE_T[:28]):
    for q in PEOPLE_T[i + 1:28]:
        if p["site"] == q["site"] and rng.random() < 0.4:
            EDGES_T[(p["id"], q["id"])] = 1
with Daemon() as d:
    d.start()
    d.call("ingest", {"people": PEOPLE_T,
                      "records": [rec(f"{a}-{b}")
                                  for (a, b) in EDGES_T]})
    pooled, _ = check_against_python(d, PEOPLE_T, EDGES_T, {}, None,
                                     "T pooled")
    strat, _ = check_against_python(d, PEOPLE_T, EDGES_T,
                                    {"strata": "site"}, "site",
                                    "T strata=site")
    t.ok(pooled["network"][1] < 0.01 and strat["network"][1] > 0.05,
         "T: pooled permutations find the network inward-looking "
         "(p_less < 0.01), site by site they do not (p_less > 0.05)",
         (pooled["network"], strat["network"]))
    t.ok(pooled[0][1] < 0.01 and strat[0][1] > 0.05,
         "T: the same for the adults group", (pooled[0], strat[0]))
    # A stratum of everybody is no stratum: the same shuffles, the same
    # p-values to the bit (everyone gets region = "all").
    d.call("ingest", {"people": [{**p, "region": "all"} for p in PEOPLE_T]})
    a = analyse(d, {"seed": 5, "permutations": 300})
    b = analyse(d, {"seed": 5, "permutations": 300, "strata": "region"})
    t.eq([(x["p_greater"], x["p_less"]) for x in [a[3], *a[2].values()]],
         [(x["p_greater"], x["p_less"]) for x in [b[3], *b[2].values()]],
         "T: strata with one value for everybody: the unstratified "
         "p-values exactly")
    t.eq(d.stop(), 0, "T: clean stop")
t.done()
