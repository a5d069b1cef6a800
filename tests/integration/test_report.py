"""spanctl report on a two-window history worked by hand.

Groups A = {x, a1, a2}, B = {b1, b2}, C = {c1, c2}. Every tie is
undirected (a record with directed=false).
2024 (baseline): x-a1, x-b1, x-c1, x-c2, a1-a2, b1-b2.
2025 (window):   the same six ties, plus a1-b1.
- x is the only path between B and C in 2025 (b1-x-c1, b1-x-c2): the B-C
  boundary is held by one person, x; A-B and A-C are tied directly.
- In 2024 x brokered the cross-group pairs of its neighbours a1, b1, c1,
  c2 with no tie between them: {a1,b1} {a1,c1} {a1,c2} {b1,c1} {b1,c2}
  (c1, c2 share a group); in 2025 a1-b1 are tied: x opened 1 of 5.
- 2025 network E-I: external x-b1, x-c1, x-c2, a1-b1 = 4; internal x-a1,
  a1-a2, b1-b2 = 3; E-I = 1/7.
- Cross-group betweenness (unique shortest paths, counted by hand): x lies
  on a1-c1, a1-c2, a2-c1, a2-c2, b1-c1, b1-c2, b2-c1, b2-c2 = 8; b1 on
  x-b2, a1-b2, a2-b2, b2-c1, b2-c2 = 5; a1 on a2-b1, a2-b2, a2-c1, a2-c2
  = 4. x is the top spanner.
"""
import json

from spandtest import TAP, Daemon

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
    t.eq(r.returncode, 0, "report exits 0", )
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
    risk = doc["at_risk"][0]
    t.eq((risk["group_a"], risk["group_b"], risk["cut_size"],
          risk["separator"]), ("B", "C", 1, "x"),
         "B-C is the boundary most at risk, held by x")
    tied = {(p["group_a"], p["group_b"]): p["cut_size"]
            for p in doc["at_risk"]}
    t.eq((tied.get(("A", "B"), "?"), tied.get(("A", "C"), "?")),
         (None, None), "directly tied boundaries have no cut size")
    go = doc["gate_openers"]
    t.eq([(g["id"], g["brokered"], g["opened"]) for g in go], [("x", 5, 1)],
         "x opened one of the five gates it kept in 2024")
    t.ok(abs(go[0]["gate_opening_rate"] - 1 / 5) < 1e-12,
         "gate-opening rate 1/5")

    text = d.spanctl("report", *WINDOW, *BASE)
    out = text.stdout
    for phrase in ("WHOLE NETWORK", "MIXING BETWEEN GROUPS",
                   "TOP BOUNDARY SPANNERS", "Xena Broker",
                   "B - C: 1 person holds it: x", "GATE-OPENERS"):
        t.ok(phrase in out, f"text report shows {phrase!r}", out)
    text = d.spanctl("report", *WINDOW)
    t.ok(text.returncode == 0 and "--baseline-from" in text.stdout,
         "without a baseline the report says how to get gate-openers",
         text.stdout + text.stderr)
    bad = d.spanctl("report", "--format", "csv")
    t.eq(bad.returncode, 2, "report --format csv is a usage error")
    t.eq(d.stop(), 0, "clean stop")
t.done()
