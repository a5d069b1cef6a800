"""The layout plugin (doc/protocol.md, "The layout plugin"): positions
for drawing, not a metric. What can be checked: every position is in the
unit square and the square is used (0 and 1 reached on one axis);
`degree` is the number of neighbours in the undirected collapse
(networkx); the same data and seed give the same positions bit for bit,
in another daemon, in a thread and in an isolated child; another seed
gives another picture; tied people end closer than untied ones on
average (the force layout did something); above max_people no person
has a position and a note says so; groups sit on a circle in group
order."""
import math

from reftools import random_network, require_references  # noqa: E402

require_references()

import networkx as nx  # noqa: E402

from spandtest import TAP, Daemon  # noqa: E402

t = TAP()
_, _, people, recs, events, arcs = random_network(150, 4, 400, 10, 0.5, 5,
                                                 seed=7)


def run(d, **params):
    r = d.call("analyse", {"plugin": "layout", "params": params})
    cols = [c["name"] for c in r["tables"]["vertex"]["columns"]]
    rows = {row[0]: dict(zip(cols, row)) for row in r["tables"]["vertex"]["rows"]}
    gcols = [c["name"] for c in r["tables"]["group"]["columns"]]
    groups = [dict(zip(gcols, row)) for row in r["tables"]["group"]["rows"]]
    return r, rows, groups


g = nx.Graph()
g.add_edges_from(arcs)
with Daemon() as d:
    d.start()
    d.call("ingest", {"people": people, "records": recs, "events": events})
    r, rows, groups = run(d)
    t.eq(len(rows), g.number_of_nodes(), "a row per person of the view")
    xs = [v["x"] for v in rows.values()]
    ys = [v["y"] for v in rows.values()]
    t.ok(all(0 <= v <= 1 for v in xs + ys), "positions in [0, 1]")
    t.ok(min(min(xs), min(ys)) == 0 and max(max(xs), max(ys)) == 1,
         "the square is used: 0 and 1 are reached")
    t.eq({k: v["degree"] for k, v in rows.items()},
         {k: g.degree(k) for k in g.nodes}, "degree = neighbours (networkx)")

    def dist(a, b):
        return math.hypot(rows[a]["x"] - rows[b]["x"],
                          rows[a]["y"] - rows[b]["y"])
    tied = sum(dist(a, b) for a, b in g.edges) / g.number_of_edges()
    nodes = sorted(g.nodes)
    pairs = [(nodes[i], nodes[(i * 37 + 11) % len(nodes)])
             for i in range(len(nodes))]
    pairs = [(a, b) for a, b in pairs if a != b and not g.has_edge(a, b)]
    untied = sum(dist(a, b) for a, b in pairs) / len(pairs)
    t.ok(tied < 0.7 * untied,
         f"tied people are drawn closer ({tied:.3f} vs {untied:.3f})")
    _, again, _ = run(d, seed=42, iterations=150)
    t.eq(again, rows, "the defaults are seed 42, 150 iterations")
    _, other, _ = run(d, seed=43)
    t.ok(other != rows, "another seed, another picture")
    G = len(groups)
    want = [(0.5 + 0.5 * math.sin(2 * math.pi * s / G),
             0.5 - 0.5 * math.cos(2 * math.pi * s / G)) for s in range(G)]
    t.ok(all(abs(gr["x"] - w[0]) < 1e-12 and abs(gr["y"] - w[1]) < 1e-12
             for gr, w in zip(groups, want)), "groups on a circle in order")
    t.eq(sum(gr["people"] for gr in groups), len(rows),
         "group sizes add up to the view")
    r2, small, _ = run(d, max_people=100)
    t.ok(all(v["x"] is None and v["y"] is None for v in small.values()),
         "above max_people no person has a position")
    t.ok(any("max_people" in n for n in r2.get("notes", [])),
         "and a note says why")
    t.eq(r2["tables"]["network"]["rows"][0][0], 0, "people_drawn 0")
    bad = d.client().request("analyse", {"plugin": "layout",
                                         "params": {"iterations": 0}})
    t.ok("error" in bad, "iterations 0 is refused")

# Another daemon, analyses isolated in a child process: the same picture.
with Daemon({"isolation": {"layout": "process"}}) as d:
    d.start()
    d.call("ingest", {"people": people, "records": recs, "events": events})
    _, child, _ = run(d)
    t.eq(child, rows, "same positions bit for bit in an isolated child of "
                      "another daemon")
t.done()
