"""The change plugin (METRICS.md "change") on a history worked by hand,
with a cohort whose permutation p is enumerated by hand here; and on
seeded random pairs of windows against R's sna: hdist (mode "graph") and
gcor to 1e-9, and qaptest's p (both with 1,000 permutations) within three
Monte-Carlo standard errors, sqrt(p (1 - p) / 1000) each, combined.

R with sna is a build dependency (r-cran-sna): this test fails, rather
than skips, when it is missing."""
import itertools
import math
import os
import random
import subprocess
import tempfile

from spandtest import SRCDIR, TAP, Daemon

t = TAP()
R_SCRIPT = os.path.join(SRCDIR, "tests", "plugins", "sna_change.R")
BEFORE, AFTER = "2024-06-01", "2025-06-01"
WINDOWS = {"window": {"from": "2025-01-01", "to": "2026-01-01"},
           "baseline": {"from": "2024-01-01", "to": "2025-01-01"}}


def recs(ties, ts):
    return [{"ts": ts, "from": a, "to": b, "kind": "advice",
             "directed": False} for a, b in ties]


def table(res, name):
    cols = [c["name"] for c in res["tables"][name]["columns"]]
    return [dict(zip(cols, r)) for r in res["tables"][name]["rows"]]


# ---- by hand -------------------------------------------------------------
# Groups A = {a1, a2, a3}, B = {b1, b2}; prog=yes for a1 and b1.
# before: a1-a2, a1-b1, a2-a3, b1-b2
# after:  a1-a2, a1-b1, a1-b2, a3-b2, b1-b2, (new person) c1-a3, c1 in B
#   a1: before {a2, b1}, after {a2, b1, b2}: kept 2, lost 0, new 1;
#       external before 1 (b1), after 2: change +1; E-I before 0/2 = 0,
#       after (2 - 1)/3 = 1/3
#   a2: before {a1, a3}, after {a1}: kept 1, lost 1, new 0; ext 0 -> 0
#   a3: before {a2}, after {b2, c1}: kept 0, lost 1, new 2; ext 0 -> 2
#   b1: before {a1, b2}, after {a1, b2}: kept 2; ext 1 -> 1
#   b2: before {b1}, after {a1, a3, b1}: kept 1, new 2; ext 0 -> 2
#   c1: after {a3}: new 1; ext 0 -> 1 (c1 in B)
# pairs: A-A before 2 (a1-a2, a2-a3) after 1 (a1-a2): kept 1 lost 1 new 0
#        A-B before 1 (a1-b1) after 4 (a1-b1, a1-b2, a3-b2, a3-c1):
#            kept 1, new 3;  B-B before 1 after 1 kept 1
# network: kept 3, lost 1, new 3; jaccard 3/7; hamming 4.
# gcor over U = 6 people, m = 15 pairs, x = 4, y = 6, k = 3:
#   (15*3 - 24) / sqrt((15*4 - 16)(15*6 - 36)) = 21 / sqrt(44 * 54)
# cohort prog=yes over P (ties in both: a1, a2, a3, b1, b2; not c1):
#   cohort a1 (+1), b1 (0): mean 0.5; others a2 (0), a3 (+2), b2 (+2):
#   mean 4/3; difference -5/6. Exact p: all C(5, 2) = 10 reassignments.
people = [{"id": "a1", "team": "A", "prog": "yes"},
          {"id": "a2", "team": "A"}, {"id": "a3", "team": "A"},
          {"id": "b1", "team": "B", "prog": "yes"},
          {"id": "b2", "team": "B", "prog": "no"},
          {"id": "c1", "team": "B"}]
before = [("a1", "a2"), ("a1", "b1"), ("a2", "a3"), ("b1", "b2")]
after = [("a1", "a2"), ("a1", "b1"), ("a1", "b2"), ("a3", "b2"),
         ("b1", "b2"), ("c1", "a3")]
ecs = {"a1": 1, "a2": 0, "a3": 2, "b1": 0, "b2": 2}
obs = (1 + 0) / 2 - (0 + 2 + 2) / 3
hits = 0
for pick in itertools.combinations(ecs, 2):
    rest = [p for p in ecs if p not in pick]
    d = sum(ecs[p] for p in pick) / 2 - sum(ecs[p] for p in rest) / 3
    hits += abs(d) >= abs(obs) - 1e-12
exact_p = hits / 10

with Daemon() as d:
    d.start()
    d.call("ingest", {"people": people,
                      "records": recs(before, BEFORE) + recs(after, AFTER)})
    r = d.call("analyse", {"plugin": "change", "boundary": "team", **WINDOWS,
                           "params": {"cohort": "prog=yes"}})
    v = {row["id"]: row for row in table(r, "vertex")}
    got = {p: (v[p]["ties_before"], v[p]["ties_after"], v[p]["kept"],
               v[p]["lost"], v[p]["new"], v[p]["external_before"],
               v[p]["external_after"], v[p]["external_change"])
           for p in v}
    t.eq(got, {"a1": (2, 3, 2, 0, 1, 1, 2, 1), "a2": (2, 1, 1, 1, 0, 0, 0, 0),
               "a3": (1, 2, 0, 1, 2, 0, 2, 2), "b1": (2, 2, 2, 0, 0, 1, 1, 0),
               "b2": (1, 3, 1, 0, 2, 0, 2, 2), "c1": (0, 1, 0, 0, 1, 0, 1, 1)},
         "vertex counts, worked by hand")
    t.eq((v["a1"]["ei_before"], v["a1"]["ei_after"], v["c1"]["ei_before"]),
         (0.0, 1 / 3, None), "vertex E-I before and after (null without ties)")
    pairs = {(p["group_a"], p["group_b"]): (p["ties_before"], p["ties_after"],
                                            p["kept"], p["lost"], p["new"])
             for p in table(r, "pair")}
    t.eq(pairs, {("A", "A"): (2, 1, 1, 1, 0), ("A", "B"): (1, 4, 1, 0, 3),
                 ("B", "B"): (1, 1, 1, 0, 0)}, "pair counts, worked by hand")
    net = table(r, "network")[0]
    t.eq((net["kept"], net["lost"], net["new"], net["hamming"]), (3, 1, 3, 4),
         "network kept, lost, new, hamming")
    t.ok(abs(net["jaccard"] - 3 / 7) < 1e-12, "jaccard 3/7")
    t.ok(abs(net["gcor"] - 21 / math.sqrt(44 * 54)) < 1e-12,
         "gcor 21 / sqrt(44 * 54)")
    t.eq((net["cohort_n"], net["others_n"]), (2, 3), "cohort 2 against 3 in P")
    t.ok(abs(net["cohort_external_change"] - 0.5) < 1e-12 and
         abs(net["others_external_change"] - 4 / 3) < 1e-12 and
         abs(net["cohort_difference"] + 5 / 6) < 1e-12,
         "cohort means 0.5 and 4/3, difference -5/6")
    t.ok(abs(net["cohort_p"] - exact_p) < 1e-12,
         f"cohort p {net['cohort_p']} = exact enumeration {exact_p}")
    t.ok(any("exact" in n for n in r.get("notes", [])), "said to be exact")
    r = d.call("analyse", {"plugin": "change", "boundary": "team", **WINDOWS})
    net = table(r, "network")[0]
    t.eq([net[k] for k in ("cohort_n", "cohort_difference", "cohort_p")],
         [None, None, None], "no cohort: null cells")
    e = d.client().request("analyse", {"plugin": "change", "boundary": "team",
                                       **WINDOWS,
                                       "params": {"cohort": "prog"}})
    t.ok("error" in e, "cohort without =VALUE is an error")
    e = d.client().request("analyse", {"plugin": "change", "boundary": "team",
                                       "window": WINDOWS["window"]})
    t.ok("error" in e, "no baseline: an error")

# ---- against sna -----------------------------------------------------------
# (people, density, share of baseline ties kept, seed): strongly related
# windows (p near 0) and nearly independent ones (p in the middle, where
# the Monte-Carlo error is largest and a wrong test would show).
CASES = [(20, 0.2, 0.5, 1), (40, 0.1, 0.8, 2), (60, 0.08, 0.3, 3),
         (120, 0.05, 0.6, 4), (200, 0.03, 0.9, 5), (30, 0.15, 0.0, 6),
         (50, 0.1, 0.05, 7), (80, 0.06, 0.02, 8), (25, 0.3, 0.3, 9)]
PERMS = 1000


def pair_of_windows(n, dens, keep, seed):
    rnd = random.Random(seed)
    ids = [f"c{seed}q{k:04d}" for k in range(n)]
    rnd.shuffle(ids)
    allp = [(ids[i], ids[j]) for i in range(n) for j in range(i + 1, n)]
    b = {p for p in allp if rnd.random() < dens}
    a = {p for p in b if rnd.random() < keep}
    a |= {p for p in allp if rnd.random() < dens * (1 - keep)}
    return ids, sorted(b), sorted(a)


with tempfile.TemporaryDirectory() as tmp, Daemon() as d:
    d.start()
    jobs, ours = [], []
    for k, (n, dens, keep, seed) in enumerate(CASES):
        ids, b, a = pair_of_windows(n, dens, keep, seed)
        grp = f"g{k}"
        d.call("ingest", {"people": [{"id": p, "case": grp,
                                      "team": "X" if i % 2 else "Y"}
                                     for i, p in enumerate(ids)],
                          "records": recs(b, BEFORE) + recs(a, AFTER)})
        u = sorted({p for e in b + a for p in e})
        idx = {p: i + 1 for i, p in enumerate(u)}
        inp, out = os.path.join(tmp, f"in{k}"), os.path.join(tmp, f"out{k}")
        with open(inp, "w") as f:
            f.write(f"{len(u)}\n")
            for x, y in b:
                f.write(f"b {idx[x]} {idx[y]}\n")
            for x, y in a:
                f.write(f"a {idx[x]} {idx[y]}\n")
        jobs += [inp, out]
        r = d.call("analyse", {"plugin": "change", "boundary": "team",
                               **WINDOWS, "where": {"case": [grp]},
                               "params": {"permutations": PERMS, "seed": k}})
        ours.append((table(r, "network")[0], len(u), len(b), len(a)))
    p = subprocess.run(["Rscript", R_SCRIPT, str(PERMS), *jobs],
                       capture_output=True, text=True)
    t.eq(p.returncode, 0, "Rscript with sna ran", )
    if p.returncode:
        t.diag(p.stderr)
    for k, (net, nu, nb, na) in enumerate(ours):
        try:
            with open(jobs[2 * k + 1]) as f:
                h, g, pq = map(float, f.read().split())
        except (OSError, ValueError):
            t.ok(False, f"case {k}: R's answer")
            continue
        t.eq(net["hamming"], h, f"case {k} ({nu} people, {nb} -> {na} ties): "
                                f"hamming = sna::hdist")
        t.ok(abs(net["gcor"] - g) <= 1e-9 * max(1, abs(g)),
             f"case {k}: gcor {net['gcor']:.12f} = sna::gcor {g:.12f}")
        se = math.sqrt((pq * (1 - pq) + net["gcor_p"] * (1 - net["gcor_p"]))
                       / PERMS)
        t.ok(abs(net["gcor_p"] - pq) <= max(3 * se, 1.5 / PERMS),
             f"case {k}: QAP p {net['gcor_p']} vs sna {pq} (3 SE {3 * se:.4f})")
t.done()
