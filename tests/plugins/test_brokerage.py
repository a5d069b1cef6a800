"""The brokerage plugin (METRICS.md "brokerage": Gould & Fernandez roles
with sna::brokerage's null model) on small networks counted by hand: every
role, groups of one, isolates, undirected ties, one group, no ties across
groups and an empty view. A real daemon is started for each network; the
comparison with R itself is test_brokerage_sna.py."""
import math

from spandtest import TAP, Daemon

t = TAP()
TS = "2024-01-15"
ROLES = ["coordinator", "itinerant", "representative", "gatekeeper",
         "liaison", "total"]
COLUMNS = ROLES + [f"{r}_{s}" for r in ROLES for s in ("expected", "sd", "z")]


def records(arcs, undirected=(), ts=TS):
    """Records for directed arcs "a>b" and undirected ties "a-b"."""
    out = []
    for arc in arcs:
        a, b = arc.split(">")
        out.append({"ts": ts, "from": a, "to": b, "kind": "advice"})
    for tie in undirected:
        a, b = tie.split("-")
        out.append({"ts": ts, "from": a, "to": b, "kind": "meeting",
                    "directed": False})
    return out


def people(groups):
    """People from {sector: "ids separated by spaces"}."""
    return [{"id": p, "sector": s} for s, ids in groups.items()
            for p in ids.split()]


def analyse(d, **kw):
    """(result, {id: row}, {group: row}, network row), rows as dicts."""
    r = d.call("analyse", {"plugin": "brokerage", **kw})

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


def raw(row):
    return [row[r] for r in ROLES]


def check_stats(row, role, raw_count, expected, var, what):
    """ROLE_expected, ROLE_sd and ROLE_z against hand-worked values; z is
    null where the variance is 0."""
    sd = math.sqrt(var)
    z = (raw_count - expected) / sd if sd > 0 else None
    got = (row[f"{role}_expected"], row[f"{role}_sd"], row[f"{role}_z"])
    t.ok(close(got[0], expected) and close(got[1], sd) and close(got[2], z),
         f"{what}: {role} expected, sd, z",
         f"got:  {got}\nwant: {(expected, sd, z)}")


def null_terms(d):
    """sna's powers of the density: D, A, B, C (see brokerage.c)."""
    return (d * d * (1 - d), d ** 3 * (1 - d) ** 3, d ** 4 * (1 - d) ** 2,
            d ** 5 * (1 - d))


# ---------------------------------------------------------------------------
# Network A. adults a b c, children d e, nhs f; g (children) has no tie.
#   arcs: a>b b>c d>a a>e b>d e>f f>a
#
#   broker  in    out   two-paths a->v->b (open: no arc a->b)
#   a       d f   b e   d>a>b  children adults adults    gatekeeper
#                       d>a>e  children adults children  itinerant
#                       f>a>b  nhs adults adults         gatekeeper
#                       f>a>e  nhs adults children       liaison
#   b       a     c d   a>b>c  adults adults adults      coordinator
#                       a>b>d  adults adults children    representative
#   c       b     -     (no out-arcs)
#   d       b     a     b>d>a  adults children adults    itinerant
#   e       a     f     a>e>f  adults children nhs       liaison
#   f       e     a     e>f>a  children nhs adults       liaison
# All are open: none of the closing arcs d>b d>e f>b f>e a>c a>d b>a a>f
# e>a is among the seven arcs.
RAW_A = {  # coordinator itinerant representative gatekeeper liaison total
    "a": [0, 1, 0, 2, 1, 4], "b": [1, 0, 1, 0, 0, 2], "c": [0] * 6,
    "d": [0, 1, 0, 0, 0, 1], "e": [0, 0, 0, 0, 1, 1],
    "f": [0, 0, 0, 0, 1, 1]}
PEOPLE_A = people({"adults": "a b c", "children": "d e g", "nhs": "f"})
RECORDS_A = records(["a>b", "b>c", "d>a", "a>e", "b>d", "e>f", "f>a"])

with Daemon() as d:
    d.start()
    d.call("ingest", {"people": PEOPLE_A, "records": RECORDS_A})

    info = {p["name"]: p for p in d.call("plugins")["plugins"]}["brokerage"]
    t.eq([c["name"] for c in info["columns"] if c["table"] == "vertex"],
         COLUMNS, "vertex columns: 6 roles, then expected/sd/z per role")
    t.eq([c["name"] for c in info["columns"] if c["table"] == "group"],
         ROLES, "group columns: the raw counts")
    t.eq([c["name"] for c in info["columns"] if c["table"] == "network"],
         COLUMNS, "network columns: as the vertex table")

    r, v, g, net = analyse(d)
    t.eq(r["view"]["vertices"], 6, "A: g (no tie) is not in the view")
    t.eq({k: raw(x) for k, x in v.items()}, RAW_A,
         "A: every role of every person counted as by hand")
    # Groups: adults = a + b + c; children = d + e; nhs = f.
    t.eq({k: raw(x) for k, x in g.items()},
         {"adults": [1, 1, 1, 2, 1, 6], "children": [0, 1, 0, 0, 1, 2],
          "nhs": [0, 0, 0, 0, 1, 1]}, "A: group rows sum their members")
    t.eq(raw(net), [1, 2, 1, 2, 3, 9], "A: network raw counts (raw.gli)")

    # Null model: N = 6, 7 arcs, d = 7 / (6 * 5); sizes 3 (adults), 2, 1.
    D, A, B, C = null_terms(7 / 30)
    # a, in a group of 3 (sna's ebr/vbr rows):
    #   coordinator  E = D (n-1)(n-2) = 2D;  V = E(1-D) + 2(n-1)(n-2)(n-3)A
    #                                              = 2D(1-D)
    #   itinerant    E = D sum_other n(n-1) = D (2*1 + 1*0) = 2D;
    #                V = E(1-D) + 2 sum_other n(n-1)(n-2) A = 2D(1-D)
    #   repr./gate.  E = D (N-n)(n-1) = 6D;
    #                V = E(1-D) + 2((n-1)C(N-n,2) + (N-n)C(n-1,2))A
    #                  = 6D(1-D) + 2(2*3 + 3*1)A = 6D(1-D) + 18A
    #   liaison      E = D (ordered pairs of other groups: 2*1 + 1*2) = 4D;
    #                V = E(1-D) + 4 sum_other n_j C(N-n_j-n,2) A
    #                  = 4D(1-D) + 4(2*C(1,2) + 1*C(2,2))A = 4D(1-D) + 4A
    #   total        E = D (N-1)(N-2) = 20D; V = 20D(1-D) + 2*5*4*3 A
    a = v["a"]
    check_stats(a, "coordinator", 0, 2 * D, 2 * D * (1 - D), "A: a")
    check_stats(a, "itinerant", 1, 2 * D, 2 * D * (1 - D), "A: a")
    check_stats(a, "representative", 0, 6 * D, 6 * D * (1 - D) + 18 * A,
                "A: a")
    check_stats(a, "gatekeeper", 2, 6 * D, 6 * D * (1 - D) + 18 * A, "A: a")
    check_stats(a, "liaison", 1, 4 * D, 4 * D * (1 - D) + 4 * A, "A: a")
    check_stats(a, "total", 4, 20 * D, 20 * D * (1 - D) + 120 * A, "A: a")
    # f, alone in nhs: no coordinator or representative role is possible
    # (E = V = 0, z null); itinerant E = D(3*2 + 2*1) = 8D,
    # V = 8D(1-D) + 2(3*2*1 + 0)A; liaison E = D(3*2 + 2*3) = 12D,
    # V = 12D(1-D) + 4(3*C(2,2) + 2*C(3,2))A = 12D(1-D) + 36A.
    f = v["f"]
    check_stats(f, "coordinator", 0, 0, 0, "A: f (group of one)")
    check_stats(f, "representative", 0, 0, 0, "A: f (group of one)")
    check_stats(f, "gatekeeper", 0, 0, 0, "A: f (group of one)")
    check_stats(f, "itinerant", 0, 8 * D, 8 * D * (1 - D) + 12 * A,
                "A: f (group of one)")
    check_stats(f, "liaison", 1, 12 * D, 12 * D * (1 - D) + 36 * A,
                "A: f (group of one)")
    t.ok(v["c"]["total_z"] is not None and v["c"]["total_z"] < 0,
         "A: c brokers nothing: negative total z")

    # Network (sna's egbr/vgbr), sizes n = 3, 2, 1:
    #   coordinator  E = D sum n(n-1)(n-2) = 6D;
    #                V = E(1-D) + sum n(n-1)(n-2)((4n-10)A - 4(n-3)B
    #                    + (n-3)C) = 6D(1-D) + 6*2A
    #   itinerant    E = D sum n(N-n)(n-1) = D(3*3*2 + 2*4*1) = 26D;
    #                V = E(1-D) + sum over x != y of
    #                    x y (x-1)((2x+2y-6)A + (N-x-1)C):
    #                    (3,2): 12(4A+2C)  (3,1): 6(2A+2C)
    #                    (2,3): 6(4A+3C)   (2,1): 2(0A+3C)
    #                  = 26D(1-D) + 84A + 60C
    #   repr./gate.  E = 26D; V = E(1-D) + sum n(N-n)(n-1)((N-3)A
    #                    + (n-2)C) = 26D(1-D) + 18(3A+C) + 8(3A)
    #   liaison      E = D * (distinct ordered triples of groups: 6 * 3*2*1)
    #                  = 36D; sna's triple loop: each of the 6 triples has
    #                  n_i n_j n_k = 6 and, summed over them, the A factor
    #                  4(N-n_j) - 2(n_i+n_k+1) gives 36, the B factor 36,
    #                  the C factor N-(n_i+n_k+1) gives 6:
    #                  V = 36D(1-D) + 216A - 216B + 36C
    #   total        E = D N(N-1)(N-2) = 120D;
    #                V = E(1-D) + 120((4N-10)A - 4(N-3)B + (N-3)C)
    check_stats(net, "coordinator", 1, 6 * D, 6 * D * (1 - D) + 12 * A,
                "A: network")
    check_stats(net, "itinerant", 2, 26 * D,
                26 * D * (1 - D) + 84 * A + 60 * C, "A: network")
    check_stats(net, "representative", 1, 26 * D,
                26 * D * (1 - D) + 78 * A + 18 * C, "A: network")
    check_stats(net, "gatekeeper", 2, 26 * D,
                26 * D * (1 - D) + 78 * A + 18 * C, "A: network")
    check_stats(net, "liaison", 3, 36 * D,
                36 * D * (1 - D) + 216 * A - 216 * B + 36 * C, "A: network")
    check_stats(net, "total", 9, 120 * D,
                120 * D * (1 - D) + 120 * (14 * A - 12 * B + 3 * C),
                "A: network")

    # With isolates g joins children: N = 7, d = 7/42 = 1/6, sizes 3, 3, 1.
    # Raw counts are unchanged; the null model is not: a's total has
    # E = D (N-1)(N-2) = 30D, its itinerant E = D (3*2 + 1*0) = 6D.
    r, v, g, net = analyse(d, isolates=True)
    t.eq(r["view"]["vertices"], 7, "A+isolates: g in the view")
    t.eq({k: raw(x) for k, x in v.items()}, {**RAW_A, "g": [0] * 6},
         "A+isolates: raw counts unchanged, g brokers nothing")
    t.eq(raw(net), [1, 2, 1, 2, 3, 9], "A+isolates: network raw counts")
    D, A, B, C = null_terms(1 / 6)
    check_stats(v["a"], "total", 4, 30 * D, 30 * D * (1 - D) + 2 * 6 * 5 * 4
                * A, "A+isolates: a")
    check_stats(v["a"], "itinerant", 1, 6 * D,
                6 * D * (1 - D) + 2 * (3 * 2 * 1) * A, "A+isolates: a")
    check_stats(v["g"], "total", 0, 30 * D, 30 * D * (1 - D) + 2 * 6 * 5 * 4
                * A, "A+isolates: g")
    t.eq(d.stop(), 0, "A: clean stop")

# ---------------------------------------------------------------------------
# Network B: undirected ties are two arcs. adults x1 x2, children y1.
#   x1-y1, y1-x2 (January); x1-x2 (June) closes the triangle.
# January: y1 has in {x1, x2}, out {x1, x2}: x1>y1>x2 and x2>y1>x1 are open
# (itinerant, once in each direction); x1>y1>x1 is no pair (a = b). x1 has
# in {y1}, out {y1}: nothing. So y1: itinerant 2, total 2.
# Whole history: every two-path is closed by x1-x2: all zero.
with Daemon() as d:
    d.start()
    d.call("ingest", {
        "people": people({"adults": "x1 x2", "children": "y1"}),
        "records": records([], ["x1-y1", "y1-x2"], ts="2024-01-10") +
        records([], ["x1-x2"], ts="2024-06-10")})
    r, v, g, net = analyse(d, window={"to": "2024-03-01"})
    t.eq((r["view"]["edges"], raw(v["y1"]), raw(v["x1"]), raw(v["x2"])),
         (4, [0, 2, 0, 0, 0, 2], [0] * 6, [0] * 6),
         "B: an open undirected two-path counts once in each direction")
    # N = 3, 4 arcs, d = 4/6; y1 alone in children: itinerant
    # E = D (2*1) = 2D, V = 2D(1-D) + 2*(2*1*0)A.
    D, A, B, C = null_terms(4 / 6)
    check_stats(v["y1"], "itinerant", 2, 2 * D, 2 * D * (1 - D), "B: y1")
    r, v, g, net = analyse(d)
    t.eq((r["view"]["edges"], raw(net)), (6, [0] * 6),
         "B: the closed triangle brokers nothing")
    # d = 1: the null model expects nothing with no spread: z null.
    t.ok(all(net[f"{k}_expected"] == 0 and net[f"{k}_sd"] == 0 and
             net[f"{k}_z"] is None for k in ROLES),
         "B: complete network: expected 0, sd 0, z null", net)
    t.eq(d.stop(), 0, "B: clean stop")

# ---------------------------------------------------------------------------
# Network C: one group. nhs p1..p4; arcs p1>p2 p2>p3 p3>p4 p1>p3.
#   p2: p1>p2>p3 is closed by p1>p3.
#   p3: in {p1, p2}, out {p4}: p1>p3>p4 and p2>p3>p4 open: coordinator 2.
# Only coordination is possible: the other roles have E = 0, sd = 0 and a
# null z at every level. N = 4, 4 arcs, d = 1/3; p3: E = D*3*2 = 6D,
# V = 6D(1-D) + 2*3*2*1 A.
with Daemon() as d:
    d.start()
    d.call("ingest", {"people": people({"nhs": "p1 p2 p3 p4"}),
                      "records": records(["p1>p2", "p2>p3", "p3>p4",
                                          "p1>p3"])})
    r, v, g, net = analyse(d)
    t.eq({k: raw(x) for k, x in v.items()},
         {"p1": [0] * 6, "p2": [0] * 6, "p3": [2, 0, 0, 0, 0, 2],
          "p4": [0] * 6}, "C: one group: p3 coordinates twice")
    t.eq(raw(g["nhs"]), [2, 0, 0, 0, 0, 2], "C: the group row")
    D, A, B, C = null_terms(1 / 3)
    check_stats(v["p3"], "coordinator", 2, 6 * D,
                6 * D * (1 - D) + 12 * A, "C: p3")
    t.ok(all(x[f"{k}_expected"] == 0 and x[f"{k}_sd"] == 0 and
             x[f"{k}_z"] is None
             for x in list(v.values()) + [net]
             for k in ("itinerant", "representative", "gatekeeper",
                       "liaison")),
         "C: roles across groups: expected 0, sd 0, z null everywhere")
    t.eq(d.stop(), 0, "C: clean stop")

# ---------------------------------------------------------------------------
# Network D: no ties across groups. adults a1>a2>a3, children c1>c2>c3.
# a2 and c2 each coordinate once; nobody brokers across the boundary.
# N = 6, 4 arcs, d = 4/30; two groups of 3: liaison needs three groups
# (E = 0, z null); itinerant for a2: E = D*3*2 = 6D, V = 6D(1-D) +
# 2*3*2*1 A, raw 0: a negative z.
with Daemon() as d:
    d.start()
    d.call("ingest", {"people": people({"adults": "a1 a2 a3",
                                        "children": "c1 c2 c3"}),
                      "records": records(["a1>a2", "a2>a3", "c1>c2",
                                          "c2>c3"])})
    r, v, g, net = analyse(d)
    t.eq((raw(v["a2"]), raw(v["c2"]), raw(net)),
         ([1, 0, 0, 0, 0, 1], [1, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]),
         "D: no cross-group ties: coordinators only")
    D, A, B, C = null_terms(4 / 30)
    check_stats(v["a2"], "itinerant", 0, 6 * D, 6 * D * (1 - D) + 12 * A,
                "D: a2")
    check_stats(v["a2"], "liaison", 0, 0, 0, "D: a2")
    t.ok(net["liaison_z"] is None and net["itinerant_z"] < 0,
         "D: network liaison z null, itinerant z negative", net)
    t.eq(d.stop(), 0, "D: clean stop")

# ---------------------------------------------------------------------------
# Empty view (a window without ties): no vertex rows; the network row has
# zero counts and, with N < 2, an undefined density: expected, sd, z null.
with Daemon() as d:
    d.start()
    d.call("ingest", {"people": PEOPLE_A, "records": RECORDS_A})
    r, v, g, net = analyse(d, window={"from": "2030-01-01"})
    t.eq((r["view"]["vertices"], v, g), (0, {}, {}),
         "empty view: no vertex or group rows")
    t.ok(raw(net) == [0] * 6 and
         all(net[c] is None for c in COLUMNS if c not in ROLES),
         "empty view: zero counts, null statistics", net)
    # One person (isolates in a window with no ties would be all of them;
    # restrict the boundary to an attribute only f has).
    d.call("ingest", {"people": [{"id": "f", "team": "solo"}]})
    r, v, g, net = analyse(d, boundary="team", isolates=True)
    t.ok(r["view"]["vertices"] == 1 and raw(v["f"]) == [0] * 6 and
         v["f"]["total_expected"] is None,
         "one vertex: zero counts, density undefined (null)", r["view"])
    t.eq(d.stop(), 0, "empty: clean stop")
t.done()
