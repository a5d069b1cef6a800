"""Views and the analysis engine, seen through the viewdump test plugin:
windows, kinds, weights, excluded people, isolates, baselines, caching
and its invalidation by new data, sort and top, both isolation modes."""
from spandtest import TAP, Daemon, RpcError

t = TAP()
PEOPLE = [{"id": "a", "sector": "x"}, {"id": "b", "sector": "y"},
          {"id": "c", "sector": "x"}, {"id": "d"}, {"id": "e", "sector": "y"}]
RECORDS = [
    {"id": "r1", "ts": "2024-01-10", "from": "a", "to": "b", "kind": "advice"},
    {"id": "r2", "ts": "2024-02-01", "from": "a", "to": "b", "kind": "advice",
     "weight": 2},
    {"id": "r3", "ts": "2024-03-01", "from": "b", "to": "c",
     "kind": "referral", "directed": False},
    {"id": "r4", "ts": "2024-03-05", "from": "c", "to": "d", "kind": "advice"},
    {"id": "r5", "ts": "2025-01-01", "from": "a", "to": "e", "kind": "advice"},
]
EVENTS = [{"id": "e1", "ts": "2024-06-01", "kind": "meeting", "weight": 0.5,
           "participants": ["a", "c", "e"]}]


def dump(d, **params):
    r = d.call("analyse", {"plugin": "viewdump", **params})
    net = dict(zip([c["name"] for c in r["tables"]["network"]["columns"]],
                   r["tables"]["network"]["rows"][0]))
    return r, net


for isolation in ("process", "thread"):
    with Daemon({"analysis": {"isolation": isolation}}) as d:
        d.add_plugin("viewdump")
        d.start()
        d.call("ingest", {"people": PEOPLE, "records": RECORDS,
                          "events": EVENTS})
        tag = f"[{isolation}]"

        r, net = dump(d)
        # Whole history. Vertices in id order: a b c e (d has no sector).
        # a>b: r1 (1) + r2 (2) = 3; r3 undirected: b>c and c>b, 1 each;
        # the meeting (0.5) gives both arcs between a, c and e; a>e adds
        # r5's 1 to the meeting's 0.5.
        t.eq(net["arc_list"], "a>b:3 a>c:0.5 a>e:1.5 b>c:1 c>a:0.5 c>b:1 "
             "c>e:0.5 e>a:0.5 e>c:0.5", f"{tag} arcs aggregated, in order")
        t.eq((net["vertices"], net["arcs"], net["excluded"]), (4, 9, 1),
             f"{tag} counts; d (no sector) excluded")
        t.eq(r["view"], {"vertices": 4, "edges": 9, "excluded": 1,
                         "groups": 2}, f"{tag} view summary")
        t.eq(r["tables"]["group"]["rows"], [["x", 2], ["y", 2]],
             f"{tag} groups in byte order with members")
        rows = {row[0]: row for row in r["tables"]["vertex"]["rows"]}
        t.eq(rows["a"], ["a", "x", 3, 2, 5.0], f"{tag} vertex row of a")
        t.eq(r["window"], {"from": None, "to": None}, f"{tag} open window")
        t.eq(r["cached"], False, f"{tag} first run not cached")

        r, net = dump(d, window={"from": "2024-01-01", "to": "2024-03-01"})
        t.eq((net["arc_list"], net["excluded"]), ("a>b:3", 0),
             f"{tag} window is [from, to): r3 at 'to' left out")
        t.eq(r["window"], {"from": "2024-01-01T00:00:00Z",
                           "to": "2024-03-01T00:00:00Z"},
             f"{tag} window echoed in UTC")
        r, net = dump(d, window={"from": 1704067200})
        t.ok(net["vertices"] == 4, f"{tag} Unix-seconds bound accepted")

        r, net = dump(d, kinds=["referral"])
        t.eq(net["arc_list"], "b>c:1 c>b:1", f"{tag} kinds filter records")
        r, net = dump(d, kinds=["meeting", "meeting"])
        t.eq(net["arcs"], 6, f"{tag} kinds filter events")
        r, net = dump(d, kinds=["nosuchkind"])
        t.eq((net["vertices"], net["arcs"]), (0, 0),
             f"{tag} unknown kind: empty view")

        r, net = dump(d, window={"from": "2026-01-01"})
        t.eq(net["vertices"], 0, f"{tag} empty window: no vertices")
        r, net = dump(d, window={"from": "2026-01-01"}, isolates=True)
        t.eq((net["vertices"], net["arcs"]), (4, 0),
             f"{tag} isolates: everyone with a sector")

        r, net = dump(d, boundary="nosuch")
        t.eq((net["vertices"], net["excluded"]), (0, 5),
             f"{tag} boundary nobody has: all excluded")

        r, net = dump(d, window={"from": "2025-01-01"},
                      baseline={"from": "2024-01-01", "to": "2025-01-01"})
        t.eq((net["arc_list"], net["baseline_vertices"]), ("a>e:1", 4),
             f"{tag} baseline built beside the main window")
        t.eq(r["tables"]["group"]["rows"], [["x", 1], ["y", 1]],
             f"{tag} groups numbered over both windows")
        t.eq(r["baseline"], {"from": "2024-01-01T00:00:00Z",
                             "to": "2025-01-01T00:00:00Z"},
             f"{tag} baseline echoed")

        # Cache: same request again is cached; new data invalidates it.
        r1, _ = dump(d, sort="out", top=2)
        t.eq(r1["cached"], True, f"{tag} repeated analysis is cached")
        t.eq([row[0] for row in r1["tables"]["vertex"]["rows"]], ["a", "c"],
             f"{tag} sort by out, descending, top 2")
        t.eq(r1["tables"]["vertex"]["total_rows"], 4, f"{tag} total_rows")
        r2, _ = dump(d, sort="out_weight:asc")
        t.eq([row[0] for row in r2["tables"]["vertex"]["rows"]],
             ["b", "e", "c", "a"], f"{tag} ascending sort, ties by id")
        d.call("ingest", {"records": [{"ts": "2024-05-01", "from": "e",
                                       "to": "b", "kind": "advice"}]})
        r3, net = dump(d)
        t.ok(not r3["cached"] and "e>b:1" in net["arc_list"],
             f"{tag} new data invalidates the cache")
        # Progress notifications come before the answer when asked for.
        with d.client() as c:
            id = c.send("analyse", {"plugin": "viewdump", "progress": True,
                                    "kinds": ["advice"]})
            first, second = c.recv(), c.recv()
        t.eq((first.get("method"), first["params"]["id"],
              first["params"]["fraction"]), ("progress", id, 0.5),
             f"{tag} progress notification with the request id")
        t.eq(second.get("id"), id, f"{tag} then the answer")
        st = d.call("status")
        t.ok(st["plugins"]["viewdump"]["runs"] >= 10 and
             st["plugins"]["viewdump"]["cache_hits"] >= 1 and
             st["cache"]["hits"] >= 1, f"{tag} status counts runs and hits",
             st["plugins"])

        for bad, why in [({"plugin": "viewdump", "sort": "nosuch"}, "sort"),
                         ({"plugin": "viewdump", "top": -1}, "top"),
                         ({"plugin": "viewdump", "kinds": []}, "kinds"),
                         ({"plugin": "viewdump", "kinds": "advice"}, "kinds"),
                         ({"plugin": "viewdump",
                           "window": {"from": "yesterday"}}, "window"),
                         ({"plugin": "viewdump", "window": {"since": 1}},
                          "window"),
                         ({"plugin": "viewdump", "boundary": "a b"},
                          "boundary"),
                         ({"plugin": "viewdump", "isolates": "yes"},
                          "isolates"),
                         ({"plugin": "viewdump", "colour": 1}, "colour"),
                         ({}, "plugin")]:
            try:
                d.call("analyse", bad)
                t.ok(False, f"{tag} bad {why} rejected")
            except RpcError as e:
                t.eq(e.code, -32602, f"{tag} bad {why}: -32602")
        try:
            d.call("analyse", {"plugin": "nosuch"})
        except RpcError as e:
            t.eq(e.code, 1004, f"{tag} unknown plugin: 1004")
        t.eq(d.stop(), 0, f"{tag} clean stop")
t.done()
