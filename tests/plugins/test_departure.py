"""The departure plugin (METRICS.md "departure"): for each person the
connected pairs of other people (across groups, and in all) that their
departure would disconnect, and the cross-group share; for the network
the connected cross-group pairs, the articulation points and the largest
share.

Small networks worked by hand; then seeded random networks against
networkx by removing each person in turn and counting the connected pairs
again (the definition, not the block-cut tree): clusters joined through
cut vertices and bridges with pendant trees, random trees, disconnected
graphs with isolates, several group counts; and networkx
articulation_points."""
import random

import networkx as nx

from reftools import people, rec
from spandtest import TAP, Daemon

t = TAP()
PLUGIN = "departure"


def analyse(d, timeout=120, **kw):
    """(result, {id: vertex row}, network row)."""
    with d.client(timeout=timeout) as c:
        r = c.call("analyse", {"plugin": PLUGIN, **kw})

    def rows(name):
        tab = r["tables"][name]
        cols = [c["name"] for c in tab["columns"]]
        return [dict(zip(cols, row)) for row in tab["rows"]]

    net = rows("network")
    return r, {x["id"]: x for x in rows("vertex")}, net[0] if net else None


def vrow(x):
    return (x["cross_pairs_cut"], x["pairs_cut"], x["cross_share"])


def nrow(x):
    return (x["connected_cross_pairs"], x["articulation_points"],
            x["max_cross_share"])


# ---------------------------------------------------------------------------
# Network H: adults a1 a2, children k1, nhs n1 n2, police p1 p2.
#   ties a1-k1, a2>k1, k1-n1, n1<n2, p1-p2.
# Component {a1 a2 k1 n1 n2}: 10 pairs, 2 within a group (a1-a2, n1-n2):
#   8 connected cross pairs; {p1 p2}: 0. connected_cross_pairs 8.
# k1 leaves: pieces {a1} {a2} {n1 n2}: pairs cut a1-a2 a1-n1 a1-n2 a2-n1
#   a2-n2 = 5, of them across 4; pairs not involving k1: 8 - 4 (k1-a1,
#   k1-a2, k1-n1, k1-n2) = 4: share 4/4 = 1.
# n1 leaves: pieces {a1 a2 k1} {n2}: cut a1-n2 a2-n2 k1-n2 = 3, all
#   across; 8 - 3 (n1-a1 n1-a2 n1-k1) = 5: share 3/5.
# Everyone else cuts nothing: a1, a2, n2 share 0/5 (each in 3 cross
#   pairs); p1, p2 0/8.
# articulation_points 2 (k1, n1), max_cross_share 1.
PEOPLE_H = people({"adults": "a1 a2", "children": "k1", "nhs": "n1 n2",
                   "police": "p1 p2"})
RECORDS_H = [rec(s) for s in ["a1-k1", "a2>k1", "k1-n1", "n2>n1", "p1-p2"]]
WANT_H = {"k1": (4, 5, 1.0), "n1": (3, 3, 0.6), "a1": (0, 0, 0.0),
          "a2": (0, 0, 0.0), "n2": (0, 0, 0.0), "p1": (0, 0, 0.0),
          "p2": (0, 0, 0.0)}
with Daemon() as d:
    d.start()
    d.call("ingest", {"people": PEOPLE_H + [{"id": "i1", "sector":
                                             "adults"}],
                      "records": RECORDS_H})
    info = {p["name"]: p for p in d.call("plugins")["plugins"]}[PLUGIN]
    t.eq([(c["table"], c["name"], c["type"]) for c in info["columns"]],
         [("vertex", "cross_pairs_cut", "int"), ("vertex", "pairs_cut", "int"),
          ("vertex", "cross_share", "real"),
          ("network", "connected_cross_pairs", "int"),
          ("network", "articulation_points", "int"),
          ("network", "max_cross_share", "real")], "declared columns")
    t.eq(info["params"], [], "no parameters")
    t.ok(info.get("builtin") is True, "departure is a built-in plugin", info)
    r, v, n = analyse(d)
    t.eq({k: vrow(x) for k, x in v.items()}, WANT_H,
         "H: every person as worked by hand")
    t.eq(nrow(n), (8, 2, 1.0), "H: network row as worked by hand")
    # An isolate (i1, adults) is in no pair: its share is 0 of 8, and
    # nothing else changes.
    r, v, n = analyse(d, isolates=True)
    t.eq({k: vrow(x) for k, x in v.items()},
         {**WANT_H, "i1": (0, 0, 0.0)}, "H with an isolate: unchanged")
    t.eq(nrow(n), (8, 2, 1.0), "H with an isolate: network unchanged")

    # One group only, a path s1-s2-s3-s4: s2 cuts s1-s3 s1-s4 (2), s3
    # likewise; nothing is across, so every share is null, and so the
    # maximum.
    d.call("ingest", {"people": [{"id": q, "sector": "solo"}
                                 for q in ("s1", "s2", "s3", "s4")],
                      "records": [rec(s, ts="2019-05-01")
                                  for s in ("s1-s2", "s2>s3", "s4-s3")]})
    r, v, n = analyse(d, window={"to": "2020-01-01"})
    t.eq({k: vrow(x) for k, x in v.items()},
         {"s1": (0, 0, None), "s2": (0, 2, None), "s3": (0, 2, None),
          "s4": (0, 0, None)}, "one group, a path: pairs cut, shares null")
    t.eq(nrow(n), (0, 2, None), "one group: no cross pairs, max null")
    # Empty view.
    r, v, n = analyse(d, window={"to": "2010-01-01"})
    t.eq((r["view"]["vertices"], v, nrow(n)), (0, {}, (0, 0, None)),
         "empty view: no rows, zero counts, max null")
    t.eq(d.stop(), 0, "H: clean stop")


# ---------------------------------------------------------------------------
# Random networks against networkx.
def clusters(rng, tag, n_groups, n_clusters):
    """Dense clusters of 3-12 people chained through shared people (cut
    vertices) or single bridges, each with pendant trees hanging off."""
    G, people_of = nx.Graph(), []
    nid = 0

    def new():
        nonlocal nid
        nid += 1
        return f"{tag}v{nid:04d}"
    prev = []
    for c in range(n_clusters):
        size = rng.randint(3, 12)
        members = [new() for _ in range(size)]
        if prev and rng.random() < 0.5:
            members[0] = rng.choice(prev)  # a shared person: a cut vertex
        for i in range(1, len(members)):
            G.add_edge(members[i], members[rng.randrange(i)])
        for _ in range(size):
            a, b = rng.sample(members, 2)
            G.add_edge(a, b)
        if prev and members[0] not in prev:
            G.add_edge(members[rng.randrange(size)], rng.choice(prev))
        if rng.random() < 0.3:  # sometimes start a new component
            prev = []
        else:
            prev = members
        for _ in range(rng.randint(0, 3)):  # a pendant path
            at = rng.choice(members)
            for _ in range(rng.randint(1, 3)):
                x = new()
                G.add_edge(at, x)
                at = x
        people_of += members
    return G


def random_tree(rng, tag, n):
    G = nx.Graph()
    ids = [f"{tag}t{i:04d}" for i in range(n)]
    for i in range(1, n):
        G.add_edge(ids[i], ids[rng.randrange(i)])
    return G


def ingest_graph(d, rng, G, n_groups, year, isolates=()):
    group = {x: f"g{rng.randrange(n_groups)}" for x in list(G) +
             list(isolates)}
    recs = []
    for a, b in sorted(G.edges()):
        if rng.random() < 0.5:
            a, b = b, a
        r = {"ts": f"{year}-03-01", "from": a, "to": b, "kind": "advice"}
        if rng.random() < 0.4:
            r["directed"] = False
        recs.append(r)
    d.call("ingest", {"people": [{"id": x, "sector": g}
                                 for x, g in sorted(group.items())],
                      "records": recs})
    return group


def connected_pairs(H, group):
    """(all, cross) connected unordered pairs of H."""
    total = cross = 0
    for comp in nx.connected_components(H):
        c = len(comp)
        by = {}
        for x in comp:
            by[group[x]] = by.get(group[x], 0) + 1
        total += c * (c - 1) // 2
        cross += (c * c - sum(k * k for k in by.values())) // 2
    return total, cross


def reference(H, group):
    """Per person (cross_pairs_cut, pairs_cut, cross_share) by removing
    each in turn, and the network row."""
    total, cross = connected_pairs(H, group)
    comp_of = {}
    for comp in nx.connected_components(H):
        for x in comp:
            comp_of[x] = comp
    rows, shares = {}, []
    for x in H:
        mine_all = len(comp_of[x]) - 1
        mine_cross = sum(1 for y in comp_of[x] if group[y] != group[x])
        H2 = H.copy()
        H2.remove_node(x)
        after_all, after_cross = connected_pairs(H2, group)
        cut_all = total - mine_all - after_all
        cut_cross = cross - mine_cross - after_cross
        denom = cross - mine_cross
        share = cut_cross / denom if denom else None
        rows[x] = (cut_cross, cut_all, share)
        if share is not None:
            shares.append(share)
    points = len(set(nx.articulation_points(H)))
    return rows, (cross, points, max(shares) if shares else None)


def compare(v, n, H, group):
    want, wnet = reference(H, group)
    problems = []
    if set(v) != set(want):
        problems.append(f"people {len(v)} != {len(want)}")
    for x, w in want.items():
        got = vrow(v[x]) if x in v else None
        if got is None or got[:2] != w[:2] or \
                (got[2] is None) != (w[2] is None) or \
                (w[2] is not None and abs(got[2] - w[2]) > 1e-12):
            problems.append(f"{x}: {got} != {w}")
    gn = nrow(n)
    if gn[:2] != wnet[:2] or (gn[2] is None) != (wnet[2] is None) or \
            (wnet[2] is not None and abs(gn[2] - wnet[2]) > 1e-12):
        problems.append(f"network {gn} != {wnet}")
    arts = sum(1 for x in v.values() if x["pairs_cut"] > 0)
    if arts != wnet[1]:
        problems.append(f"{arts} people cut pairs, networkx "
                        f"articulation_points {wnet[1]}")
    return problems, sum(1 for w in want.values() if w[0] > 0)


with Daemon() as d:
    d.start()
    rng = random.Random(4242)
    cases, year = [], 2001
    for n_groups in (2, 3, 6):
        for kind in ("clusters", "tree", "forest"):
            tag = f"r{year}"
            if kind == "clusters":
                H = clusters(rng, tag, n_groups, rng.randint(8, 30))
            elif kind == "tree":
                H = random_tree(rng, tag, rng.randint(50, 300))
            else:  # several trees and clusters, and isolates
                H = nx.union_all([random_tree(rng, f"{tag}a", 40),
                                  random_tree(rng, f"{tag}b", 7),
                                  clusters(rng, f"{tag}c", n_groups, 10),
                                  nx.Graph([(f"{tag}d1", f"{tag}d2")])])
            iso = [f"{tag}iso{i}" for i in range(3)]
            group = ingest_graph(d, rng, H, n_groups, year, iso)
            cases.append((year, n_groups, kind, H, group, iso))
            year += 1
    for year, n_groups, kind, H, group, iso in cases:
        window = {"from": f"{year}-01-01", "to": f"{year + 1}-01-01"}
        r, v, n = analyse(d, window=window)
        problems, cutters = compare(v, n, H, group)
        t.ok(not problems and cutters > 0,
             f"random {year}: {kind}, {H.number_of_nodes()} people, "
             f"{n_groups} groups, {cutters} people cutting cross pairs: "
             f"agrees with networkx", "\n".join(problems[:20]))
        if kind == "forest":
            # With isolates every person stored is in the view: those of
            # other windows, and this window's own three, as isolates.
            H2, everyone = H.copy(), {}
            for c in cases:
                everyone.update(c[4])
            H2.add_nodes_from(everyone)
            r, v, n = analyse(d, window=window, isolates=True)
            problems, _ = compare(v, n, H2, everyone)
            t.ok(not problems, f"random {year} with isolates: agrees",
                 "\n".join(problems[:20]))
    t.eq(d.stop(), 0, "random: clean stop")
t.done()
