"""within (DESIGN.md "Scoped views"): the results for one scope are
exactly those of a daemon holding only that scope's people. The demo
data (contrib/spand-demo.py, three sites) goes into one daemon; each
site's people, and its records and events among them, into a daemon of
its own; then every value of several plugins (ei with a fixed seed,
brokerage, mixing, structural_holes) is compared, row by row, with the
scope as the first key column of every table. Also: the per-scope view
counts, top/sort per scope, and cross-scope ties left out."""
import csv
import os
import subprocess
import sys
import tempfile

from spandtest import SRCDIR, TAP, Daemon

t = TAP()
GEN = os.path.join(SRCDIR, "contrib", "spand-demo.py")
KEYS = {"vertex": 2, "group": 1, "pair": 2, "network": 0}
PLUGINS = [("ei", {"seed": 7, "permutations": 200}), ("brokerage", {}),
           ("mixing", {}), ("structural_holes", {})]


def read_demo(d):
    people = []
    for p in csv.DictReader(open(os.path.join(d, "people.csv"))):
        people.append({k: v for k, v in p.items() if v != ""})
    records = []
    for r in csv.DictReader(open(os.path.join(d, "records.csv"))):
        records.append({"id": r["id"], "ts": r["ts"], "from": r["from"],
                        "to": r["to"], "kind": r["kind"],
                        "weight": float(r["weight"]),
                        "directed": r["directed"] == "true"})
    events = []
    for e in csv.DictReader(open(os.path.join(d, "events.csv"))):
        events.append({"id": e["id"], "ts": e["ts"], "kind": e["kind"],
                       "participants": e["participants"].split(";")})
    return people, records, events


def load(d, people, records, events):
    d.call("ingest", {"people": people})
    for i in range(0, len(records), 2000):
        d.call("ingest", {"records": records[i:i + 2000]})
    for i in range(0, len(events), 500):
        d.call("ingest", {"events": events[i:i + 500]})


def rows_by_key(table, nkeys, scoped):
    """{key tuple: values} of a table; scoped tables key by their first
    column too (nkeys + 1)."""
    n = nkeys + (1 if scoped else 0)
    return {tuple(r[:n]): r[n:] for r in table["rows"]}


with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([sys.executable, GEN, "-q", "--sites", "3", tmp],
                   check=True)
    people, records, events = read_demo(tmp)
    site = {p["id"]: p["site"] for p in people}
    sites = sorted(set(site.values()))
    t.eq(len(sites), 3, "three demo sites")
    cross = sum(site[r["from"]] != site[r["to"]] for r in records)
    t.ok(cross > 0, f"the demo has cross-site records ({cross})")

    pooled = Daemon().start()
    load(pooled, people, records, events)
    alone = {}
    for s in sites:
        d = Daemon().start()
        mine = {p["id"] for p in people if p["site"] == s}
        evs = []
        for e in events:
            part = [x for x in e["participants"] if x in mine]
            if len(part) >= 2:
                evs.append({**e, "participants": part})
        load(d, [p for p in people if p["site"] == s],
             [r for r in records if r["from"] in mine and r["to"] in mine],
             evs)
        alone[s] = d
    try:
        for name, params in PLUGINS:
            for win in (None, {"from": "2025-01-01"}):
                req = {"plugin": name, "params": params}
                if win:
                    req["window"] = win
                got = pooled.call("analyse", {**req, "within": "site"})
                tag = f"[{name}{' year two' if win else ''}]"
                t.eq(got["within"], "site", f"{tag} within echoed")
                t.eq([x["scope"] for x in got["scopes"]], sites,
                     f"{tag} one scope per site, in byte order")
                same_views = True
                mismatches = []
                for sc in got["scopes"]:
                    want = alone[sc["scope"]].call("analyse", req)
                    v = want["view"]
                    same_views &= (sc["vertices"], sc["edges"],
                                   sc["excluded"]) == (v["vertices"],
                                                       v["edges"],
                                                       v["excluded"])
                    for kind, nk in KEYS.items():
                        if kind not in want["tables"]:
                            continue
                        g = rows_by_key(got["tables"][kind], nk, True)
                        g = {k[1:]: x for k, x in g.items()
                             if k[0] == sc["scope"]}
                        w = rows_by_key(want["tables"][kind], nk, False)
                        if g != w:
                            bad = sorted(k for k in set(g) | set(w)
                                         if g.get(k) != w.get(k))[:3]
                            mismatches.append(
                                (sc["scope"], kind,
                                 [(k, g.get(k), w.get(k)) for k in bad]))
                t.ok(same_views, f"{tag} each scope's vertices, edges and "
                     "excluded are its own daemon's")
                t.ok(not mismatches, f"{tag} every value of every table is "
                     "its own daemon's", mismatches)
                t.eq(got["tables"][next(iter(got["tables"]))]["columns"][0]
                     ["name"], "site", f"{tag} scope is the first key column")
                t.eq(got["view"]["outside_scopes"], 0,
                     f"{tag} everyone in the demo has a site")

        # top and sort apply per scope.
        req = {"plugin": "brokerage", "top": 3, "sort": "total"}
        got = pooled.call("analyse", {**req, "within": "site"})
        rows = got["tables"]["vertex"]["rows"]
        per = {}
        for r in rows:
            per.setdefault(r[0], []).append(r[1:])
        want = {s: alone[s].call("analyse", req)["tables"]["vertex"]["rows"]
                for s in sites}
        t.eq(per, want, "top and sort per scope: each site's own top 3")
        # Cross-site ties are gone: the pooled edges are the scopes' sum.
        t.eq(got["view"]["edges"], sum(x["edges"] for x in got["scopes"]),
             "pooled edges: the scopes' edges, no cross-scope tie")
        plain = pooled.call("analyse", {"plugin": "brokerage"})
        t.ok(plain["view"]["edges"] > got["view"]["edges"],
             "without within the cross-site ties are there")
    finally:
        pooled.cleanup()
        for d in alone.values():
            d.cleanup()
t.done()
