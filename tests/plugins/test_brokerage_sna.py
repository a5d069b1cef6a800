"""The brokerage plugin against R's sna::brokerage itself, on seeded random
directed networks of 10 to 400 people in 1 to 6 groups (and one where
every group has a single member): every raw count, expected value,
standard deviation and z-score of every person and of the network must
agree to 1e-9 relative.

Both sides must see the same network. The daemon is asked for isolates,
so its vertices are all the people ingested (each has a sector), which
are R's matrix rows: group sizes n_s and the density arcs / (N (N - 1))
count the same people. Records are ingested as directed arcs, as
undirected ties (both arcs) and as repeated records of one arc (one arc in
the view, 1 in R's matrix, since brokerage is unweighted). Vertices are
matched to R's rows by person id. R reports NaN (0/0) or +-Inf (x/0)
where a standard deviation is 0; the plugin reports null there: any
non-finite R value must be null here, and null here non-finite in R.

R with sna is a build dependency (r-cran-sna): this test fails, rather
than skips, when it is missing."""
import math
import os
import random
import shutil
import subprocess
import tempfile

from spandtest import SRCDIR, TAP, Daemon

t = TAP()
TS = "2024-01-15"
REL = 1e-9
ROLES = ["coordinator", "itinerant", "representative", "gatekeeper",
         "liaison", "total"]
# The order of R's output line (see sna_brokerage.R) and of our columns.
COLUMNS = ROLES + [f"{r}_{s}" for r in ROLES for s in ("expected", "sd", "z")]
R_SCRIPT = os.path.join(SRCDIR, "tests", "plugins", "sna_brokerage.R")

# (people, groups, density, seed, skew): skew draws group sizes unevenly
# (a big group and small ones) and adds one more group of a single person.
CASES = [(10, 1, 0.35, 1, False), (10, 3, 0.5, 2, True),
         (12, 12, 0.3, 3, False), (40, 2, 0.15, 4, False),
         (40, 5, 0.7, 5, True), (40, 4, 0.0, 6, False),
         (150, 4, 0.06, 7, True), (150, 6, 0.25, 8, False),
         (400, 3, 0.02, 9, False), (400, 6, 0.04, 10, True),
         # Enough arcs (about 22k) for the count to be shared among threads.
         (1500, 4, 0.01, 11, True)]


def network(n, ngroups, density, seed, skew):
    """People {id: sector} and the set of arcs (i, j) of a random graph;
    records that produce exactly those arcs."""
    rnd = random.Random(seed)
    weights = ([2 ** -k for k in range(ngroups)] if skew
               else [1] * ngroups)
    sector = [f"s{rnd.choices(range(ngroups), weights)[0]}"
              for _ in range(n)]
    if ngroups == n:  # every group a single person
        sector = [f"s{k}" for k in range(n)]
    if skew:  # and a group of one
        sector[0] = f"s{ngroups}"
    # Zero-padded ids in shuffled order: the view numbers people by id, R by
    # row, so the test must match them by id, not by position.
    ids = [f"p{k:04d}" for k in range(n)]
    rnd.shuffle(ids)
    arcs = {(i, j) for i in range(n) for j in range(n)
            if i != j and rnd.random() < density}
    recs, done = [], set()
    for (i, j) in sorted(arcs):
        if (i, j) in done:
            continue
        base = {"ts": TS, "from": ids[i], "to": ids[j], "kind": "advice"}
        if (j, i) in arcs and rnd.random() < 0.5:
            recs.append({**base, "directed": False})  # both arcs at once
            done.add((j, i))
        else:
            recs.append(base)
            if rnd.random() < 0.1:  # a repeated record: still one arc
                recs.append({**base, "kind": "referral"})
        done.add((i, j))
    ppl = [{"id": ids[k], "sector": sector[k]} for k in range(n)]
    return ids, sector, arcs, ppl, recs


def write_r_input(path, ids, sector, arcs):
    with open(path, "w") as f:
        f.write(f"{len(ids)}\n{' '.join(sector)}\n")
        for i, j in sorted(arcs):
            f.write(f"{i + 1} {j + 1}\n")


def read_r_output(path):
    with open(path) as f:
        return [[float(x) for x in line.split()] for line in f]


def compare(ours, ref, what, worst):
    """Rows of 24 values: ours (None for null) against R's floats. Returns
    a list of mismatches; updates worst[0] with the largest relative
    error."""
    bad = []
    for k, (x, y) in enumerate(zip(ours, ref)):
        if not math.isfinite(y) or x is None:
            if not (x is None and not math.isfinite(y)):
                bad.append(f"{what} {COLUMNS[k]}: ours {x}, R {y}")
            continue
        err = abs(x - y) / max(abs(x), abs(y)) if x != y else 0.0
        worst[0] = max(worst[0], err)
        if err > REL:
            bad.append(f"{what} {COLUMNS[k]}: ours {x!r}, R {y!r}")
    return bad


tmp = tempfile.mkdtemp(prefix="spand-sna-")
try:
    # One daemon per case (each its own store), then R once for all cases.
    results, r_args = [], []
    for c, (n, ngroups, density, seed, skew) in enumerate(CASES):
        ids, sector, arcs, ppl, recs = network(n, ngroups, density, seed,
                                               skew)
        with Daemon() as d:
            d.start()
            for k in range(0, len(recs), 2000):
                d.call("ingest", {"people": ppl if k == 0 else [],
                                  "records": recs[k:k + 2000]})
            if not recs:
                d.call("ingest", {"people": ppl})
            res = d.call("analyse", {"plugin": "brokerage", "isolates": True})
            d.stop()
        results.append((ids, len(set(sector)), arcs, res))
        r_in = os.path.join(tmp, f"case{c}.txt")
        write_r_input(r_in, ids, sector, arcs)
        r_args += [r_in, os.path.join(tmp, f"case{c}.out")]

    p = subprocess.run(["Rscript", "--vanilla", R_SCRIPT, *r_args],
                       capture_output=True, text=True, timeout=600)
    t.ok(p.returncode == 0, "Rscript with sna::brokerage ran",
         f"exit {p.returncode}\n{p.stderr}")

    worst_all = 0.0
    for c, ((n, _, density, seed, _), (ids, ngroups, arcs, res)) in \
            enumerate(zip(CASES, results)):
        tag = f"N={n} groups={ngroups} d={density} seed={seed}"
        t.eq((res["view"]["vertices"], res["view"]["edges"]),
             (n, len(arcs)), f"{tag}: the view is R's matrix")
        try:
            ref = read_r_output(r_args[2 * c + 1])
        except OSError as e:
            t.ok(False, f"{tag}: R output", e)
            continue
        tab = res["tables"]["vertex"]
        cols = [x["name"] for x in tab["columns"]]
        pos = [cols.index(x) for x in COLUMNS]
        rows = {row[0]: [row[k] for k in pos] for row in tab["rows"]}
        ncols = [x["name"] for x in res["tables"]["network"]["columns"]]
        nrow = res["tables"]["network"]["rows"][0]
        net = [nrow[ncols.index(x)] for x in COLUMNS]

        worst, bad = [0.0], []
        for k, pid in enumerate(ids):
            if pid not in rows:
                bad.append(f"{pid} missing from the vertex table")
                continue
            bad += compare(rows[pid], ref[k], pid, worst)
        t.ok(len(ref) == n + 1 and not bad,
             f"{tag}: every vertex value as sna (raw.nli, exp.nli, sd.nli, "
             f"z.nli)", "\n".join(bad[:20]))
        bad = compare(net, ref[n] if len(ref) > n else [], "network", worst)
        t.ok(len(ref) > n and not bad,
             f"{tag}: network values as sna (raw.gli, exp.gli, sd.gli, "
             f"z.gli)", "\n".join(bad[:20]))
        t.diag(f"{tag}: {len(arcs)} arcs, max relative error {worst[0]:.3g}")
        worst_all = max(worst_all, worst[0])
    t.diag(f"max relative error over all cases: {worst_all:.3g}")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
