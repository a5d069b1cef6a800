#!/usr/bin/python3
"""The Python peers of tests/bench/run.sh (networkx, python-igraph), and the
checks that spand's numbers are the peers' numbers.

Run with Debian's /usr/bin/python3 (python3-networkx, python3-igraph).
GRAPH is a directory written by gengraph.py (graph.txt: N, the sectors of
vertices 0..N-1, then one "from to" arc a line; vertex v is person
g{v+1:07d}). Times are wall-clock seconds of the computation alone, taken
with time.perf_counter() around the library call, after the graph is
built: the same as spand's side, which times the analyse call on a loaded
store whose view is already built.

  peers.py sh GRAPH --reps N [--nx [--nx-reps M]] [--spand RESULT.json]
      python-igraph Graph.constraint() (N runs), and with --nx networkx
      constraint() + effective_size() together, on the directed graph
      (mutual weights, as spand's structural_holes plugin; M runs).
  peers.py bb GRAPH --reps N [--spand RESULT.json]
      networkx betweenness_centrality_subset summed over the groups
      (sources = the group, targets = everyone else, normalized=False) on
      the undirected collapse: spand's cross_betweenness.
  peers.py brandes GRAPH --reps N [--spand RESULT.json]
      python-igraph Graph.betweenness() on the undirected collapse: one
      Brandes pass over all pairs, the peer of an exact
      boundary_betweenness at sizes networkx does not finish (spand
      computes both columns in one pass); checked against spand's
      betweenness column.
  peers.py brokerage GRAPH R_OUTPUT SPAND_RESULT.json
      compares R sna::brokerage's output (sna_brokerage_bench.R) with
      spand's brokerage result.

Prints one JSON object: {"times": {...: [s, ...]}, "check": "...",
"ok": true|false}. "ok" is false when a compared number differs by more
than 1e-9 relative (brokerage: raw counts must be equal, expected values,
standard deviations and z-scores agree within 1e-6), or when spand's
result does not hold every vertex.
"""
import argparse
import json
import math
import sys
import time


def read_graph(d):
    with open(f"{d}/graph.txt") as f:
        n = int(f.readline())
        sectors = f.readline().split()
        arcs = [tuple(map(int, line.split())) for line in f if line.strip()]
    return n, sectors, arcs


def vid(v):
    return f"g{v + 1:07d}"


def spand_vertex(path, cols):
    """{vertex index: {col: value}} from a saved analyse result."""
    with open(path) as f:
        res = json.load(f)
    t = res["tables"]["vertex"]
    names = [c["name"] for c in t["columns"]]
    out = {}
    for row in t["rows"]:
        v = int(row[0][1:]) - 1
        out[v] = {c: row[names.index(c)] for c in cols}
    return res, out


def rel(got, want):
    """Relative difference; an undefined value (spand's null, a NaN or an
    infinity of the peer) matches only an undefined value."""
    undef = want is None or not math.isfinite(want)
    if got is None or undef:
        return 0.0 if got is None and undef else math.inf
    if want == 0:
        return abs(got)
    return abs(got - want) / abs(want)


def cmd_sh(a):
    import igraph as ig
    n, sectors, arcs = read_graph(a.graph)
    H = ig.Graph(n=n, edges=arcs, directed=True)
    times = {"igraph_constraint": []}
    for _ in range(a.reps):
        t0 = time.perf_counter()
        ic = H.constraint()
        times["igraph_constraint"].append(time.perf_counter() - t0)
    checks, ok = [], True
    nc = ne = None
    if a.nx:
        import networkx as nx
        G = nx.DiGraph()
        G.add_nodes_from(range(n))
        G.add_edges_from(arcs)
        times["networkx_constraint_effective_size"] = []
        for _ in range(a.nx_reps or a.reps):
            t0 = time.perf_counter()
            nc = nx.constraint(G)
            ne = nx.effective_size(G)
            times["networkx_constraint_effective_size"].append(
                time.perf_counter() - t0)
    if a.spand:
        _, sv = spand_vertex(a.spand, ["constraint", "effective_size"])
        worst = max(rel(sv[v]["constraint"], ic[v]) for v in sv)
        checks.append(f"constraint of all {len(sv)} people vs igraph: max "
                      f"relative difference {worst:.1e}")
        ok &= worst <= 1e-9 and len(sv) == n
        if nc is not None:
            # networkx 2.8 gives NaN to people with only in-ties; compare
            # the others (every person here has an out-tie).
            wc = max(rel(sv[v]["constraint"], nc[v]) for v in sv
                     if math.isfinite(nc[v]))
            we = max(rel(sv[v]["effective_size"], ne[v]) for v in sv
                     if math.isfinite(ne[v]))
            checks.append(f"vs networkx: constraint {wc:.1e}, "
                          f"effective size {we:.1e}")
            ok &= wc <= 1e-9 and we <= 1e-9
    print(json.dumps({"times": times, "check": "; ".join(checks),
                      "ok": bool(ok)}))


def cmd_bb(a):
    import networkx as nx
    n, sectors, arcs = read_graph(a.graph)
    U = nx.Graph()
    U.add_nodes_from(range(n))
    U.add_edges_from(arcs)
    groups = sorted(set(sectors))
    times = {"networkx_subset": []}
    cross = None
    for _ in range(a.reps):
        t0 = time.perf_counter()
        cross = dict.fromkeys(U, 0.0)
        for s in groups:
            mem = [v for v in U if sectors[v] == s]
            oth = [v for v in U if sectors[v] != s]
            sub = nx.betweenness_centrality_subset(U, mem, oth,
                                                   normalized=False)
            for v, b in sub.items():
                cross[v] += b
        times["networkx_subset"].append(time.perf_counter() - t0)
    checks, ok = [], True
    if a.spand:
        _, sv = spand_vertex(a.spand, ["cross_betweenness"])
        worst = max(rel(sv[v]["cross_betweenness"], cross[v]) for v in sv)
        checks.append(f"cross_betweenness of all {len(sv)} people vs "
                      f"networkx: max relative difference {worst:.1e}")
        ok &= worst <= 1e-9 and len(sv) == n
    print(json.dumps({"times": times, "check": "; ".join(checks),
                      "ok": bool(ok)}))


def cmd_brandes(a):
    import igraph as ig
    n, sectors, arcs = read_graph(a.graph)
    H = ig.Graph(n=n, edges=arcs, directed=True)
    H.to_undirected(mode="collapse")
    times = {"igraph_betweenness": []}
    bet = None
    for _ in range(a.reps):
        t0 = time.perf_counter()
        bet = H.betweenness(directed=False)
        times["igraph_betweenness"].append(time.perf_counter() - t0)
    checks, ok = [], True
    if a.spand:
        _, sv = spand_vertex(a.spand, ["betweenness"])
        worst = max(rel(sv[v]["betweenness"], bet[v]) for v in sv)
        checks.append(f"betweenness of all {len(sv)} people vs igraph: "
                      f"max relative difference {worst:.1e}")
        ok &= worst <= 1e-9 and len(sv) == n
    print(json.dumps({"times": times, "check": "; ".join(checks),
                      "ok": bool(ok)}))


ROLES = ["coordinator", "itinerant", "representative", "gatekeeper",
         "liaison", "total"]
COLS = ROLES + [f"{r}_{s}" for r in ROLES for s in ("expected", "sd", "z")]


def cmd_brokerage(a):
    n, sectors, arcs = read_graph(a.graph)
    with open(a.r_output) as f:
        lines = f.read().split("\n")
    times = [float(x) for x in lines[0].split()[1:]]
    rows = [[float(x) for x in line.split()] for line in lines[1:n + 2]]
    res, sv = spand_vertex(a.spand, COLS)
    worst_raw = worst_z = 0.0
    for v in range(n):
        r = rows[v]
        for k, c in enumerate(COLS):
            want = r[k]
            got = sv[v][c]
            e = rel(got, want)
            if c in ROLES:
                worst_raw = max(worst_raw, e)
            else:
                worst_z = max(worst_z, e)
    net = res["tables"]["network"]
    names = [c["name"] for c in net["columns"]]
    netrow = net["rows"][0]
    worst_net = max(rel(netrow[names.index(c)], rows[n][k])
                    for k, c in enumerate(COLS))
    ok = worst_raw == 0 and worst_z <= 1e-6 and worst_net <= 1e-6 \
        and len(sv) == n
    check = (f"all {n} people: raw role counts {'equal' if worst_raw == 0 else f'differ ({worst_raw:.1e})'}, "
             f"expected/sd/z max relative difference {worst_z:.1e}; "
             f"network row {worst_net:.1e}")
    print(json.dumps({"times": {"sna_brokerage": times}, "check": check,
                      "ok": bool(ok)}))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("sh")
    p.add_argument("graph")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--nx", action="store_true")
    p.add_argument("--nx-reps", type=int, default=None,
                   help="runs of networkx (default: --reps)")
    p.add_argument("--spand")
    p = sub.add_parser("bb")
    p.add_argument("graph")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--spand")
    p = sub.add_parser("brandes")
    p.add_argument("graph")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--spand")
    p = sub.add_parser("brokerage")
    p.add_argument("graph")
    p.add_argument("r_output")
    p.add_argument("spand")
    a = ap.parse_args()
    {"sh": cmd_sh, "bb": cmd_bb, "brandes": cmd_brandes,
     "brokerage": cmd_brokerage}[a.cmd](a)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # reported as the row's error by run.sh
        sys.exit(f"peers.py: {type(e).__name__}: {e}")
