"""spanctl report, on networks small enough to work by hand, and on the demo.

1. A two-window history (sector groups A, B, C; every tie undirected).
Groups A = {x, a1, a2}, B = {b1, b2}, C = {c1, c2}.
2024 (baseline): x-a1, x-b1, x-c1, x-c2, a1-a2, b1-b2.
2025 (window):   the same six ties, plus a1-b1.
- B-C has no direct tie and every path runs through x (b1-x-c1, b1-x-c2).
- A-B: direct ties x-b1 and a1-b1, both through b1: 1 holder, b1, 100%.
  A-C: direct ties x-c1, x-c2, both through x: 1 holder, Xena, 100%.
  Ranked by holders, then share, then ties, then names: A-B, A-C, B-C.
- In 2024 x brokered the cross-group pairs of its neighbours a1, b1, c1,
  c2 with no tie between them: {a1,b1} {a1,c1} {a1,c2} {b1,c1} {b1,c2}
  (c1, c2 share a group); in 2025 a1-b1 are tied: x opened 1 of 5.
- 2025 network E-I: external x-b1, x-c1, x-c2, a1-b1 = 4; internal x-a1,
  a1-a2, b1-b2 = 3; E-I = 1/7.
- Cross-group betweenness (unique shortest paths, counted by hand): x lies
  on a1-c1, a1-c2, a2-c1, a2-c2, b1-c1, b1-c2, b2-c1, b2-c2 = 8; b1 on
  x-b2, a1-b2, a2-b2, b2-c1, b2-c2 = 5; a1 on a2-b1, a2-b2, a2-c1, a2-c2
  = 4. x is the top spanner.

2. Two sites, for --within site (sectors adults, children, nhs).
Site North: children c1 (Ruth Miah, the PSW), c2, c3, c4; nhs n1, n2;
adults a1, a2. Ties c1-c2, c1-c3, c2-c3, c3-c4, n1-n2, a1-a2 (inside),
c1-n1, c1-n2, a1-n1 (across).
- children-nhs: 2 ties, both through c1: 1 holder, Ruth Miah, 100%; no
  other path (adults reach children only through n1 and c1).
- adults-children: no direct tie, every path through n1 (1 person).
- E-I: external 3, internal 6: -1/3. Expected (8 people in groups of 4,
  2, 2): P_int = (12 + 2 + 2) / 56 = 2/7, 1 - 4/7 = 3/7. children:
  E 2, I 4: -1/3, expected (2*4 - 3) / (2*4 + 3) = 5/11.
- Departures: c1 cuts {c2,c3,c4} from {n1,n2,a1,a2}: 12 cross-group pairs
  of the 16 connected without c1 (3*2 + 3*2 + 2*2): 75%. n1 cuts
  children x adults (8) and n2 x adults (2): 10; a1 cuts a2 from the six
  of other groups: 6; c3 cuts c4 from the four of other groups: 4. Ruth
  Miah is the departure risk.
Site South: c5, c6; n3, n4; a3, a4. Ties c5-c6, n3-n4, a3-a4, c5-n3,
c6-n4, a3-n3, a4-n4, a3-c5: no articulation point, so nobody's leaving
cuts a pair; children-nhs has 2 ties through 2 different people each
side: 2 holders.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

from spandtest import SRCDIR, TAP, Daemon

t = TAP()
people = [{"id": "x", "sector": "A", "name": "Xena Broker", "role": "PSW"},
          {"id": "a1", "sector": "A"}, {"id": "a2", "sector": "A"},
          {"id": "b1", "sector": "B"}, {"id": "b2", "sector": "B"},
          {"id": "c1", "sector": "C"}, {"id": "c2", "sector": "C"}]
base_ties = [("x", "a1"), ("x", "b1"), ("x", "c1"), ("x", "c2"),
             ("a1", "a2"), ("b1", "b2")]
records = []
for year in (2024, 2025):
    for a, b in base_ties + ([("a1", "b1")] if year == 2025 else []):
        records.append({"ts": f"{year}-06-01", "from": a, "to": b,
                        "kind": "joint-case", "directed": False})
WINDOW = ["--from", "2025-01-01", "--to", "2026-01-01"]
BASE = ["--baseline-from", "2024-01-01", "--baseline-to", "2025-01-01"]

with Daemon() as d:
    d.start()
    d.call("ingest", {"people": people, "records": records})
    r = d.spanctl("report", *WINDOW, *BASE, "--format", "json")
    t.eq(r.returncode, 0, "report exits 0")
    doc = json.loads(r.stdout)
    t.eq(doc["unavailable"], {}, "every analysis of the suite ran")
    t.eq(doc["view"]["vertices"], 7, "one view of seven people")
    t.eq((doc["network"]["external"], doc["network"]["internal"]), (4, 3),
         "network ties across and within, worked by hand")
    t.ok(abs(doc["network"]["ei"] - 1 / 7) < 1e-12, "network E-I = 1/7")
    mix = {(p["group_a"], p["group_b"]): p["ties"] for p in doc["mixing"]}
    t.eq(mix, {("A", "A"): 2, ("A", "B"): 2, ("A", "C"): 2, ("B", "B"): 1,
               ("B", "C"): 0, ("C", "C"): 0}, "mixing ties per pair")
    t.eq([(sp["id"], sp["cross_betweenness"]) for sp in doc["spanners"][:3]],
         [("x", 8), ("b1", 5), ("a1", 4)],
         "spanners ranked by cross-group betweenness, worked by hand")
    t.eq((doc["spanners"][0]["name"], doc["spanners"][0]["role"]),
         ("Xena Broker", "PSW"), "spanners carry name and role")
    t.ok(all(k in doc["spanners"][0] for k in
             ("gatekeeper", "gatekeeper_z", "total_z")),
         "spanners carry brokerage counts and z-scores")
    t.eq([(p["group_a"], p["group_b"]) for p in doc["at_risk"]],
         [("A", "B"), ("A", "C"), ("B", "C")],
         "boundaries ranked by holders, then share through one person")
    ab, ac, bc = doc["at_risk"]
    t.eq((ab["direct_ties"], ab["holders"], ab["top_holder"],
          ab["top_holder_name"], ab["top_holder_share"]),
         (2, 1, "b1", "b1", 1.0), "A-B rests on b1 (no name: the id)")
    t.eq((ac["holders"], ac["top_holder_name"], ac["holder_names"]),
         (1, "Xena Broker", ["Xena Broker"]), "A-C rests on Xena, named")
    t.eq((bc["direct_ties"], bc["cut_size"], bc["separator_names"]),
         (0, 1, ["Xena Broker"]), "B-C: no direct tie, only through x")
    go = doc["gate_openers"]
    t.eq([(g["id"], g["brokered"], g["opened"]) for g in go], [("x", 5, 1)],
         "x opened one of the five gates it kept in 2024")
    t.ok(abs(go[0]["gate_opening_rate"] - 1 / 5) < 1e-12,
         "gate-opening rate 1/5")

    text = d.spanctl("report", *WINDOW, *BASE)
    out = text.stdout
    for phrase in ("WHOLE NETWORK", "MIXING BETWEEN GROUPS",
                   "TOP BOUNDARY SPANNERS", "Xena Broker",
                   "A - B: 2 ties, all through 1 person: b1 (100%)",
                   "A - C: 2 ties, all through 1 person: Xena Broker (100%)",
                   "B - C: no direct tie; every path runs through 1 person: "
                   "Xena Broker",
                   "G-F gatekeeper", "NOT a gate-opener",
                   "GATE-OPENERS", "not the Gould-Fernandez gatekeepers",
                   "random mixing would give",
                   "Ties counted (numbers for the whole store): from "
                   "records: joint-case (13); from events: none."):
        # (long lines are wrapped: a phrase may span a line break)
        t.ok(phrase in out or phrase in " ".join(out.split()),
             f"text report shows {phrase!r}", out)
    t.ok("share of label shuffles" not in out,
         "the permutation test is read in words")
    text = d.spanctl("report", *WINDOW)
    t.ok(text.returncode == 0 and "--baseline-from" in text.stdout,
         "without a baseline the report says how to get gate-openers",
         text.stdout + text.stderr)
    bad = d.spanctl("report", "--format", "csv")
    t.eq(bad.returncode, 2, "report --format csv is a usage error")

    # --top cuts the vertex table only: the three groups all show.
    top = d.spanctl("analyse", "ei", "--top", "1", *WINDOW)
    t.ok("vertex: 1 of 7 rows" in top.stdout and
         "group: 3 rows" in top.stdout,
         "analyse --top 1 keeps the whole group table", top.stdout)
    t.eq(d.stop(), 0, "clean stop")


def person(pid, site, sector, **kw):
    return {"id": pid, "site": site, "sector": sector, **kw}


sites = [person("c1", "North", "children", name="Ruth Miah",
                role="Principal Social Worker (children)"),
         person("c2", "North", "children"), person("c3", "North", "children"),
         person("c4", "North", "children"), person("n1", "North", "nhs"),
         person("n2", "North", "nhs"), person("a1", "North", "adults"),
         person("a2", "North", "adults"),
         person("c5", "South", "children"), person("c6", "South", "children"),
         person("n3", "South", "nhs"), person("n4", "South", "nhs"),
         person("a3", "South", "adults"), person("a4", "South", "adults")]
site_ties = [("c1", "c2"), ("c1", "c3"), ("c2", "c3"), ("c3", "c4"),
             ("n1", "n2"), ("a1", "a2"), ("c1", "n1"), ("c1", "n2"),
             ("a1", "n1"),
             ("c5", "c6"), ("n3", "n4"), ("a3", "a4"), ("c5", "n3"),
             ("c6", "n4"), ("a3", "n3"), ("a4", "n4"), ("a3", "c5")]
site_records = [{"ts": "2025-03-01", "from": a, "to": b, "kind": "advice",
                 "directed": False} for a, b in site_ties]

with Daemon() as d:
    d.start()
    d.call("ingest", {"people": sites, "records": site_records})
    r = d.spanctl("report", "--within", "site", "--format", "json")
    t.ok(r.returncode == 0, "report --within site exits 0", r.stderr)
    doc = json.loads(r.stdout or "{}")
    t.eq(doc.get("unavailable"), {}, "every analysis ran, per site")
    rows = {row["site"]: row for row in doc.get("comparison", [])}
    t.eq(sorted(rows), ["North", "South"], "one comparison row per site")
    north = rows.get("North", {})
    t.eq((north.get("people"), north.get("ties")), (8, 9),
         "North: 8 people, 9 ties")
    t.ok(abs(north.get("ei", 9) + 1 / 3) < 1e-12 and
         abs(north.get("expected_ei", 9) - 3 / 7) < 1e-12,
         "North: E-I -1/3 against 3/7 expected", north)
    frag = north.get("most_fragile") or {}
    t.eq((frag.get("group_a"), frag.get("group_b"), frag.get("holders"),
          frag.get("holder_names"), frag.get("top_holder_share")),
         ("children", "nhs", 1, ["Ruth Miah"], 1.0),
         "North's most fragile boundary: children-nhs, held by Ruth Miah")
    dep = north.get("departure_risk") or {}
    t.eq((dep.get("name"), dep.get("cross_pairs_cut")), ("Ruth Miah", 12),
         "North's departure risk: Ruth Miah, 12 cross-group pairs")
    t.ok(abs(dep.get("cross_share", 0) - 0.75) < 1e-12, "75% of them")
    reps = {s["scope"]: s for s in doc.get("reports", [])}
    groups = {g["group"]: g for g in reps.get("North", {}).get("groups", [])}
    ch = groups.get("children", {})
    t.ok(abs(ch.get("ei", 9) + 1 / 3) < 1e-12 and
         abs(ch.get("expected_ei", 9) - 5 / 11) < 1e-12,
         "North children: E-I -1/3 against 5/11 expected", ch)
    t.eq([(p["id"], p["cross_pairs_cut"]) for p in
          reps.get("North", {}).get("departures", [])],
         [("c1", 12), ("n1", 10), ("a1", 6), ("c3", 4)],
         "North's departures, worked by hand")
    south = rows.get("South", {})
    t.eq(south.get("departure_risk", "?"), None,
         "South: nobody's leaving cuts a pair")
    sr = {(p["group_a"], p["group_b"]): p
          for p in reps.get("South", {}).get("at_risk", [])}
    t.eq(sr.get(("children", "nhs"), {}).get("holders"), 2,
         "South: children-nhs held by two")

    out = d.spanctl("report", "--within", "site").stdout
    for phrase in ("EACH SITE COMPARED", "==== site North",
                   "==== site South",
                   "children - nhs: 2 ties, all through 1 person: Ruth Miah "
                   "(100%)",
                   "and no other path",
                   "Ruth Miah (children, Principal Social Worker (children)):"
                   " 12 cross-group pairs cut, 75% of those connected",
                   "less outward-looking than chance",
                   "nobody: no one person's leaving would cut"):
        t.ok(phrase in out, f"--within text shows {phrase!r}", out)
    t.ok(re.search(r"North .*children - nhs \(direct ties\) +1: Ruth Miah +"
                   r"Ruth Miah +12 pairs \(75%\)", out),
         "the comparison row names the holder and the departure risk", out)
    t.eq(d.stop(), 0, "clean stop")

# The demo: in sites 2, 4 and 6 one person (the children's PSW) holds every
# children's-NHS tie of year two; the report names them, site by site.
GEN = os.path.join(SRCDIR, "contrib", "spand-demo.py")
with tempfile.TemporaryDirectory() as tmp, Daemon() as d:
    subprocess.run([sys.executable, GEN, "-q", tmp], check=True)
    d.start()
    for f in ("people", "records", "events"):
        d.spanctl("load", os.path.join(tmp, f + ".csv"))
    import csv
    ppl = list(csv.DictReader(open(os.path.join(tmp, "people.csv"))))
    order = list(dict.fromkeys(p["site"] for p in ppl))
    psw = {p["site"]: p["name"] for p in ppl
           if p["role"] == "Principal Social Worker (children)"}
    r = d.spanctl("report", "--within", "site", "--from", "2025-01-01",
                  "--to", "2026-01-01", "--format", "json")
    doc = json.loads(r.stdout or "{}")
    reps = {s["scope"]: s for s in doc.get("reports", [])}
    t.eq(sorted(reps), sorted(order), "a section per demo site")

    def cn(site):
        for p in reps.get(site, {}).get("at_risk", []):
            if (p["group_a"], p["group_b"]) == ("children", "nhs"):
                return p
        return {}
    for s in order[1::2]:
        p = cn(s)
        t.eq((p.get("holders"), p.get("top_holder_name")), (1, psw[s]),
             f"{s}: children-nhs held by its PSW alone")
    for s in order[0::2]:
        t.ok(cn(s).get("holders", 0) >= 2, f"{s}: children-nhs held by "
             "several")
    # There a family nurse works with the PSW alone: the PSW's leaving
    # would cut the nurse off from everyone outside the NHS.
    cmp = {r["site"]: r for r in doc.get("comparison", [])}
    for s in order[1::2]:
        dep = cmp.get(s, {}).get("departure_risk") or {}
        t.eq(dep.get("name"), psw[s], f"{s}: the PSW is the departure risk")
    out = d.spanctl("report", "--within", "site", "--from", "2025-01-01",
                    "--to", "2026-01-01").stdout
    s = order[1]
    t.ok(re.search(rf"==== site {s}:[^\n]*\n(?:(?!==== site).)*"
                   rf"children - nhs: \d+ ties?,"
                   rf" all through 1 person: {re.escape(psw[s])} \(100%\)",
                   out, re.S),
         f"the text names {s}'s PSW as the one person holding "
         "children-nhs", out[:3000])
    # quickstart's year-on-year table reads each E-I against chance too.
    dr = subprocess.run([sys.executable, os.path.join(SRCDIR, "contrib",
                                                      "demo-report.py"),
                         d.socket], capture_output=True, text=True)
    line = [x for x in dr.stdout.splitlines()
            if x.startswith("whole network")]
    t.ok(dr.returncode == 0 and line and "significantly more inward-looking"
         " than random mixing, p < 0.001" in line[0] and
         "G-F gate" in dr.stdout, "demo-report.py reads E-I against chance",
         dr.stdout + dr.stderr)
    t.eq(d.stop(), 0, "clean stop")
t.done()
