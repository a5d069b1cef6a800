"""The plugin loader and the `plugins`/`analyse` methods, with the test
plugins of tests/plugins: every deliberately broken plugin is refused with
a reason naming the field that differs; files and directories writable by
others are refused; `reload` picks up new files and drops removed ones;
the echo plugin runs with its defaults and with given parameters (as JSON
values or as strings), and wrong types or unknown parameters are -32602;
`spand -t` lists the verdicts; `spanctl plugins` and `spanctl analyse`
print text, CSV and JSON."""
import csv
import io
import json
import os
import re
import subprocess

from spandtest import SPAND, TAP, Daemon, RpcError

t = TAP()

# Each broken plugin and a pattern its refusal reason must match: the name
# of the field that differs (or the entry point that is missing).
BAD = {
    "bad_abi_major": r"abi[_ ]major",
    "bad_abi_minor": r"abi[_ ]minor",
    "bad_igraph_int": r"igraph[_ ]integer[_ ]size",
    "bad_size": r"\bsize\b",
    "no_entry": r"spand_plugin_describe",
}

# a..d have a sector, e has none (excluded). Arcs of the view:
# a>b, a>c, b>c, c>a, d>a, and b-d undirected (b>d, d>b); e>a is left out.
PEOPLE = [{"id": "a", "sector": "adults"}, {"id": "b", "sector": "children"},
          {"id": "c", "sector": "nhs"}, {"id": "d", "sector": "voluntary"},
          {"id": "e"}]
RECORDS = [
    {"id": "r1", "ts": "2024-01-10", "from": "a", "to": "b", "kind": "advice"},
    {"id": "r2", "ts": "2024-01-11", "from": "a", "to": "c", "kind": "advice"},
    {"id": "r3", "ts": "2024-01-12", "from": "b", "to": "c",
     "kind": "referral"},
    {"id": "r4", "ts": "2024-01-13", "from": "c", "to": "a", "kind": "advice"},
    {"id": "r5", "ts": "2024-01-14", "from": "d", "to": "a", "kind": "advice"},
    {"id": "r6", "ts": "2024-01-15", "from": "b", "to": "d", "kind": "meeting",
     "directed": False},
    {"id": "r7", "ts": "2024-01-16", "from": "e", "to": "a", "kind": "advice"},
]
OUT_DEGREE = {"a": 2, "b": 2, "c": 1, "d": 2}
DEFAULTS = {"flag": 0, "count": 3, "ratio": 0.5, "label": "x"}


def diag_of(p):
    return f"exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"


def listing(d):
    """`plugins`: ({name: plugin}, {file basename: reason})."""
    r = d.call("plugins")
    return ({p["name"]: p for p in r["plugins"]},
            {os.path.basename(x["file"]): x["reason"] for x in r["refused"]})


def refused_mentions(refused, pattern):
    return [f for f, why in refused.items() if re.search(pattern, why, re.I)]


def table(result, name):
    """A result table as a list of {column: value} dicts."""
    tab = result["tables"][name]
    cols = [c["name"] for c in tab["columns"]]
    return [dict(zip(cols, row)) for row in tab["rows"]]


def echo(d, params=None, **kw):
    req = {"plugin": "echo", **kw}
    if params is not None:
        req["params"] = params
    return d.call("analyse", req)


def rpc_error(d, method, params):
    try:
        d.call(method, params)
    except RpcError as e:
        return e
    return None


def csv_tables(text):
    """spanctl's CSV output: {table name: [rows]} split at "# table NAME"."""
    tables, name, lines = {}, None, []
    for line in text.splitlines(keepends=True):
        m = re.match(r"# table (\w+)\r?\n$", line)
        if m:
            if name:
                tables[name] = list(csv.reader(io.StringIO("".join(lines))))
            name, lines = m.group(1), []
        else:
            lines.append(line)
    if name:
        tables[name] = list(csv.reader(io.StringIO("".join(lines))))
    return tables


with Daemon() as d:
    d.add_plugin("echo")
    d.start()
    d.call("ingest", {"people": PEOPLE, "records": RECORDS})

    # --- the loader ------------------------------------------------------
    loaded, refused = listing(d)
    t.ok("echo" in loaded, "echo loaded at start", d.log())
    t.eq(refused, {}, "nothing refused at start")
    e = loaded.get("echo", {})
    t.eq((e.get("version"), e.get("builtin"), e.get("licence"),
          os.path.basename(e.get("file", ""))),
         ("1.0", False, "MIT", "echo.so"), "echo: version, origin, file")
    t.eq([(p["name"], p["type"], p["default"]) for p in e.get("params", [])],
         [("flag", "bool", "false"), ("count", "int", "3"),
          ("ratio", "real", "0.5"), ("label", "string", "x")],
         "echo: declared parameters with types and defaults")
    t.eq([(c["table"], c["name"], c["type"]) for c in e.get("columns", [])],
         [("vertex", "degree", "int"), ("network", "flag", "int"),
          ("network", "count", "int"), ("network", "ratio", "real"),
          ("network", "label", "string")], "echo: declared columns")
    t.ok(all(p.get("help") for p in e.get("params", [])) and
         all(c.get("meaning") for c in e.get("columns", [])),
         "echo: every parameter has help, every column a meaning")

    for name in BAD:
        d.add_plugin(name)
    res = d.call("reload")
    rep = res.get("plugins", {})
    t.eq(sorted(os.path.basename(x["file"]) for x in rep.get("refused", [])),
         sorted(n + ".so" for n in BAD), "reload reports the refused files")
    t.eq(rep.get("loaded"), [], "reload: nothing new loaded")
    loaded, refused = listing(d)
    for name, pattern in BAD.items():
        why = refused.get(name + ".so")
        t.ok(why is not None and re.search(pattern, why, re.I),
             f"{name} refused, the reason names {pattern}", f"reason: {why}")
        t.ok(name not in loaded, f"{name} not loaded")
    t.ok("echo" in loaded, "echo still loaded beside the refused files")
    for name in BAD:
        os.unlink(os.path.join(d.plugin_dir, name + ".so"))

    # A new file appears with reload, a removed one disappears.
    d.add_plugin("spin")
    loaded, _ = listing(d)
    t.ok("spin" not in loaded, "a new file is not loaded before reload")
    rep = d.call("reload").get("plugins", {})
    loaded, refused = listing(d)
    t.ok("spin" in loaded and rep.get("loaded") == ["spin"],
         "reload loads the new file", rep)
    t.eq(refused, {}, "the removed broken files are no longer listed")
    os.unlink(os.path.join(d.plugin_dir, "spin.so"))
    rep = d.call("reload").get("plugins", {})
    loaded, _ = listing(d)
    t.ok("spin" not in loaded and rep.get("removed") == ["spin"],
         "reload drops the removed file", rep)
    e = rpc_error(d, "analyse", {"plugin": "spin"})
    t.eq(e and e.code, 1004, "a removed plugin is unknown (1004)")

    # Files and directories others may write to are refused.
    echo_so = os.path.join(d.plugin_dir, "echo.so")
    for mode, what in ((0o666, "world-writable"), (0o664, "group-writable")):
        os.chmod(echo_so, mode)
        d.call("reload")
        loaded, refused = listing(d)
        t.ok("echo" not in loaded and "echo.so" in refused and
             re.search(r"writ", refused["echo.so"], re.I),
             f"a {what} plugin file ({mode:o}) is refused",
             f"refused: {refused}")
        os.chmod(echo_so, 0o644)
        d.call("reload")
        t.ok("echo" in listing(d)[0], f"{what} file: loaded again at 644")
    os.chmod(d.plugin_dir, 0o777)
    try:
        d.call("reload")
        loaded, refused = listing(d)
    finally:
        os.chmod(d.plugin_dir, 0o755)
    dir_refusals = [why for f, why in refused.items()
                    if f == os.path.basename(d.plugin_dir)]
    t.ok("echo" not in loaded and dir_refusals and
         re.search(r"writ", dir_refusals[0], re.I),
         "a world-writable plugin directory: nothing in it is loaded, the "
         "directory is refused", f"refused: {refused}")
    d.call("reload")
    t.ok("echo" in listing(d)[0], "directory at 755: echo loaded again")

    # Two files, one name: the first (in byte order) wins, the other is
    # refused naming the clash.
    twin = os.path.join(d.plugin_dir, "echo_twin.so")
    with open(echo_so, "rb") as src, open(twin + ".tmp", "wb") as dst:
        dst.write(src.read())
    os.chmod(twin + ".tmp", 0o644)
    os.replace(twin + ".tmp", twin)
    d.call("reload")
    loaded, refused = listing(d)
    t.ok(loaded.get("echo", {}).get("file", "").endswith("/echo.so") and
         "echo_twin.so" in refused and "echo" in refused["echo_twin.so"],
         "a second plugin named echo is refused", f"refused: {refused}")
    os.unlink(twin)
    d.call("reload")

    # --- echo runs: defaults, given parameters, wrong ones --------------
    r = echo(d)
    t.eq(table(r, "network"), [DEFAULTS], "echo: defaults echoed")
    t.eq({row["id"]: row["degree"] for row in table(r, "vertex")},
         OUT_DEGREE, "echo: out-degree of every person in the view")
    t.eq({row["id"]: row["group"] for row in table(r, "vertex")},
         {"a": "adults", "b": "children", "c": "nhs", "d": "voluntary"},
         "echo: vertex rows keyed by id and group")
    t.eq([c["name"] for c in r["tables"]["vertex"]["columns"]],
         ["id", "group", "degree"], "echo: key columns first")
    t.eq(r["view"], {"vertices": 4, "edges": 7, "excluded": 1, "groups": 4},
         "echo: view counts (e has no sector)")
    t.ok("echo: parameters echoed" in r.get("notes", []), "echo: its note",
         r.get("notes"))
    t.eq((r["plugin"], r["boundary"]), ("echo", "sector"),
         "echo: plugin and default boundary in the result")
    t.ok(set(r["tables"]) == {"vertex", "network"},
         "only the tables echo declares columns for", list(r["tables"]))

    given = {"flag": True, "count": 7, "ratio": 0.25, "label": "hello"}
    r = echo(d, given)
    t.eq(table(r, "network"), [{**given, "flag": 1}],
         "echo: parameters given as JSON values")
    r = echo(d, {"flag": "true", "count": "-12", "ratio": "1e-3",
                 "label": "a, \"b\""})
    t.eq(table(r, "network"), [{"flag": 1, "count": -12, "ratio": 0.001,
                                "label": "a, \"b\""}],
         "echo: parameters given as strings")
    r = echo(d, {"count": 9})
    t.eq(table(r, "network"), [{**DEFAULTS, "count": 9}],
         "echo: parameters not given keep their defaults")
    r = echo(d, {"label": ""})
    t.eq(table(r, "network")[0]["label"], "", "echo: an empty string")

    for params, what in (({"count": "seven"}, "int from a non-number"),
                         ({"count": 1.5}, "int from a real"),
                         ({"count": "1.5"}, "int from a real string"),
                         ({"flag": "maybe"}, "bool from another word"),
                         ({"ratio": "abc"}, "real from a non-number"),
                         ({"ratio": [1]}, "real from an array"),
                         ({"label": 5}, "string from a number"),
                         ({"nosuch": "1"}, "unknown parameter"),
                         ("count=3", "params not an object")):
        e = rpc_error(d, "analyse", {"plugin": "echo", "params": params})
        t.ok(e is not None and e.code == -32602,
             f"echo: {what} is -32602", e and f"{e.code}: {e.message}")
    e = rpc_error(d, "analyse", {"plugin": "nosuch"})
    t.eq(e and e.code, 1004, "unknown plugin: 1004")
    e = rpc_error(d, "analyse", {})
    t.eq(e and e.code, -32602, "analyse without a plugin: -32602")

    # --- spand -t --------------------------------------------------------
    for name in ("bad_abi_major", "no_entry"):
        d.add_plugin(name)
    p = subprocess.run([SPAND, "-t", "-c", d.conf_path], capture_output=True,
                       text=True, timeout=60)
    out = p.stdout + p.stderr
    t.ok("echo" in out, "spand -t lists the loadable plugin", diag_of(p))
    t.ok(re.search(r"bad_abi_major\.so.*abi[_ ]major", out, re.I) and
         re.search(r"no_entry\.so.*spand_plugin_describe", out),
         "spand -t lists each refused file with its reason", diag_of(p))
    t.eq(p.returncode, 1, "spand -t with a refused plugin exits 1")
    for name in ("bad_abi_major", "no_entry"):
        os.unlink(os.path.join(d.plugin_dir, name + ".so"))
    p = subprocess.run([SPAND, "-t", "-c", d.conf_path], capture_output=True,
                       text=True, timeout=60)
    t.ok(p.returncode == 0 and "echo" in p.stdout + p.stderr,
         "spand -t with good plugins only: exit 0", diag_of(p))

    # --- spanctl plugins -------------------------------------------------
    d.add_plugin("bad_abi_minor")
    d.spanctl("reload")
    p = d.spanctl("plugins")
    t.ok(p.returncode == 0 and re.search(r"^echo 1\.0\b", p.stdout, re.M),
         "spanctl plugins: name and version", diag_of(p))
    t.ok(re.search(r"^\s+count\s+int\s+3\s+echoed", p.stdout, re.M) and
         re.search(r"^\s+label\s+string\s+x\s", p.stdout, re.M),
         "spanctl plugins: parameters with type, default and help",
         diag_of(p))
    t.ok(re.search(r"^\s+vertex\s+degree\s+int\s+arcs leaving", p.stdout,
                   re.M), "spanctl plugins: columns with table and meaning",
         diag_of(p))
    t.ok(re.search(r"^refused:", p.stdout, re.M) and
         re.search(r"bad_abi_minor\.so:\s+.*abi[_ ]minor", p.stdout, re.I),
         "spanctl plugins: refused files with reasons", diag_of(p))
    p = d.spanctl("--json", "plugins")
    try:
        pj = json.loads(p.stdout)
    except ValueError:
        pj = None
    t.ok(p.returncode == 0 and pj and
         any(x["name"] == "echo" for x in pj["plugins"]),
         "spanctl --json plugins", diag_of(p))
    os.unlink(os.path.join(d.plugin_dir, "bad_abi_minor.so"))
    p = d.spanctl("reload")
    t.ok(p.returncode == 0 and "reloaded" in p.stdout, "spanctl reload",
         diag_of(p))
    d.add_plugin("segv")
    p = d.spanctl("reload")
    t.ok(p.returncode == 0 and re.search(r"loaded:.*\bsegv\b", p.stdout),
         "spanctl reload names a newly loaded plugin", diag_of(p))
    os.unlink(os.path.join(d.plugin_dir, "segv.so"))
    p = d.spanctl("reload")
    t.ok(p.returncode == 0 and re.search(r"removed:.*\bsegv\b", p.stdout),
         "spanctl reload names a removed plugin", diag_of(p))

    # --- spanctl analyse -------------------------------------------------
    p = d.spanctl("analyse", "echo", "--format", "json")
    try:
        aj = json.loads(p.stdout)
    except ValueError:
        aj = None
    t.ok(p.returncode == 0 and aj and table(aj, "network") == [DEFAULTS],
         "spanctl analyse --format json: the result", diag_of(p))
    p = d.spanctl("analyse", "echo", "--param", "count=11", "--param",
                  "flag=true", "--param", "ratio=0.125", "--param",
                  'label=a,"b"\nc', "--format", "csv")
    tabs = csv_tables(p.stdout) if p.returncode == 0 else {}
    t.eq(list(tabs), ["network", "vertex"],
         "spanctl analyse --format csv: '# table NAME' before each table, "
         "network first")
    t.eq(tabs.get("network"), [["flag", "count", "ratio", "label"],
                               ["1", "11", "0.125", 'a,"b"\nc']],
         "csv: parameters from --param, RFC 4180 quoting")
    t.eq(sorted(tabs.get("vertex", [])[1:]),
         sorted([k, g, str(v)] for (k, v), g in
                zip(sorted(OUT_DEGREE.items()),
                    ["adults", "children", "nhs", "voluntary"])),
         "csv: vertex rows")
    t.eq(tabs.get("vertex", [[]])[0], ["id", "group", "degree"],
         "csv: vertex header")

    p = d.spanctl("analyse", "echo")
    out = p.stdout
    t.ok(p.returncode == 0 and re.search(r"^plugin:\s+echo$", out, re.M) and
         re.search(r"^boundary:\s+sector$", out, re.M) and
         re.search(r"^window:\s+all time$", out, re.M) and
         re.search(r"^view:\s+4 people, 7 arcs, 4 groups; 1 person "
                   r"without a sector left out$", out, re.M) and
         re.search(r"^note:\s+echo: parameters echoed$", out, re.M),
         "spanctl analyse: header with plugin, boundary, window, view, note",
         diag_of(p))
    t.ok(re.search(r"^(computed:\s+in [\d.]+ m?s|result:\s+cached)", out,
                   re.M), "spanctl analyse: cached or elapsed", diag_of(p))
    t.ok(re.search(r"^network\n  flag:\s+0\n  count:\s+3\n  ratio:\s+0\.5000\n"
                   r"  label:\s+x\n", out, re.M),
         "spanctl analyse: network table as key: value lines, integers "
         "without decimals", diag_of(p))
    t.ok(out.find("network") < out.find("vertex:") and
         re.search(r"^vertex: 4 rows\n  id\s+group\s+degree\n", out, re.M) and
         re.search(r"^  a\s+adults\s+2$", out, re.M),
         "spanctl analyse: then the vertex table, aligned", diag_of(p))
    p = d.spanctl("analyse", "echo", "--top", "2", "--sort", "degree:asc")
    t.ok(p.returncode == 0 and
         re.search(r"^vertex: 2 of 4 rows\n  id\s+group\s+degree\n  c\s+nhs"
                   r"\s+1\n", p.stdout, re.M) and
         "2 more rows" in p.stdout,
         "spanctl analyse --top 2 --sort degree:asc", diag_of(p))
    p = d.spanctl("analyse", "echo", "--from", "2024-01-12", "--to",
                  "1705190400", "--kind", "advice", "--kind", "referral",
                  "--format", "json")
    try:
        aj = json.loads(p.stdout)
    except ValueError:
        aj = None
    # [2024-01-12, 2024-01-14): r3 (b>c) and r4 (c>a).
    t.ok(p.returncode == 0 and aj and
         {r["id"]: r["degree"] for r in table(aj, "vertex")} ==
         {"b": 1, "c": 1, "a": 0} and
         aj["window"] == {"from": "2024-01-12T00:00:00Z",
                          "to": "2024-01-14T00:00:00Z"},
         "spanctl analyse --from/--to (ISO and Unix seconds), --kind",
         diag_of(p))
    p = d.spanctl("analyse", "echo", "--isolates", "--by", "sector",
                  "--format", "json")
    try:
        aj = json.loads(p.stdout)
    except ValueError:
        aj = None
    t.ok(p.returncode == 0 and aj and aj["view"]["vertices"] == 4,
         "spanctl analyse --isolates --by", diag_of(p))
    p = d.spanctl("analyse", "echo", "--param", "count=seven")
    t.ok(p.returncode == 1 and "-32602" in p.stderr,
         "spanctl analyse: a wrong parameter type exits 1 with -32602",
         diag_of(p))
    p = d.spanctl("analyse", "nosuch")
    t.ok(p.returncode == 1 and "1004" in p.stderr,
         "spanctl analyse: unknown plugin exits 1 with 1004", diag_of(p))
    for args, what in ((["analyse"], "no plugin"),
                       (["analyse", "echo", "--format", "xml"], "bad format"),
                       (["analyse", "echo", "--param", "count"],
                        "--param without ="),
                       (["analyse", "echo", "--top", "many"], "bad --top"),
                       (["analyse", "echo", "--from", "yesterday"],
                        "bad time"),
                       (["analyse", "echo", "extra"], "two plugins")):
        p = d.spanctl(*args)
        t.ok(p.returncode == 2 and "usage:" in p.stderr,
             f"spanctl analyse usage error ({what}): exit 2", diag_of(p))

    p = d.spanctl("ping")
    t.eq(p.returncode, 0, "daemon still answers")

t.done()
