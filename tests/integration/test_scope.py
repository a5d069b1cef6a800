"""Scoped views (DESIGN.md "Scoped views"), seen through the viewdump test
plugin: where, without (ids and conditions), event_weighting and
baseline_kinds; people taken out are not excluded, and a person whose only
ties were to them is not a vertex; every option is in the cache key;
clear errors for malformed options."""
from spandtest import TAP, Daemon, RpcError

t = TAP()
PEOPLE = [
    {"id": "a", "sector": "x", "site": "s1", "role": "PSW"},
    {"id": "b", "sector": "y", "site": "s1", "role": "OT"},
    {"id": "c", "sector": "x", "site": "s2", "role": "PSW"},
    {"id": "d", "site": "s2"},
    {"id": "e", "sector": "y", "site": "s2", "role": "lead", "left": "2025"},
    {"id": "f", "sector": "x", "site": "s1"},
]
RECORDS = [
    {"id": "r1", "ts": "2024-01-10", "from": "a", "to": "b", "kind": "advice"},
    {"id": "r2", "ts": "2024-02-01", "from": "b", "to": "c",
     "kind": "referral", "directed": False},
    {"id": "r3", "ts": "2024-03-01", "from": "c", "to": "d", "kind": "advice"},
    {"id": "r4", "ts": "2024-04-01", "from": "a", "to": "e", "kind": "advice"},
    {"id": "r5", "ts": "2024-05-01", "from": "e", "to": "f", "kind": "advice"},
]
EVENTS = [{"id": "m1", "ts": "2024-06-01", "kind": "meeting",
           "participants": ["a", "c", "e"]}]


def dump(d, **params):
    r = d.call("analyse", {"plugin": "viewdump", **params})
    net = dict(zip([c["name"] for c in r["tables"]["network"]["columns"]],
                   r["tables"]["network"]["rows"][0]))
    return r, net


def err(d, params):
    try:
        d.call("analyse", {"plugin": "viewdump", **params})
    except RpcError as e:
        return e.code, e.message
    return None, None


with Daemon() as d:
    d.add_plugin("viewdump")
    d.start()
    d.call("ingest", {"people": PEOPLE, "records": RECORDS, "events": EVENTS})

    r, net = dump(d)
    t.eq(net["arc_list"], "a>b:1 a>c:1 a>e:2 b>c:1 c>a:1 c>b:1 c>e:1 e>a:1 "
         "e>c:1 e>f:1", "whole view (pairs weighting)")
    t.eq(net["excluded"], 1, "d (no sector) excluded")

    r, net = dump(d, where={"role": ["PSW", "OT"]})
    # a b c only: d, e, f have another role or none. c>d is gone and d is
    # not excluded: taken out is not the same as lacking a sector.
    t.eq(net["arc_list"], "a>b:1 a>c:1 b>c:1 c>a:1 c>b:1",
         "where: only people matching, only ties among them")
    t.eq((net["vertices"], net["excluded"]), (3, 0),
         "where: people taken out are not excluded")
    t.eq(r["cached"], False, "where is in the cache key")
    r, net = dump(d, where={"role": ["PSW", "OT"], "site": ["s1"]})
    t.eq(net["arc_list"], "a>b:1", "where: AND across attributes")

    r, net = dump(d, without={"ids": ["e"]})
    # f's only tie was to e: f is no vertex.
    t.eq(net["arc_list"], "a>b:1 a>c:1 b>c:1 c>a:1 c>b:1",
         "without ids: the person and their ties gone")
    t.eq((net["vertices"], net["excluded"]), (3, 1),
         "without: a person tied only to those taken out is no vertex; d "
         "still excluded")
    r2, net2 = dump(d, without={"where": {"left": ["2025"]}})
    t.eq(net2["arc_list"], net["arc_list"], "without where: the same by "
         "condition")
    r, net = dump(d, without={"ids": ["a"], "where": {"site": ["s2"]}})
    t.eq((net["vertices"], net["arcs"]), (0, 0),
         "without: listed or matching any condition")
    r, net = dump(d, without={"ids": ["nobody"]})
    t.eq(net["arcs"], 10, "without an unknown id: nothing taken out")

    r, net = dump(d, event_weighting="newman")
    # The meeting of 3 adds 1 / (3 - 1) to each pair's arcs.
    t.eq(net["arc_list"], "a>b:1 a>c:0.5 a>e:1.5 b>c:1 c>a:0.5 c>b:1 "
         "c>e:0.5 e>a:0.5 e>c:0.5 e>f:1", "newman event weighting")
    r, net = dump(d, event_weighting="newman", without={"ids": ["e"]})
    t.eq(net["arc_list"], "a>b:1 a>c:0.5 b>c:1 c>a:0.5 c>b:1",
         "newman: k counts every participant in the store, e too")
    r, net = dump(d, event_weighting="pairs")
    t.eq(r["cached"], True, "pairs is the default (same cache entry)")

    r, net = dump(d, kinds=["advice"], baseline={"to": "2025-01-01"},
                  baseline_kinds=["meeting"])
    t.eq(net["arc_list"], "a>b:1 a>e:1 e>f:1",
         "main window: kinds")
    t.eq(net["baseline_arcs"], "a>c:1 a>e:1 c>a:1 c>e:1 e>a:1 e>c:1",
         "baseline_kinds: the baseline's own kinds")
    r, net = dump(d, kinds=["advice"], baseline={"to": "2025-01-01"})
    t.eq(net["baseline_arcs"], "a>b:1 a>e:1 e>f:1",
         "baseline kinds default to kinds")
    r, net = dump(d, baseline={"to": "2025-01-01"}, where={"site": ["s1"]})
    t.eq(net["baseline_arcs"], "a>b:1", "where applies to the baseline too")

    for bad, why in [
            ({"where": ["role"]}, "params.where must be an object"),
            ({"where": {"1x": ["a"]}}, "not an attribute name"),
            ({"where": {"role": []}}, "params.where.role must be a non-empty"),
            ({"where": {"role": [""]}}, "params.where.role[0]"),
            ({"without": {"idz": ["a"]}}, "params.without must be an object"),
            ({"without": {"ids": [1]}}, "params.without.ids[0]"),
            ({"event_weighting": "mean"}, "pairs\" or \"newman"),
            ({"within": "1x"}, "params.within must be an attribute name"),
            ({"within": "sector"}, "is the boundary"),
            ({"baseline_kinds": ["advice"]}, "give a baseline window"),
            ({"baseline": {}, "baseline_kinds": []}, "params.baseline_kinds"),
    ]:
        code, msg = err(d, bad)
        t.ok(code == -32602 and msg and why in msg,
             f"refused with -32602: {bad}", f"{code} {msg}")
    # spanctl's flags make the same requests.
    import json as _json
    import os as _os

    def ctl(*args):
        p = d.spanctl("analyse", "viewdump", "--format", "json", *args)
        if p.returncode != 0:
            return p.returncode, p.stderr
        net = _json.loads(p.stdout)["tables"]["network"]
        return 0, dict(zip([c["name"] for c in net["columns"]],
                           net["rows"][0]))["arc_list"]
    t.eq(ctl("--where", "role=PSW,OT"),
         (0, "a>b:1 a>c:1 b>c:1 c>a:1 c>b:1"), "spanctl --where")
    t.eq(ctl("--where", "role=PSW", "--where", "role=OT", "--where",
             "site=s1"), (0, "a>b:1"),
         "spanctl --where repeated: values of one attribute add up")
    t.eq(ctl("--without", "e"), (0, "a>b:1 a>c:1 b>c:1 c>a:1 c>b:1"),
         "spanctl --without ID")
    t.eq(ctl("--without", "left=2025"),
         (0, "a>b:1 a>c:1 b>c:1 c>a:1 c>b:1"), "spanctl --without ATTR=V")
    idfile = _os.path.join(d.dir, "ids.txt")
    with open(idfile, "w") as f:
        f.write("a\n\nc\r\n")
    t.eq(ctl("--without-file", idfile), (0, "e>f:1"),
         "spanctl --without-file: one id a line")
    t.eq(ctl("--event-weighting", "newman")[1].split()[1], "a>c:0.5",
         "spanctl --event-weighting newman")
    p = d.spanctl("analyse", "viewdump", "--format", "json", "--kind",
                  "advice", "--baseline-to", "2025-01-01", "--baseline-kind",
                  "meeting")
    t.eq(dict(zip([c["name"] for c in _json.loads(p.stdout)["tables"]
                   ["network"]["columns"]],
                  _json.loads(p.stdout)["tables"]["network"]["rows"][0]))
         ["baseline_arcs"], "a>c:1 a>e:1 c>a:1 c>e:1 e>a:1 e>c:1",
         "spanctl --baseline-kind")
    p = d.spanctl("analyse", "viewdump", "--within", "site")
    t.ok(p.returncode == 0 and "site: 2 scopes, each analysed on its own\n"
         in p.stdout and "network: 2 rows\n  site  vertices" in p.stdout,
         "spanctl --within: the scopes in the header, a network row each",
         p.stdout + p.stderr)
    p = d.spanctl("analyse", "viewdump", "--event-weighting", "mean")
    t.ok(p.returncode == 2 and "pairs or newman" in p.stderr,
         "spanctl: a bad --event-weighting is a usage error", p.stderr)
    p = d.spanctl("analyse", "viewdump", "--where", "role")
    t.ok(p.returncode == 2 and "ATTR=VALUE" in p.stderr,
         "spanctl: --where without = is a usage error", p.stderr)
    # An export keeps every attribute (from:A,to:A columns) and the people
    # without a boundary value (d, group ""): test_export_attrs.
    head = ("from,to,weight,from_group,to_group,from:left,to:left,"
            "from:role,to:role,from:site,to:site\n")
    p = d.spanctl("export", "--format", "csv", "--where", "site=s1")
    t.eq(p.stdout, head + "a,b,1,x,y,,,PSW,OT,s1,s1\n",
         "spanctl export --where")
    p = d.spanctl("export", "--format", "csv", "--within", "site")
    t.eq(p.stdout, head + "a,b,1,x,y,,,PSW,OT,s1,s1\n"
         "c,d,1,x,,,,PSW,,s2,s2\nc,e,1,x,y,,2025,PSW,lead,s2,s2\n"
         "e,c,1,y,x,2025,,lead,PSW,s2,s2\n",
         "export --within: the pooled graph without cross-site ties")
    p = d.spanctl("export", "--format", "csv", "--within", "site",
                  "--drop-unvalued")
    t.eq([line.split(",")[:5] for line in p.stdout.splitlines()[1:]],
         [["a", "b", "1", "x", "y"], ["c", "e", "1", "x", "y"],
          ["e", "c", "1", "y", "x"]],
         "export --within --drop-unvalued: as an analysis sees it")
t.done()
