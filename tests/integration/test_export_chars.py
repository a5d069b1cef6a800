"""export with ids and group names that XML, DOT and CSV cannot take as
they are (doc/protocol.md, "Export"): every GraphML and GEXF text parses
(xml.etree, networkx) and gives back every node, group, edge and weight,
with only the documented replacements; ids that a replacement would merge
are refused; DOT and CSV give back the exact strings; spreadsheet_safe
prefixes formula-like CSV cells, and only when asked.

Ingest refuses control characters in ids (and all but tab in values), so
the ids and values with C0 controls, newlines and bytes that are not UTF-8
are written into the database file directly while the daemon is stopped:
a store holding data from elsewhere must export as well-formed files too.
"""
import csv
import io
import re
import shutil
import sqlite3
import subprocess
import xml.etree.ElementTree as ET

import networkx as nx

from spandtest import SPANCTL, TAP, Daemon, RpcError

t = TAP()

# Placeholder (ingested) -> what the database holds after the rewrite.
RAW_IDS = {
    "PH-ctl1": b"c\x01trl",
    "PH-ctl2": b"\x1fus",
    "PH-nl": b"new\nline",
    "PH-crlf": b"cr\r\nlf",
    "PH-bad": b"bad\xffutf8\xfe",
    "PH-tab": b"tab\there",
    "PH-del": b"del\x7f",
    "PH-tabfirst": b"\ttab-first",
    "PH-sur": b"sur\xed\xa0\x80",  # a lone surrogate, as CESU-8
}
RAW_GROUPS = {
    "PHG-ctl": b"g\x01\x1f",
    "PHG-nl": b"two\nlines\r\n",
    "PHG-bad": b"\xc0grp",
    "PHG-cr": b"\rcr-first",
}
# (id, group) as ingested; placeholders are rewritten afterwards.
PEOPLE = [
    ("fffe\ufffex", "grp\ufffe"),
    ("ffff\uffff", "adults"),
    ("PH-del", "g\x7f"),
    ("q\"<&>'", "nhs \"<&>' ICB"),
    ("=SUM(A1)", "+plus"),
    ("-neg", "@at"),
    ("back\\slash\\", "tab\tin value"),
    ("comma,x", "-minus"),
    ("\ufffd real", "adults"),
    ("PH-tabfirst", "PHG-cr"),
    ("PH-ctl1", "PHG-ctl"),
    ("PH-ctl2", "PHG-nl"),
    ("PH-nl", "PHG-bad"),
    ("PH-crlf", "adults"),
    ("PH-bad", "PHG-ctl"),
    ("PH-tab", "adults"),
    ("PH-sur", "adults"),
]
# Two pairs of ids that only differ in what XML cannot carry: tied by a
# kind of their own, so that a view without it holds none of them.
CLASH = [("x\ufffe", "adults"), ("x\uffff", "adults"),
         ("y\ufffe", "adults"), ("y\ufffd", "adults")]


def real(s):
    """What the database holds for an ingested string, as str (bytes that
    are not UTF-8 become U+FFFD, one per byte, as spand writes them)."""
    raw = RAW_IDS.get(s) or RAW_GROUPS.get(s)
    if raw is None:
        return s
    out, i = [], 0
    while i < len(raw):
        for n in (4, 3, 2, 1):
            try:
                out.append(raw[i:i + n].decode("utf-8"))
                i += n
                break
            except UnicodeDecodeError:
                continue
        else:
            out.append("\ufffd")
            i += 1
    return "".join(out)


def xml_form(s):
    """s as GraphML/GEXF carry it: XML 1.0's forbidden characters as U+FFFD."""
    return "".join("\ufffd" if (ord(c) < 0x20 and c not in "\t\n\r") or
                   c in "\ufffe\uffff" else c for c in real(s))


def read_gexf(text):
    """networkx's GEXF reader as networkx 2.8 (Debian's) calls it: the
    default version, GEXF 1.2 draft, which spand writes by default."""
    return nx.read_gexf(io.BytesIO(text.encode()))


records = []
for k in range(len(PEOPLE)):
    a, b = PEOPLE[k][0], PEOPLE[(k + 1) % len(PEOPLE)][0]
    records.append({"ts": "2024-01-01", "from": a, "to": b, "kind": "advice",
                    "weight": 0.1 * (k + 1)})
records.append({"ts": "2024-01-02", "from": PEOPLE[0][0], "to": PEOPLE[5][0],
                "kind": "advice", "weight": 1e-7})
records += [{"ts": "2024-01-01", "from": "x\ufffe", "to": "x\uffff",
             "kind": "clash", "weight": 1},
            {"ts": "2024-01-01", "from": "y\ufffe", "to": "y\ufffd",
             "kind": "clash2", "weight": 1}]

# The view of kind advice, in the strings the database holds.
ARCS = {}
for r in records:
    if r["kind"] == "advice":
        ARCS[(real(r["from"]), real(r["to"]))] = \
            ARCS.get((real(r["from"]), real(r["to"])), 0) + r["weight"]
GROUP = {real(i): real(g) for i, g in PEOPLE}

with Daemon() as d:
    d.start()
    # What ingest refuses cannot come in through the front door.
    for bad in ("a\x01b", "\x1f", "new\nline", "cr\rx"):
        try:
            d.call("ingest", {"people": [{"id": bad, "sector": "adults"}]})
            t.ok(False, f"ingest refuses the id {bad!r}")
        except RpcError as e:
            t.eq(e.code, 1005, f"ingest refuses the id {bad!r}")
    # Nor can a lone surrogate: JSON's \ud800 is not a character.
    with d.client() as c:
        c.send_raw(b'{"jsonrpc":"2.0","id":7,"method":"ingest","params":'
                   b'{"people":[{"id":"a\\ud800b","sector":"x"}]}}\n')
        resp = c.recv()
    t.ok(resp.get("error", {}).get("code") in (-32700, 1005),
         "ingest refuses an id with a lone surrogate", resp)
    d.call("ingest", {"people": [{"id": i, "sector": g}
                                 for i, g in PEOPLE + CLASH],
                      "records": records})
    t.eq(d.stop(), 0, "stop to rewrite the database")
    con = sqlite3.connect(d.db)
    with con:
        for ph, raw in RAW_IDS.items():
            n = con.execute("UPDATE person SET key = CAST(? AS TEXT) "
                            "WHERE key = ?", (raw, ph)).rowcount
            assert n == 1, ph
        for ph, raw in RAW_GROUPS.items():
            con.execute("UPDATE attr SET value = CAST(? AS TEXT) "
                        "WHERE value = ?", (raw, ph))
    con.close()
    d.start()

    advice = {"kinds": ["advice"]}

    # ---- GraphML ---------------------------------------------------------
    r = d.call("export", {"format": "graphml", **advice})
    t.eq(r["view"]["vertices"], len(PEOPLE), "graphml: the whole view")
    text = r["text"]
    try:
        root = ET.fromstring(text)
        t.ok(True, "graphml: well-formed XML (xml.etree)")
    except ET.ParseError as e:
        root = None
        t.ok(False, "graphml: well-formed XML (xml.etree)", e)
    g = nx.read_graphml(io.BytesIO(text.encode()))
    t.eq(dict(g.nodes(data="sector")),
         {xml_form(i): xml_form(grp) for i, grp in PEOPLE},
         "graphml (networkx): every node and group, forbidden characters "
         "as U+FFFD, tab/newline/CR kept")
    t.eq({(a, b): w for a, b, w in g.edges(data="weight")},
         {(xml_form(a), xml_form(b)): w for (a, b), w in ARCS.items()},
         "graphml (networkx): every edge and weight, to the bit")
    t.ok("&#10;" in text and "&#13;" in text and "&#9;" in text and
         "\r" not in text, "graphml: tab, LF and CR as character references")

    # ---- GEXF ------------------------------------------------------------
    r = d.call("export", {"format": "gexf", **advice})
    text = r["text"]
    try:
        root = ET.fromstring(text)
        ns = {"g": "http://www.gexf.net/1.2draft"}
        nodes = {n.get("id"): (n.get("label"),
                               n.find(".//g:attvalue", ns).get("value"))
                 for n in root.iterfind(".//g:node", ns)}
        t.eq(nodes, {xml_form(i): (xml_form(i), xml_form(grp))
                     for i, grp in PEOPLE},
             "gexf (xml.etree): every node, label and group")
    except ET.ParseError as e:
        t.ok(False, "gexf: well-formed XML (xml.etree)", e)
    g = read_gexf(text)
    t.eq(dict(g.nodes(data="sector")),
         {xml_form(i): xml_form(grp) for i, grp in PEOPLE},
         "gexf (networkx): every node and group")
    t.eq({(a, b): w for a, b, w in g.edges(data="weight")},
         {(xml_form(a), xml_form(b)): w for (a, b), w in ARCS.items()},
         "gexf (networkx): every edge and weight")

    # ---- ids a replacement would merge ------------------------------------
    for fmt in ("graphml", "gexf"):
        for kinds in (["clash"], ["clash2"]):
            try:
                d.call("export", {"format": fmt, "kinds": kinds})
                t.ok(False, f"{fmt} {kinds}: ids that would merge refused")
            except RpcError as e:
                t.ok(e.code == -32602 and "alike" in e.message,
                     f"{fmt} {kinds}: ids that would merge refused", e)
    r = d.call("export", {"format": "csv", "kinds": ["clash", "clash2"]})
    rows = list(csv.DictReader(io.StringIO(r["text"])))
    t.eq(sorted((x["from"], x["to"]) for x in rows),
         [("x\ufffe", "x\uffff"), ("y\ufffe", "y\ufffd")],
         "csv carries the ids XML cannot keep apart")

    # ---- DOT -------------------------------------------------------------
    r = d.call("export", {"format": "dot", **advice})
    text = r["text"]
    qs = r'"((?:[^"\\\n]|\\.)*)"'

    def undot(s):
        return re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(
            m.group(1), m.group(1)), s)

    node_re = re.compile(rf"^  {qs} \[group={qs}\];$")
    edge_re = re.compile(rf'^  {qs} -> {qs} \[weight=("?)([^\]"]+)\3\];$')
    dnodes, darcs, other = {}, {}, []
    for line in text.split("\n")[1:-2]:
        m = node_re.match(line) or edge_re.match(line)
        if m and m.re is node_re:
            dnodes[undot(m.group(1))] = undot(m.group(2))
        elif m:
            darcs[(undot(m.group(1)), undot(m.group(2)))] = float(m.group(4))
        else:
            other.append(line)
    t.eq(other, [], "dot: one node or edge statement per line")
    t.eq(dnodes, GROUP, "dot: every node and group, exactly")
    t.eq(darcs, ARCS, "dot: every edge and weight")
    # A DOT numeral has no exponent: such a weight is a quoted string.
    t.ok('[weight="9.9999999999999995e-08"]' in text and "[weight=1];" in text,
         "dot: a weight in exponent form quoted, others bare")
    t.ok(re.search(r'\\"<&>\'" \[group="nhs \\"<&>\' ICB"\]', text) and
         '"back\\\\slash\\\\"' in text and '"new\\nline"' in text and
         '"cr\\r\\nlf"' in text,
         "dot: quotes, backslashes, LF and CR escaped", text)
    if shutil.which("dot"):
        p = subprocess.run(["dot", "-Tcanon"], input=text.encode(),
                           capture_output=True, timeout=60)
        t.ok(p.returncode == 0 and
             p.stdout.count(b" -> ") == len(ARCS),
             "dot: Graphviz reads every edge", p.stderr)
    else:
        t.diag("graphviz not installed: dot -Tcanon check skipped")

    # ---- CSV -------------------------------------------------------------
    def csv_rows(params):
        r = d.call("export", {"format": "csv", **advice, **params})
        return r["text"], list(csv.DictReader(io.StringIO(r["text"],
                                                          newline="")))

    text, rows = csv_rows({})
    t.eq({(x["from"], x["to"]): float(x["weight"]) for x in rows}, ARCS,
         "csv: every arc and weight, exactly (quotes, commas, newlines)")
    t.eq({x["from"]: x["from_group"] for x in rows}, GROUP,
         "csv: every group, exactly")
    t.ok('"=SUM(A1)"' not in text and "\n=SUM(A1)," in text,
         "csv: formula-like cells unchanged by default")

    def safe(s):
        return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s

    text, rows = csv_rows({"spreadsheet_safe": True})
    t.eq({(x["from"], x["to"]): float(x["weight"]) for x in rows},
         {(safe(a), safe(b)): w for (a, b), w in ARCS.items()},
         "csv spreadsheet_safe: = + - @ tab CR cells get a leading '")
    t.eq({x["from"]: x["from_group"] for x in rows},
         {safe(i): safe(grp) for i, grp in GROUP.items()},
         "csv spreadsheet_safe: group cells too")
    t.ok("\n\"'=SUM(A1)\"," in text and "\n\"'-neg\"," in text,
         "csv spreadsheet_safe: prefixed cells are quoted", text)
    t.ok(all(not re.match(r"^[=+\-@\t\r]", c)
             for x in csv.reader(io.StringIO(text, newline="")) for c in x),
         "csv spreadsheet_safe: no cell begins a formula")

    r1 = d.call("export", {"format": "graphml", **advice})
    r2 = d.call("export", {"format": "graphml", "spreadsheet_safe": True,
                           **advice})
    t.eq(r1["text"], r2["text"], "spreadsheet_safe leaves graphml alone")
    try:
        d.call("export", {"format": "csv", "spreadsheet_safe": "yes"})
        t.ok(False, "spreadsheet_safe must be a boolean")
    except RpcError as e:
        t.eq(e.code, -32602, "spreadsheet_safe must be a boolean")

    # Bytes, not text mode: universal newlines would turn the CRs to LFs.
    out = subprocess.run([SPANCTL, "-s", d.socket, "export", "--format",
                          "csv", "--kind", "advice", "--spreadsheet-safe"],
                         capture_output=True, timeout=60)
    t.eq(out.stdout.decode(), text,
         "spanctl export --spreadsheet-safe: the safe text")
    out = d.spanctl("export", "--format", "csv", "--kind", "advice")
    t.ok(out.returncode == 0 and "\n=SUM(A1)," in out.stdout,
         "spanctl export: plain CSV by default", out.stderr)
    out = d.spanctl("export", "--format", "dot", "--spreadsheet-safe")
    t.eq(out.returncode, 2, "spanctl --spreadsheet-safe without csv: usage")
    t.eq(d.stop(), 0, "clean stop")
t.done()
