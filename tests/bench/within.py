"""within site at scale (issue 10), not yet a row of run.sh: load the demo
generated with --sites 150 --records 1000000 into a fresh daemon, time the
pooled view build (first `analyse mixing`), `analyse ei|mixing --within
site` cold (its own view: one scan) and warm (cached answer), and
python-igraph computing modularity and nominal assortativity on the 150
per-site induced subgraphs as the peer. Run from the build tree:
    python3 contrib/spand-demo.py -q --sites 150 --records 1000000 DIR
    SPAND_BIN=$PWD/spand SPANCTL_BIN=$PWD/spanctl SPAND_BUILDDIR=$PWD \
      /usr/bin/python3 tests/bench/within.py DIR
"""
import csv, os, subprocess, sys, time, json
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from spandtest import Daemon, Client
D = sys.argv[1]

def timed(d, req):
    t0 = time.perf_counter()
    r = d.call("analyse", req)
    return (time.perf_counter() - t0) * 1000, r

with Daemon({"analysis": {"cache_mb": "64"}}) as d:
    d.start()
    t0 = time.time()
    p = d.spanctl("load", os.path.join(D, "people.csv"), os.path.join(D, "records.csv"), os.path.join(D, "events.csv"))
    print("load", round(time.time() - t0, 1), "s", p.returncode, p.stderr[-200:])
    st = d.call("status")
    print("counts", {k: st.get(k) for k in ("people", "records", "events")})
    w, r = timed(d, {"plugin": "mixing"})
    print("pooled first mixing (view build + plugin): wall %.0f ms, elapsed %.0f" % (w, r["elapsed_ms"]))
    w, r = timed(d, {"plugin": "mixing", "params": {"weighted": True}})
    print("pooled mixing on built view: wall %.0f ms" % w)
    for pl, params in (("ei", {"seed": 1}), ("mixing", {})):
        w, r = timed(d, {"plugin": pl, "within": "site", "params": params})
        print(f"within site {pl} cold: wall {w:.0f} ms elapsed {r['elapsed_ms']:.0f} scopes {len(r['scopes'])}")
        w2, r = timed(d, {"plugin": pl, "within": "site", "params": params})
        print(f"within site {pl} warm: wall {w2:.1f} ms cached {r['cached']}")
# peer: python-igraph, per-site induced subgraphs (mixing-like: modularity + assortativity)
import igraph as ig
people = list(csv.DictReader(open(os.path.join(D, "people.csv"))))
idx = {p["id"]: i for i, p in enumerate(people)}
t0 = time.perf_counter()
edges = {}
for r in csv.DictReader(open(os.path.join(D, "records.csv"))):
    a, b = idx[r["from"]], idx[r["to"]]
    edges[(a, b)] = edges.get((a, b), 0) + float(r["weight"])
    if r["directed"] != "true":
        edges[(b, a)] = edges.get((b, a), 0) + float(r["weight"])
for e in csv.DictReader(open(os.path.join(D, "events.csv"))):
    ps = [idx[x] for x in e["participants"].split(";")]
    for i in range(len(ps)):
        for j in range(i + 1, len(ps)):
            for k in ((ps[i], ps[j]), (ps[j], ps[i])):
                edges[k] = edges.get(k, 0) + 1
g = ig.Graph(n=len(people), edges=list(edges), directed=True)
g.es["weight"] = list(edges.values())
sectors = sorted({p["sector"] for p in people})
g.vs["group"] = [sectors.index(p["sector"]) for p in people]
g.vs["site"] = [p["site"] for p in people]
t1 = time.perf_counter()
sites = sorted(set(g.vs["site"]))
for s in sites:
    sub = g.induced_subgraph([v.index for v in g.vs if v["site"] == s])
    sub.modularity(sub.vs["group"])
    sub.assortativity_nominal("group", directed=True)
t2 = time.perf_counter()
print(f"python-igraph: graph from CSV {1000*(t1-t0):.0f} ms; {len(sites)} induced subgraphs + modularity/assortativity {1000*(t2-t1):.0f} ms")
