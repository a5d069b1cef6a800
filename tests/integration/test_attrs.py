"""Carried attributes (ABI 1.1): a SPAND_ATTRIBUTE parameter makes the view
carry that attribute, and api->vertex_attr reads it for the main view and
its baseline; the boundary is always carried; an attribute named by a
plain string parameter is not. Seen by the attrs test plugin run isolated
(third-party) and in a thread (built in, isolation = thread)."""
from spandtest import TAP, Daemon, RpcError

t = TAP()
PEOPLE = [{"id": "a", "sector": "x", "role": "PSW", "site": "s1"},
          {"id": "b", "sector": "y", "role": "OT", "site": "s1"},
          {"id": "c", "sector": "x", "site": "s2"},
          {"id": "d", "role": "PSW"},
          {"id": "e", "sector": "y", "role": "lead", "site": "s2"}]
RECORDS = [
    {"id": "r1", "ts": "2024-01-10", "from": "a", "to": "b", "kind": "advice"},
    {"id": "r2", "ts": "2024-03-01", "from": "b", "to": "c", "kind": "advice"},
    {"id": "r3", "ts": "2024-03-05", "from": "c", "to": "d", "kind": "advice"},
    {"id": "r4", "ts": "2025-01-01", "from": "a", "to": "e", "kind": "advice"},
]


def run(d, plugin, **params):
    r = d.call("analyse", {"plugin": plugin, **params})
    cols = [c["name"] for c in r["tables"]["vertex"]["columns"]]
    rows = {row[0]: dict(zip(cols, row)) for row in r["tables"]["vertex"]["rows"]}
    ncols = [c["name"] for c in r["tables"]["network"]["columns"]]
    net = dict(zip(ncols, r["tables"]["network"]["rows"][0]))
    return rows, net


for plugin, isolation in (("attrs", "process"), ("attrs_trusted", "thread")):
    with Daemon({"analysis": {"isolation": isolation}}) as d:
        d.add_plugin(plugin)
        d.start()
        d.call("ingest", {"people": PEOPLE, "records": RECORDS})
        tag = f"[{plugin}]"
        how = "built in" if isolation == "thread" else "third-party"
        t.ok(any(f"plugin {plugin} 1.0 loaded" in line and how in line
                 for line in d.log().splitlines()), f"{tag} loaded as {how}")

        rows, net = run(d, plugin, params={"attr": "role", "other": "site"},
                        baseline={"to": "2025-01-01"})
        t.eq(net["has_api"], 1, f"{tag} the api has vertex_attr")
        # Vertices a b c e (d has no sector); c has no role.
        t.eq({k: v["value"] for k, v in rows.items()},
             {"a": "PSW", "b": "OT", "c": None, "e": "lead"},
             f"{tag} role of each vertex; none is null")
        t.eq({k: v["boundary_value"] for k, v in rows.items()},
             {"a": "x", "b": "y", "c": "x", "e": "y"},
             f"{tag} the boundary is always carried")
        t.eq({k: v["other_null"] for k, v in rows.items()},
             {"a": 1, "b": 1, "c": 1, "e": 1},
             f"{tag} site, named by a string parameter, is not carried")
        # Baseline (before 2025): a>b, b>c; d excluded (no sector).
        t.eq(net["baseline_values"], "a=PSW b=OT c=-",
             f"{tag} baseline vertices carry the attribute too")

        rows, net = run(d, plugin, params={"attr": "site"})
        t.eq({k: v["value"] for k, v in rows.items()},
             {"a": "s1", "b": "s1", "c": "s2", "e": "s2"},
             f"{tag} another attribute: another view (not the cached one)")
        rows, net = run(d, plugin, params={"attr": "nosuch"})
        t.eq({k: v["value"] for k, v in rows.items()},
             {"a": None, "b": None, "c": None, "e": None},
             f"{tag} an attribute nobody has: null everywhere")
        rows, net = run(d, plugin)
        t.eq({k: v["value"] for k, v in rows.items()},
             {"a": None, "b": None, "c": None, "e": None},
             f"{tag} the default \"\" carries nothing")

        # New data after a view was built: the incremental build keeps
        # the attributes, and reads the new people's.
        run(d, plugin, params={"attr": "role"})
        d.call("ingest", {
            "people": [{"id": "f", "sector": "x", "role": "nurse"}],
            "records": [{"id": "r5", "ts": "2025-02-01", "from": "e",
                         "to": "f", "kind": "advice"}]})
        rows, net = run(d, plugin, params={"attr": "role"})
        t.eq({k: v["value"] for k, v in rows.items()},
             {"a": "PSW", "b": "OT", "c": None, "e": "lead", "f": "nurse"},
             f"{tag} after an append: old and new people's values")

        try:
            d.call("analyse", {"plugin": plugin, "params": {"attr": "1bad"}})
            t.ok(False, f"{tag} a bad attribute name is refused")
        except RpcError as e:
            t.ok(e.code == -32602 and "attribute" in e.message,
                 f"{tag} a bad attribute name is refused", str(e.message))
        p = {x["name"]: x for x in d.call("plugins")["plugins"]}[plugin]
        t.eq([(x["name"], x["type"]) for x in p["params"]],
             [("attr", "attribute"), ("other", "string")],
             f"{tag} plugins lists the attribute parameter's type")
t.done()
