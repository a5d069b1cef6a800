"""Input limits (issue 9): what a client sends can make huge views or
infinite sums, or a parse error that reads as "out of memory". Each is
refused with a clear error, and the daemon keeps serving everyone else."""
import json
import subprocess

from spandtest import SPAND, TAP, Daemon, RpcError

t = TAP()


def ingest_error(d, params):
    """The RpcError an ingest gets (None if it was accepted)."""
    try:
        d.call("ingest", params)
    except RpcError as e:
        return e
    return None


def raw(d, line):
    """One raw line on a fresh connection: the parsed reply."""
    with d.client(timeout=20) as c:
        c.send_raw(line + b"\n")
        return c.recv()


def serving(d, name):
    """Another client is still served, with the data stored so far."""
    with d.client(timeout=10) as c:
        t.ok("version" in c.call("ping"), f"{name}: still serving")


def chain(n, attr, prefix="p"):
    """n people, each with its own value of attr, and a chain of records
    joining them (so all are in the view)."""
    return {"people": [{"id": f"{prefix}{i}", attr: f"v{i}"}
                       for i in range(n)],
            "records": [{"ts": 1700000000, "from": f"{prefix}{i}",
                         "to": f"{prefix}{i + 1}", "kind": "advice"}
                        for i in range(n - 1)]}


def event(ts, people, **extra):
    return {"ts": ts, "kind": "meeting", "participants": people, **extra}


# --- defaults: the daemon's own limits -------------------------------------
with Daemon() as d:
    d.start()
    ok = event(1700000000, [f"q{i}" for i in range(1000)])
    big = event(1700000000, [f"q{i}" for i in range(1001)])
    e = ingest_error(d, {"events": [ok, big]})
    t.ok(e is not None and e.code == 1005, "1,001 participants refused",
         e and (e.code, e.message))
    if e is not None and e.data:
        rej = e.data["rejected"]
        t.eq([r["path"] for r in rej], ["events[1].participants"],
             "the path of the too-large event")
        t.eq(rej[0]["reason"],
             "lists 1001 participants, more than max_event_participants "
             "(1000): an event of k people makes k(k-1)/2 ties",
             "the reason names the limit and why")
    r = d.call("ingest", {"events": [big, ok], "on_error": "skip"})
    t.eq((r["events"]["added"], r["rejected_count"],
          [x["path"] for x in r["rejected"]]),
         (1, 1, ["events[0].participants"]),
         "skip: the 1,000-person event stored, the other refused")

    # Two finite weights whose sum is not.
    rec = {"ts": 1700000000, "from": "w1", "to": "w2", "kind": "advice"}
    e = ingest_error(d, {"records": [dict(rec, weight=1e308),
                                     dict(rec, weight=1e308)]})
    t.ok(e is not None and e.code == 1005, "weights of 1e308 refused")
    if e is not None and e.data:
        t.eq([(x["path"], x["reason"]) for x in e.data["rejected"]],
             [("records[0].weight", "is above max_weight (1e+09)"),
              ("records[1].weight", "is above max_weight (1e+09)")],
             "each weight named, with the limit")
    e = ingest_error(d, {"events": [event(1700000000, ["w1", "w2"],
                                          weight=2e9)]})
    t.ok(e is not None and e.code == 1005 and
         [x["path"] for x in e.data["rejected"]] == ["events[0].weight"],
         "an event's weight over max_weight refused")
    r = d.call("ingest", {"records": [dict(rec, weight=1e9)]})
    t.eq(r["records"]["added"], 1, "a weight of max_weight is stored")

    # An analysis by an attribute with more values than max_groups: its
    # pair tables would have g^2 rows. Refused before they are allocated.
    d.call("ingest", chain(1001, "desk"))
    for plugin in ("mixing", "ei"):
        try:
            d.call("analyse", {"plugin": plugin, "boundary": "desk"})
            t.ok(False, f"{plugin} by 1,001 groups refused")
        except RpcError as e:
            t.ok('boundary "desk" has 1001 groups in this view, more than '
                 'max_groups (1000)' in e.message,
                 f"{plugin} by 1,001 groups refused, naming the boundary "
                 f"and the count", e.message)
    serving(d, "after the refusals")
    r = d.call("analyse", {"plugin": "mixing", "boundary": "desk",
                           "window": {"from": "2000-01-01",
                                      "to": "2001-01-01"}})
    t.ok("tables" in r and r["view"]["vertices"] == 0,
         "an analysis by the same boundary on a window with fewer groups "
         "(none) runs")

    # Invalid escapes are parse errors (-32700), whatever follows the
    # backslash; "\\é" used to answer -32603 "out of memory" (jansson's
    # context ended inside the UTF-8 of é, and the reply could not be
    # written).
    head = b'{"jsonrpc":"2.0","id":1,"method":"ingest","params":{"people":'
    for s, name in [(rb"a\q", r"\q"), (rb"a\u12", r"\u12"),
                    (rb"a\u12zz", r"\u12zz"), (rb"a\ud800", r"lone \ud800"),
                    (rb"a\udc00b", r"lone \udc00"),
                    (rb"a\ud800\u0041", r"\ud800 then not a low surrogate"),
                    ("a\\\u00e9".encode(), r"\ before é"),
                    ("\\\u20ac".encode(), r"\ before €"),
                    ("a\\u12\u00e9".encode(), r"\u12 before é"),
                    (b"a\\", "backslash at the end")]:
        for where, line in [
                ("people", head + b'[{"id":"' + s + b'"}]}}'),
                ("events", b'{"jsonrpc":"2.0","id":1,"method":"ingest",'
                 b'"params":{"events":[{"ts":1,"kind":"m","participants":'
                 b'["x","' + s + b'"]}]}}'),
                ("ping", b'{"jsonrpc":"2.0","id":1,"method":"ping","x":"'
                 + s + b'"}')]:
            resp = raw(d, line)
            err = resp.get("error", {})
            t.ok(err.get("code") == -32700 and
                 "out of memory" not in err.get("message", ""),
                 f"invalid escape {name} in {where}: -32700", resp)
    serving(d, "after the parse errors")

# --- configured limits ------------------------------------------------------
with Daemon({"limits": {"max_event_participants": 3, "max_groups": 4,
                        "max_weight": 10}}) as d:
    d.start()
    e = ingest_error(d, {"events": [event(1, ["a", "b", "c"]),
                                    event(2, ["a", "b", "c", "d"])]})
    t.ok(e is not None and e.code == 1005 and
         [(x["path"], "max_event_participants (3)" in x["reason"])
          for x in e.data["rejected"]] == [("events[1].participants", True)],
         "max_event_participants = 3: four people refused",
         e and (e.code, e.data))
    e = ingest_error(d, {"records": [{"ts": 1, "from": "a", "to": "b",
                                      "kind": "k", "weight": 10.5}]})
    t.ok(e is not None and e.code == 1005 and
         [x["reason"] for x in e.data["rejected"]] ==
         ["is above max_weight (10)"],
         "max_weight = 10: 10.5 refused", e and e.data)
    d.call("ingest", chain(5, "team"))
    try:
        d.call("analyse", {"plugin": "mixing", "boundary": "team"})
        t.ok(False, "max_groups = 4: five groups refused")
    except RpcError as e:
        t.ok('boundary "team" has 5 groups' in e.message and
             "max_groups (4)" in e.message,
             "max_groups = 4: five groups refused", e.message)
    d.call("ingest", {"people": [{"id": "p4", "team": "v3"}]})
    try:
        r = d.call("analyse", {"plugin": "mixing", "boundary": "team"})
        t.ok("tables" in r, "max_groups = 4: four groups analysed")
    except RpcError as e:
        t.ok(False, "max_groups = 4: four groups analysed", e.message)
    serving(d, "configured limits")

# --- the command line -------------------------------------------------------
for args in (["--help"], ["-h"]):
    p = subprocess.run([SPAND, *args], capture_output=True, text=True)
    t.ok(p.returncode == 0 and p.stdout.startswith("usage: spand") and
         "--version" in p.stdout, f"spand {args[0]} prints the usage",
         p.stdout + p.stderr)
for args in (["--version"], ["-V"]):
    p = subprocess.run([SPAND, *args], capture_output=True, text=True)
    t.ok(p.returncode == 0 and p.stdout.startswith("spand "),
         f"spand {args[0]} prints the version", p.stdout + p.stderr)

# The checker reports every problem of a file, each with its own line.
with Daemon() as d:
    with open(d.conf_path, "w") as f:
        f.write("[daemon]\nlog_level = info\nnosuch = 1\n; ok\n"
                "socket_mode = 0999\n")
    p = subprocess.run([SPAND, "-t", "-c", d.conf_path], capture_output=True,
                       text=True)
    lines = p.stderr.splitlines()
    t.eq((p.returncode, len(lines)), (1, 2), "spand -t: two problems, two "
         "lines")
    t.ok(len(lines) == 2 and
         lines[0].endswith(":3: unknown key [daemon] nosuch") and
         ":5: [daemon] socket_mode" in lines[1],
         "each problem with its own line number", p.stderr)

t.done()
