"""The demo data generator: deterministic for a seed, and shaped as the
quickstart promises (six sites of ~40 people, five sectors, year two with
more cross-sector work than year one)."""
import csv
import hashlib
import os
import subprocess
import sys
import tempfile

from spandtest import SRCDIR, TAP

t = TAP()
GEN = os.path.join(SRCDIR, "contrib", "spand-demo.py")


def generate(outdir, *args):
    subprocess.run([sys.executable, GEN, "-q", *args, outdir], check=True,
                   env={**os.environ, "PYTHONHASHSEED": "random"})
    return {f: hashlib.sha256(open(os.path.join(outdir, f), "rb").read())
            .hexdigest() for f in ("people.csv", "records.csv", "events.csv")}


with tempfile.TemporaryDirectory() as tmp:
    a = generate(os.path.join(tmp, "a"))
    b = generate(os.path.join(tmp, "b"))
    c = generate(os.path.join(tmp, "c"), "--seed", "2")
    t.eq(a, b, "same seed: byte-identical files")
    t.ok(a["records.csv"] != c["records.csv"], "another seed: other data")

    d = os.path.join(tmp, "a")
    people = list(csv.DictReader(open(os.path.join(d, "people.csv"))))
    sector = {p["id"]: p["sector"] for p in people}
    sites = {}
    for p in people:
        sites.setdefault(p["site"], []).append(p)
    t.eq(len(sites), 6, "six case sites")
    t.ok(all(35 <= len(v) <= 45 for v in sites.values()),
         "about 40 people per site", {k: len(v) for k, v in sites.items()})
    t.eq(sorted(set(sector.values())),
         ["adults", "children", "lived_experience", "nhs", "voluntary"],
         "five sectors")
    roles = " ".join(p["role"] for p in people)
    for role in ("Principal Social Worker (adults)",
                 "Principal Social Worker (children)", "AMHP",
                 "Principal Occupational Therapist", "Assistant Director"):
        t.ok(role in roles, f"role present: {role}")
    t.ok(all(p["org"] and p["region"] for p in people),
         "everyone has an org and a region")

    cross = {}
    for r in csv.DictReader(open(os.path.join(d, "records.csv"))):
        year = r["ts"][:4]
        n, x = cross.get(year, (0, 0))
        cross[year] = (n + 1, x + (sector[r["from"]] != sector[r["to"]]))
    years = sorted(cross)
    t.eq(len(years), 2, "two years of records")
    share = [cross[y][1] / cross[y][0] for y in years]
    t.ok(share[1] > 2 * share[0], "year two has far more cross-sector "
         f"work ({share[0]:.1%} -> {share[1]:.1%})")
    events = list(csv.DictReader(open(os.path.join(d, "events.csv"))))
    joint = [e for e in events if e["ts"][:4] == years[1] and
             {"adults", "children"} <=
             {sector.get(p) for p in e["participants"].split(";")}]
    t.ok(len(joint) > 0, "year two has joint adults' and children's events")

    # Scaling keeps structure and hits the requested size exactly.
    big = os.path.join(tmp, "big")
    generate(big, "--sites", "20", "--records", "50000")
    with open(os.path.join(big, "records.csv")) as f:
        t.eq(sum(1 for _ in f) - 1, 50000, "--records gives that many")
    with open(os.path.join(big, "people.csv")) as f:
        n = sum(1 for _ in f) - 1
    t.ok(700 <= n <= 900, f"--sites 20 gives about 800 people ({n})")
t.done()
