"""The demo data generator: deterministic for a seed, and shaped as the
quickstart promises (six sites of ~40 people, five sectors, year two with
more cross-sector work than year one; people who leave in year two; a
children's-NHS boundary resting on one person in some sites, not all;
marked as synthetic)."""
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

    # Turnover: a `left` year for a few people in every site, and nothing
    # of theirs after the leaving date (the same for all, in year two).
    leavers = {p["id"] for p in people if p["left"]}
    t.ok(all(p["left"] in ("", years[1]) for p in people),
         "left is empty or the second year")
    t.eq(sorted({p["site"] for p in people if p["left"]}), sorted(sites),
         "people leave in every site")
    t.ok(all(2 <= sum(p["left"] != "" for p in v) <= 4
             for v in sites.values()), "two to four leavers per site")
    last = {}
    for r in csv.DictReader(open(os.path.join(d, "records.csv"))):
        for x in (r["from"], r["to"]):
            if x in leavers:
                last[x] = max(last.get(x, ""), r["ts"])
    for e in events:
        for x in e["participants"].split(";"):
            if x in leavers:
                last[x] = max(last.get(x, ""), e["ts"])
    stop = max(last.values())
    t.ok(f"{years[1]}-07" <= stop < f"{years[1]}-11",
         f"leavers stop in year two ({stop})")
    t.ok(sum(v[:4] == years[1] for v in last.values()) >= len(leavers) - 2,
         "leavers still work in year two before they leave")
    order = list(dict.fromkeys(p["site"] for p in people))
    psw_left = [p["site"] for p in people if p["left"] and
                p["role"] == "Principal Social Worker (children)"]
    t.eq(psw_left, [order[1], order[5]],
         "the children's PSW leaves in sites 2 and 6")

    # Children's-NHS ties of year two, each site on its own: every such
    # tie runs through the children's PSW in sites 2, 4, 6 and not in
    # sites 1, 3, 5.
    site_of = {p["id"]: p["site"] for p in people}
    ends = {s: [] for s in order}

    def tie(a, b):
        if site_of[a] == site_of[b] and \
                {sector[a], sector[b]} == {"children", "nhs"}:
            ends[site_of[a]].append(a if sector[a] == "children" else b)
    for r in csv.DictReader(open(os.path.join(d, "records.csv"))):
        if r["ts"][:4] == years[1]:
            tie(r["from"], r["to"])
    for e in events:
        if e["ts"][:4] == years[1]:
            ps = e["participants"].split(";")
            for i, a in enumerate(ps):
                for b in ps[i + 1:]:
                    tie(a, b)
    psw = {p["site"]: p["id"] for p in people
           if p["role"] == "Principal Social Worker (children)"}
    alone = [s for s in order if ends[s] and set(ends[s]) == {psw[s]}]
    t.eq(alone, order[1::2], "children's-NHS rests on the PSW alone in "
         "sites 2, 4, 6")
    t.ok(all(len(set(ends[s])) >= 3 for s in order[0::2]),
         "and is held by several in sites 1, 3, 5")

    # ... and there a family nurse works with the PSW and nobody else.
    nurse = {p["site"]: p["id"] for p in people if p["role"] == "Family nurse"}
    t.eq(sorted(nurse), sorted(order[1::2]), "a family nurse in sites 2, 4, 6")
    contacts = {n: set() for n in nurse.values()}
    for r in csv.DictReader(open(os.path.join(d, "records.csv"))):
        for a, b in ((r["from"], r["to"]), (r["to"], r["from"])):
            if a in contacts:
                contacts[a].add(b)
    t.ok(all(contacts[nurse[s]] == {psw[s]} for s in nurse),
         "whose only tie is the children's PSW")
    t.ok(not any(n in e["participants"] for e in events
                 for n in nurse.values()), "and who goes to no event")

    readme = open(os.path.join(d, "README.txt")).read()
    t.ok("SYNTHETIC" in readme and "no real people" in readme,
         "README.txt says the data are synthetic")
    r = subprocess.run([sys.executable, GEN, os.path.join(tmp, "s")],
                       capture_output=True, text=True, check=True)
    t.ok("synthetic" in r.stderr, "the summary line says synthetic",
         r.stderr)

    # Scaling keeps structure and hits the requested size exactly.
    big = os.path.join(tmp, "big")
    generate(big, "--sites", "20", "--records", "50000")
    with open(os.path.join(big, "records.csv")) as f:
        t.eq(sum(1 for _ in f) - 1, 50000, "--records gives that many")
    with open(os.path.join(big, "people.csv")) as f:
        n = sum(1 for _ in f) - 1
    t.ok(700 <= n <= 900, f"--sites 20 gives about 800 people ({n})")
t.done()
