"""export: the view as GraphML, GEXF, DOT and CSV, read back with
networkx and the standard library; names that need escaping survive."""
import csv
import io
import xml.etree.ElementTree as ET

import networkx as nx

from spandtest import TAP, Daemon, RpcError

t = TAP()
people = [{"id": 'Ann "A" & Co', "sector": "adults"},
          {"id": "bob,<b>", "sector": "nhs & ICB"},
          {"id": "cat\\d", "sector": "adults"},
          {"id": "dan", "sector": "voluntary"}]
records = [
    {"ts": "2024-01-01", "from": 'Ann "A" & Co', "to": "bob,<b>",
     "kind": "advice", "weight": 2},
    {"ts": "2024-02-01", "from": 'Ann "A" & Co', "to": "bob,<b>",
     "kind": "advice", "weight": 0.5},
    {"ts": "2024-03-01", "from": "bob,<b>", "to": "cat\\d",
     "kind": "referral", "directed": False},
]
# The view: Ann>bob 2.5, bob>cat 1, cat>bob 1; dan has no ties.
ARCS = {('Ann "A" & Co', "bob,<b>"): 2.5, ("bob,<b>", "cat\\d"): 1.0,
        ("cat\\d", "bob,<b>"): 1.0}
GROUPS = {'Ann "A" & Co': "adults", "bob,<b>": "nhs & ICB",
          "cat\\d": "adults"}

with Daemon() as d:
    d.start()
    d.call("ingest", {"people": people, "records": records})

    r = d.call("export", {"format": "graphml"})
    t.eq(r["view"], {"vertices": 3, "edges": 3, "excluded": 0, "groups": 2},
         "export reports the view")
    g = nx.read_graphml(io.BytesIO(r["text"].encode()))
    t.ok(g.is_directed(), "graphml: directed")
    t.eq({(a, b): w for a, b, w in g.edges(data="weight")}, ARCS,
         "graphml: arcs and summed weights, names escaped")
    t.eq(dict(g.nodes(data="sector")), GROUPS,
         "graphml: groups under the boundary's name")

    r = d.call("export", {"format": "gexf", "isolates": True})
    root = ET.fromstring(r["text"])
    ns = {"g": "http://www.gexf.net/1.2draft"}
    nodes = {n.get("id"): n.find(".//g:attvalue", ns).get("value")
             for n in root.iterfind(".//g:node", ns)}
    t.eq(nodes, {**GROUPS, "dan": "voluntary"},
         "gexf: nodes with groups (isolates included)")
    edges = {(e.get("source"), e.get("target")): float(e.get("weight"))
             for e in root.iterfind(".//g:edge", ns)}
    t.eq(edges, ARCS, "gexf: edges with weights")

    r = d.call("export", {"format": "dot"})
    text = r["text"]
    t.ok(text.startswith("digraph spand {") and text.rstrip().endswith("}"),
         "dot: a digraph")
    t.ok('"Ann \\"A\\" & Co" -> "bob,<b>" [weight=2.5];' in text and
         '"cat\\\\d" [group="adults"];' in text,
         "dot: quotes and backslashes escaped", text)

    r = d.call("export", {"format": "csv", "isolates": True})
    rows = list(csv.DictReader(io.StringIO(r["text"])))
    t.eq({(x["from"], x["to"]): float(x["weight"]) for x in rows if x["to"]},
         ARCS, "csv: arcs with weights, quoting survives")
    t.eq([(x["from"], x["from_group"]) for x in rows if not x["to"]],
         [("dan", "voluntary")], "csv: an isolate gets a line of its own")

    r = d.call("export", {"format": "csv", "kinds": ["referral"],
                          "window": {"from": "2024-03-01"}})
    t.eq(r["view"]["edges"], 2, "export honours window and kinds")

    for bad in ({"format": "pdf"}, {}, {"format": "csv", "boundary": "a b"},
                {"format": "csv", "window": {"from": "soon"}},
                {"format": "csv", "colour": 1}):
        try:
            d.call("export", bad)
            t.ok(False, f"bad export params rejected: {bad}")
        except RpcError as e:
            t.eq(e.code, -32602, f"bad export params: {bad}")

    out = d.spanctl("export", "--format", "graphml")
    t.ok(out.returncode == 0 and out.stdout.startswith("<?xml"),
         "spanctl export prints the text", out.stderr)
    out = d.spanctl("export")
    t.eq(out.returncode, 2, "spanctl export without --format: usage error")
    t.eq(d.stop(), 0, "clean stop")
t.done()
