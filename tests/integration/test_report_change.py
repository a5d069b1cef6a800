"""spanctl report's "What changed" section, on networks worked by hand.

Site North, groups (sector) A = {a1, a2}, B = {b1, b2}, C = {c1, c2}.
2024 (baseline): a1-a2, a1-b1, a2-b1, b1-c1, a1-c1            (5 ties)
2025 (window):   a1-a2, a1-b1, b1-c1, a2-b2, b2-c1, a1-c2,
                 b1-b2, a2-c1                                  (8 ties)
- kept a1-a2, a1-b1, b1-c1 = 3; lost a2-b1, a1-c1 = 2; new a2-b2, b2-c1,
  a1-c2, b1-b2, a2-c1 = 5; Jaccard 3 / 10 = 0.3; Hamming 7.
- Per boundary: A-B before {a1-b1, a2-b1}, after {a1-b1, a2-b2}: kept 1,
  lost 1, new 1. A-C before {a1-c1}, after {a1-c2, a2-c1}: kept 0, lost
  1, new 2. B-C before {b1-c1}, after {b1-c1, b2-c1}: kept 1, lost 0,
  new 1. Across all: kept 2, lost 2, new 4 (A-A kept 1 and B-B new 1 are
  not boundaries).
- gcor over the 15 pairs of the 6 people: (3*15 - 5*8) / sqrt(5*10*8*7)
  = 5 / sqrt(2800) = 0.0945: "0.09", weakly; its QAP p is checked
  against the exact share over all 720 relabellings.
- People with ties in both windows: a1, a2, b1, c1 (b2, c2 only after).
  External ties before -> after: a1 2 -> 2 (0), a2 1 -> 2 (+1), b1 3 -> 2
  (-1), c1 2 -> 3 (+1). Cohort programme=2025 = {a2, c1, b2}; b2 is not
  in both windows, so the cohort is {a2, c1}: mean +1; others {a1, b1}:
  mean -0.5; difference 1.5. The 6 ways to pick 2 of 4 give differences
  0.5, -1.5, 0.5, -0.5, 1.5, -0.5: |d| >= 1.5 in 2: p = 1/3, exact.

Site South: s1..s10, sector alternating A, B, the path s1-s2-...-s10 in
both years. Kept 9, lost 0, new 0, Jaccard 1, gcor 1; every tie is A-B
(kept 9). Only the 2 automorphisms of the path keep all 9 ties, of 10!
relabellings: none of 1,000 random ones does (p < 0.001). Nobody in
South is in the cohort.
"""
import itertools
import json
import math

from spandtest import TAP, Daemon

t = TAP()

north = [("a1", "A"), ("a2", "A"), ("b1", "B"), ("b2", "B"), ("c1", "C"),
         ("c2", "C")]
cohort = {"a2", "c1", "b2"}
people = [{"id": i, "site": "North", "sector": s,
           **({"programme": "2025"} if i in cohort else {})}
          for i, s in north]
people += [{"id": f"s{i}", "site": "South", "sector": "AB"[i % 2]}
           for i in range(1, 11)]
before = [("a1", "a2"), ("a1", "b1"), ("a2", "b1"), ("b1", "c1"),
          ("a1", "c1")]
after = [("a1", "a2"), ("a1", "b1"), ("b1", "c1"), ("a2", "b2"),
         ("b2", "c1"), ("a1", "c2"), ("b1", "b2"), ("a2", "c1")]
path = [(f"s{i}", f"s{i + 1}") for i in range(1, 10)]
records = []
for year, ties in ((2024, before + path), (2025, after + path)):
    records += [{"ts": f"{year}-06-01", "from": a, "to": b,
                 "kind": "joint-case", "directed": False} for a, b in ties]
WINDOW = ["--from", "2025-01-01", "--to", "2026-01-01"]
BASE = ["--baseline-from", "2024-01-01", "--baseline-to", "2025-01-01"]
NORTH = ["--where", "site=North"]


def exact_qap_p():
    """The share of the 720 relabellings of North whose kept >= 3."""
    ids = [i for i, _ in north]
    b = {frozenset(e) for e in before}
    a = {frozenset(e) for e in after}
    hits = 0
    for perm in itertools.permutations(ids):
        pi = dict(zip(ids, perm))
        hits += sum(frozenset((pi[u], pi[v])) in a for u, v in b) >= 3
    return hits / 720


def boundaries(ch):
    return {(p["group_a"], p["group_b"]): (p["ties_before"], p["ties_after"],
                                           p["kept"], p["lost"], p["new"])
            for p in ch["boundaries"]}


with Daemon() as d:
    d.start()
    d.call("ingest", {"people": people, "records": records})

    # North alone, with the cohort: the numbers.
    r = d.spanctl("report", *WINDOW, *BASE, *NORTH, "--cohort",
                  "programme=2025", "--format", "json")
    t.ok(r.returncode == 0, "report with --cohort exits 0", r.stderr)
    doc = json.loads(r.stdout)
    ch = doc["change"]
    t.eq((ch["kept"], ch["lost"], ch["new"], ch["hamming"]), (3, 2, 5, 7),
         "network kept, lost, new, Hamming by hand")
    t.ok(abs(ch["jaccard"] - 0.3) < 1e-12, "Jaccard 3/10")
    t.ok(abs(ch["gcor"] - 5 / math.sqrt(2800)) < 1e-9, "gcor 5/sqrt(2800)")
    t.eq(boundaries(ch), {("A", "B"): (2, 2, 1, 1, 1),
                          ("A", "C"): (1, 2, 0, 1, 2),
                          ("B", "C"): (1, 2, 1, 0, 1)},
         "per boundary before, after, kept, lost, new; no within-group row")
    t.eq(ch["across"], {"kept": 2, "lost": 2, "new": 4},
         "across all boundaries")
    p = exact_qap_p()
    se = math.sqrt(p * (1 - p) / 1000)
    t.ok(abs(ch["gcor_p"] - p) < 3 * se + 1e-12,
         f"QAP p {ch['gcor_p']} within 3 s.e. of the exact {p:.4f}")
    t.eq(ch["permutations"], 1000, "permutations stated")
    co = ch["cohort"]
    t.eq((co["cohort"], co["cohort_n"], co["others_n"]),
         ("programme=2025", 2, 2), "cohort of 2 (b2 not in both) against 2")
    t.eq((co["cohort_external_change"], co["others_external_change"],
          co["cohort_difference"]), (1, -0.5, 1.5), "cohort means by hand")
    t.ok(abs(co["cohort_p"] - 1 / 3) < 1e-12 and co["exact"] is True,
         "cohort p = 2/6, exact")

    # The same in words.
    r = d.spanctl("report", *WINDOW, *BASE, *NORTH, "--cohort",
                  "programme=2025")
    t.ok(r.returncode == 0, "table report exits 0", r.stderr)
    out = r.stdout
    t.ok("WHAT CHANGED" in out, "the section is there")
    t.ok("ties: 3 kept, 2 lost, 5 new; Jaccard index 0.3" in out,
         "network counts in words", out)
    t.ok("across all boundaries: 2 kept, 2 lost, 4 new" in out,
         "boundary sums in words")
    rows = [ln.split() for ln in out.splitlines()]
    t.ok(["A", "C", "1", "2", "0", "1", "2"] in rows,
         "A-C row: before 1, after 2, kept 0, lost 1, new 2")
    pq = ch["gcor_p"]
    t.ok(("this window's network is no more related to the baseline's "
          "than chance: correlation 0.09, as high or higher in "
          f"{round(pq * 1000)} of 1,000 random relabellings "
          f"(p = {round(pq, 3):g})") in out, "QAP in words (not significant)",
         out)
    t.ok("cohort programme=2025 (2 people with ties in both windows, "
         "against 2 others): participants gained 1 cross-boundary tie on "
         "average, others lost 0.5 cross-boundary ties; a difference this "
         "large arose in 33.3% of all possible reassignments of the cohort "
         "label (p = 0.333): it could well be chance" in out,
         "cohort in words", out)

    # Without --cohort: no cohort; without a baseline: no section, and
    # --cohort is refused.
    r = d.spanctl("report", *WINDOW, *BASE, *NORTH, "--format", "json")
    t.eq(json.loads(r.stdout)["change"]["cohort"], None,
         "no cohort without --cohort")
    r = d.spanctl("report", *WINDOW, *NORTH, "--format", "json")
    t.ok(r.returncode == 0 and "change" not in json.loads(r.stdout),
         "no change section without a baseline", r.stderr)
    r = d.spanctl("report", *WINDOW, "--cohort", "programme=2025")
    t.ok(r.returncode == 2 and "needs a baseline" in r.stderr,
         "--cohort without a baseline is a usage error", r.stderr)
    r = d.spanctl("report", *WINDOW, *BASE, "--cohort", "programme")
    t.ok(r.returncode == 2 and "ATTR=VALUE" in r.stderr,
         "--cohort without = is a usage error", r.stderr)

    # Per site.
    r = d.spanctl("report", *WINDOW, *BASE, "--within", "site", "--cohort",
                  "programme=2025", "--format", "json")
    t.ok(r.returncode == 0, "report --within site exits 0", r.stderr)
    doc = json.loads(r.stdout)
    per = {s["scope"]: s["change"] for s in doc["reports"]}
    t.eq((per["North"]["kept"], per["North"]["lost"], per["North"]["new"]),
         (3, 2, 5), "North's counts as alone")
    t.eq(boundaries(per["North"]), boundaries(ch), "North's boundaries")
    t.eq(per["North"]["cohort"]["cohort_difference"], 1.5,
         "North's cohort difference")
    s = per["South"]
    t.eq((s["kept"], s["lost"], s["new"], s["jaccard"], s["gcor"],
          s["gcor_p"]), (9, 0, 0, 1, 1, 0), "South: the same path twice")
    t.eq(boundaries(s), {("A", "B"): (9, 9, 9, 0, 0)}, "South's boundary")
    t.eq((s["cohort"]["cohort_n"], s["cohort"]["others_n"]), (0, 10),
         "nobody of the cohort in South")
    r = d.spanctl("report", *WINDOW, *BASE, "--within", "site", "--cohort",
                  "programme=2025")
    out = r.stdout
    south = out[out.index("==== site South"):]
    t.ok("this window's network is strongly related to the baseline's: "
         "correlation 1, higher than in any of 1,000 random relabellings "
         "(p < 0.001)" in south, "South's QAP in words", south)
    t.ok("cohort programme=2025: nobody in it has ties in both windows"
         in south, "South's cohort in words")
    north_part = out[out.index("==== site North"):out.index("==== site South")]
    t.ok("ties: 3 kept, 2 lost, 5 new" in north_part,
         "North's section has its own counts")

t.done()
