"""export keeps everything: every attribute of every person and the people
without a value for the boundary (group ""), unless asked otherwise; GEXF
1.2 (draft namespace) by default, 1.3 on request. Each format is read back
(networkx for GraphML and GEXF, csv for CSV, ElementTree for GEXF's
shape) and compared, node by node and edge by edge, with what was
loaded."""
import csv
import io
import xml.etree.ElementTree as ET

import networkx as nx

from spandtest import TAP, Daemon, RpcError

t = TAP()
# Attributes named like the columns and keys a writer uses (group, weight,
# label), values that need escaping, people lacking some attributes.
people = [
    {"id": "ann", "sector": "adults", "region": "north",
     "role": "lead & <chief>", "group": "g1"},
    {"id": "bob", "sector": "nhs", "region": "south", "weight": "heavy"},
    {"id": "cat", "sector": "adults", "role": 'nurse, "senior"',
     "label": "=1+1"},
    {"id": "dan", "region": "north"},             # no sector, has ties
    {"id": "eve", "sector": "voluntary", "region": "east"},  # isolate
]
records = [
    {"ts": "2024-01-01", "from": "ann", "to": "bob", "kind": "advice",
     "weight": 2},
    {"ts": "2024-02-01", "from": "ann", "to": "bob", "kind": "advice",
     "weight": 0.5},
    {"ts": "2024-03-01", "from": "bob", "to": "cat", "kind": "referral",
     "directed": False},
    {"ts": "2024-03-02", "from": "dan", "to": "ann", "kind": "advice",
     "weight": 3},
    {"ts": "2024-03-03", "from": "cat", "to": "dan", "kind": "advice",
     "weight": 1.5},
]
ARCS = {("ann", "bob"): 2.5, ("bob", "cat"): 1.0, ("cat", "bob"): 1.0,
        ("dan", "ann"): 3.0, ("cat", "dan"): 1.5}
# What each person carries in an export: every attribute they have, the
# boundary's value under its name. dan has none: GraphML and GEXF write no
# value, CSV an empty group cell (from_csv reads an empty cell as none).
NODES = {p["id"]: {k: v for k, v in p.items() if k != "id"} for p in people}
TIED = {"ann", "bob", "cat", "dan"}
OTHER = sorted({k for p in people for k in p} - {"id", "sector"})
GEXF12 = "http://www.gexf.net/1.2draft"
GEXF13 = "http://gexf.net/1.3"


def expect(ids):
    return {i: NODES[i] for i in ids}


def no_label(nodes):
    """networkx keeps a GEXF node's label and an attribute titled "label"
    under one key, so it cannot show both: compare the rest with networkx,
    and everything with gexf_values()."""
    return {n: {k: v for k, v in a.items() if k != "label"}
            for n, a in nodes.items()}


def gexf_values(text, ns):
    """Every node's attributes in a GEXF text, by title (ElementTree)."""
    root = ET.fromstring(text)
    q = lambda tag: f"{{{ns}}}{tag}"
    titles = {a.get("id"): a.get("title")
              for a in root.iter(q("attribute"))}
    return {n.get("id"): {titles[a.get("for")]: a.get("value")
                          for a in n.iter(q("attvalue"))}
            for n in root.iter(q("node"))}


def arcs_among(ids):
    return {k: w for k, w in ARCS.items() if k[0] in ids and k[1] in ids}


def gexf_shape(text, ns, version):
    """GEXF's schema shape, checked with ElementTree: the root and its
    version, graph > attributes, nodes, edges in that order, every
    attvalue naming a declared string attribute, ids unique, edge ends
    among the nodes. Returns a list of what is wrong."""
    wrong = []
    root = ET.fromstring(text)
    q = lambda tag: f"{{{ns}}}{tag}"
    if root.tag != q("gexf") or root.get("version") != version:
        wrong.append(f"root {root.tag} version {root.get('version')}")
    graphs = list(root)
    if [g.tag for g in graphs] != [q("graph")]:
        return wrong + [f"root children {[g.tag for g in graphs]}"]
    g = graphs[0]
    if g.get("defaultedgetype") != "directed":
        wrong.append("graph not directed")
    if [c.tag for c in g] != [q("attributes"), q("nodes"), q("edges")]:
        wrong.append(f"graph children {[c.tag for c in g]}")
    attrs = g.find(q("attributes"))
    if attrs is None or attrs.get("class") != "node":
        return wrong + ["no node attributes"]
    decl = {a.get("id"): a.get("title") for a in attrs}
    if any(a.tag != q("attribute") or a.get("type") != "string"
           for a in attrs) or len(decl) != len(attrs):
        wrong.append("attribute declarations")
    ids = [n.get("id") for n in g.find(q("nodes"))]
    if len(set(ids)) != len(ids):
        wrong.append("node ids repeat")
    for n in g.find(q("nodes")):
        vals = n.find(q("attvalues"))
        fors = [a.get("for") for a in vals] if vals is not None else []
        if any(f not in decl for f in fors) or len(set(fors)) != len(fors):
            wrong.append(f"node {n.get('id')} attvalues {fors}")
    edges = list(g.find(q("edges")))
    if len({e.get("id") for e in edges}) != len(edges):
        wrong.append("edge ids repeat")
    if any(e.get("source") not in ids or e.get("target") not in ids
           for e in edges):
        wrong.append("an edge end is not a node")
    return wrong


def from_csv(text):
    """The nodes (with their attributes) and arcs a CSV export holds."""
    rows = list(csv.DictReader(io.StringIO(text)))
    nodes, arcs = {}, {}
    for r in rows:
        ends = [("from", r["from"])] + ([("to", r["to"])] if r["to"] else [])
        for side, who in ends:
            attrs = {"sector": r[f"{side}_group"]} if r[f"{side}_group"] \
                else {}
            attrs.update({k: r[f"{side}:{k}"] for k in OTHER
                          if r[f"{side}:{k}"]})
            if nodes.setdefault(who, attrs) != attrs:
                nodes[who] = "differs between lines"
        if r["to"]:
            arcs[(r["from"], r["to"])] = float(r["weight"])
    return rows, nodes, arcs


with Daemon() as d:
    d.start()
    d.call("ingest", {"people": people, "records": records})

    # ---- the default: everyone, every attribute ---------------------------
    r = d.call("export", {"format": "graphml"})
    t.ok('<node id="dan"><data key="a2">north</data></node>' in r["text"],
         "graphml: dan has no value for sector, as loaded", r["text"])
    t.eq(r["view"], {"vertices": 4, "edges": 5, "excluded": 0, "groups": 3},
         "default: dan (no sector) kept, nobody excluded, group \"\" counted")
    g = nx.read_graphml(io.BytesIO(r["text"].encode()))
    t.eq(dict(g.nodes(data=True)), expect(TIED),
         "graphml: every node with every attribute it has, no more")
    t.eq({(a, b): w for a, b, w in g.edges(data="weight")}, ARCS,
         "graphml: every edge and summed weight")
    t.eq([e for _, _, e in g.edges(data=True) if set(e) != {"weight"}], [],
         "graphml: edges carry their weight only")

    r = d.call("export", {"format": "gexf", "isolates": True})
    text = r["text"]
    t.ok(text.splitlines()[1] ==
         f'<gexf xmlns="{GEXF12}" version="1.2">',
         "gexf: 1.2 (draft namespace) by default", text[:200])
    t.eq(gexf_shape(text, GEXF12, "1.2"), [], "gexf 1.2: schema shape")
    g = nx.read_gexf(io.BytesIO(text.encode()))  # as networkx 2.8 reads it
    t.eq(no_label(dict(g.nodes(data=True))), no_label(expect(TIED | {"eve"})),
         "gexf (networkx, default version): every node and attribute, "
         "isolates included")
    t.eq(gexf_values(text, GEXF12), expect(TIED | {"eve"}),
         "gexf (xml.etree): every node and attribute, label included")
    t.eq({n: a["label"] for n, a in g.nodes(data=True)},
         {n: n for n in TIED | {"eve"}}, "gexf: labels are the ids")
    t.eq({(a, b): w for a, b, w in g.edges(data="weight")}, ARCS,
         "gexf (networkx): every edge and weight")

    r = d.call("export", {"format": "gexf", "gexf_version": "1.3"})
    t.eq(gexf_shape(r["text"], GEXF13, "1.3"), [],
         "gexf 1.3 on request: its namespace and the same shape")
    # networkx (2.8 and 3.6 alike) has no reader for 1.3: ElementTree.
    t.eq(gexf_values(r["text"], GEXF13), expect(TIED),
         "gexf 1.3 (xml.etree): every node and attribute")

    r = d.call("export", {"format": "csv", "isolates": True})
    rows, nodes, arcs = from_csv(r["text"])
    t.eq(list(rows[0].keys()),
         ["from", "to", "weight", "from_group", "to_group"] +
         [f"{s}:{k}" for k in OTHER for s in ("from", "to")],
         "csv: header has from:A,to:A for every other attribute")
    t.eq(nodes, expect(TIED | {"eve"}),
         "csv: every person with every attribute, on every line they are on")
    t.eq(arcs, ARCS, "csv: every arc and weight")
    t.eq(len(rows), len(ARCS) + 1, "csv: one line per arc, one per isolate")

    r = d.call("export", {"format": "dot"})
    t.ok('  "dan" [group=""];' in r["text"],
         "dot: dan kept with group \"\"", r["text"])

    # ---- unvalued: false -------------------------------------------------
    kept = TIED - {"dan"}
    for fmt in ("graphml", "gexf", "csv"):
        r = d.call("export", {"format": fmt, "unvalued": False})
        t.eq(r["view"], {"vertices": 3, "edges": 3, "excluded": 1,
                         "groups": 2},
             f"{fmt} unvalued=false: dan left out and counted")
        if fmt == "graphml":
            g = nx.read_graphml(io.BytesIO(r["text"].encode()))
            nodes, arcs = dict(g.nodes(data=True)), \
                {(a, b): w for a, b, w in g.edges(data="weight")}
        elif fmt == "gexf":
            g = nx.read_gexf(io.BytesIO(r["text"].encode()))
            nodes = gexf_values(r["text"], GEXF12)
            arcs = {(a, b): w for a, b, w in g.edges(data="weight")}
        else:
            _, nodes, arcs = from_csv(r["text"])
        t.eq((nodes, arcs), (expect(kept), arcs_among(kept)),
             f"{fmt} unvalued=false: the others with every attribute")

    for bad in ({"format": "gexf", "gexf_version": "1.1"},
                {"format": "gexf", "gexf_version": 1.2},
                {"format": "csv", "unvalued": "no"}):
        try:
            d.call("export", bad)
            t.ok(False, f"bad export params rejected: {bad}")
        except RpcError as e:
            t.eq(e.code, -32602, f"bad export params: {bad}")

    # ---- spanctl --------------------------------------------------------
    out = d.spanctl("export", "--format", "csv")
    t.ok(out.returncode == 0 and out.stderr == "" and "dan" in out.stdout,
         "spanctl export: dan kept, nothing on stderr", out.stderr)
    out = d.spanctl("export", "--format", "csv", "--drop-unvalued")
    t.ok(out.returncode == 0 and "dan" not in out.stdout,
         "spanctl export --drop-unvalued: dan left out", out.stderr)
    t.eq(out.stderr, "spanctl: export: 1 person without a value for sector "
         "left out\n", "spanctl says the count left out on stderr")
    out = d.spanctl("--json", "export", "--format", "csv", "--drop-unvalued")
    t.ok(out.returncode == 0 and '"excluded": 1' in out.stdout.replace(
        '":1', '": 1') and "left out" in out.stderr,
         "spanctl --json: the count in the JSON and on stderr", out.stderr)
    out = d.spanctl("export", "--format", "gexf", "--gexf-version", "1.3")
    t.ok(out.returncode == 0 and f'xmlns="{GEXF13}"' in out.stdout,
         "spanctl export --gexf-version 1.3", out.stderr)
    # Pseudonymised, the attributes that identify people ([privacy]
    # identifying, default name) are not written in any column.
    d.call("ingest", {"people": [{"id": "ann", "name": "Ann Example"}]})
    r = d.call("export", {"format": "csv"})
    t.ok("from:name" in r["text"] and "Ann Example" in r["text"],
         "csv: name is an attribute like any other", r["text"][:300])
    for fmt in ("csv", "graphml", "gexf"):
        r = d.call("export", {"format": fmt, "pseudonymise": True})
        t.ok("name" not in r["text"].replace("attr.name", "") and
             "Ann Example" not in r["text"] and "north" in r["text"],
             f"{fmt} pseudonymised: no name column or value, the rest kept",
             r["text"][:600])
    t.eq(d.stop(), 0, "clean stop")
t.done()
