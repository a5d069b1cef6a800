"""The fast ingest path (rpc.c parse_ingest_fast, ingest.c ingest_scan)
answers exactly as the jansson path does.

Two daemons get the same requests in the same order. Daemon A gets each
line as it is; daemon B gets it with an extra envelope member ("zz":0, which
dispatch ignores) that keeps it off the fast path. Every answer must be the
same, byte for byte (a parse error's byte offset moves by the inserted
bytes, and is compared after taking them off)."""
import json
import re
import sqlite3

from spandtest import TAP, Daemon

t = TAP()
EXTRA = b'"zz":0,'
a = Daemon()
b = Daemon()
a.start()
b.start()


def records(n, start=0, bad=None):
    out = []
    for i in range(start, start + n):
        r = {"id": f"r{i}", "ts": "2024-01-01T08:30:21Z" if i % 2 else
             1700000000 + i, "from": f"p{i % 37}", "to": f"p{(i + 1) % 37}",
             "kind": ["advice", "joint-case", "supervision"][i % 3],
             "weight": [1, 2.5, 0, 1e-3][i % 4], "directed": i % 5 != 0}
        if i % 7 == 0:
            del r["weight"]
        if i % 11 == 0:
            del r["id"]
        out.append(r)
    if bad is not None:
        out[bad]["ts"] = "2024-02-30"
    return out


def env(params, id=1, method="ingest", order=None):
    doc = {"jsonrpc": "2.0", "id": id, "method": method, "params": params}
    if id is None:
        del doc["id"]
    keys = order or list(doc)
    return ("{" + ",".join(json.dumps(k) + ":" + json.dumps(doc[k])
                           for k in keys if k in doc) + "}").encode()


def p(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


big = records(2000, 1000)
cases = [
    ("small batch", env({"records": records(5)})),
    ("params before method",
     env({"records": records(5, 10)}, order=["params", "method", "id",
                                              "jsonrpc"])),
    ("real id", env({"records": records(2, 20)}, id=1.5)),
    ("exponent id", env({"records": records(2, 30)}, id=1e2).replace(
        b"100.0", b"1e2")),
    ("string id with escapes", b'{"jsonrpc":"2.0","id":"a\\u00e9\\"\\ud83d'
     b'\\ude00","method":"ingest","params":{"records":' +
     p(records(2, 40)).encode() + b"}}"),
    ("null id", env({"records": records(2, 50)}, id=None).replace(
        b'{"jsonrpc":"2.0"', b'{"jsonrpc":"2.0","id":null')),
    ("big integer id", env({"records": records(1, 60)},
                           id=9007199254740993)),
    ("escaped method and key", b'{"json\\u0072pc":"2.0","id":3,'
     b'"method":"\\u0069ngest","params":{"records":' +
     p(records(2, 70)).encode() + b"}}"),
    ("whitespace", b' \t{ "jsonrpc" : "2.0" ,\r "id" : 4 , "method" : '
     b'"ingest" , "params" : { "records" : [ { "ts" : 1 , "from" : "x" , '
     b'"to" : "y" , "kind" : "k" } ] , "on_error" : "skip" } } \r'),
    ("people and events", env({
        "people": [{"id": "p1", "sector": "adults", "org": None},
                   {"id": "p\u00e92", "role": "Lead \u20ac\t"}],
        "events": [{"ts": 5, "kind": "meeting", "weight": 2,
                    "participants": ["p1", "p\u00e92", "p1", "p3"]}]})),
    ("big batch", env({"records": big, "on_error": "skip"})),
    ("big batch, one invalid, skip",
     env({"records": records(2000, 5000, bad=1234), "on_error": "skip"})),
    ("big batch, one invalid, reject",
     env({"records": records(2000, 8000, bad=7), "on_error": "reject"})),
    ("duplicate record key", b'{"jsonrpc":"2.0","id":5,"method":"ingest",'
     b'"params":{"records":[{"ts":1,"from":"a","to":"b","kind":"k",'
     b'"ts":2}]}}'),
    ("duplicate params key", b'{"jsonrpc":"2.0","id":6,"method":"ingest",'
     b'"params":{"records":[],"records":[]}}'),
    ("duplicate envelope key", b'{"jsonrpc":"2.0","id":7,"method":"ingest",'
     b'"params":{},"method":"ingest"}'),
    ("trailing bytes", env({"records": records(1, 90)}) + b" x"),
    ("wrong jsonrpc", env({"records": records(1, 95)}).replace(
        b'"2.0"', b'"1.0"')),
    ("object id", b'{"jsonrpc":"2.0","id":{"a":1},"method":"ingest",'
     b'"params":{}}'),
    ("invalid UTF-8", b'{"jsonrpc":"2.0","id":8,"method":"ingest",'
     b'"params":{"records":[{"ts":1,"from":"a\xff","to":"b","kind":"k"}]}}'),
    ("lone surrogate", b'{"jsonrpc":"2.0","id":9,"method":"ingest",'
     b'"params":{"records":[{"ts":1,"from":"\\ud800","to":"b",'
     b'"kind":"k"}]}}'),
    ("NUL escape", b'{"jsonrpc":"2.0","id":10,"method":"ingest",'
     b'"params":{"people":[{"id":"a","s":"x\\u0000"}]}}'),
    ("integer overflow", b'{"jsonrpc":"2.0","id":11,"method":"ingest",'
     b'"params":{"records":[{"ts":99999999999999999999,"from":"a",'
     b'"to":"b","kind":"k"}]}}'),
    ("params null", env(None)),
    ("params array", env([1])),
    ("params unknown field", env({"x": 1})),
    ("params empty", env({})),
    ("bad on_error", env({"on_error": "maybe"})),
    ("self-loop", env({"records": [{"ts": 1, "from": "a", "to": "a",
                                    "kind": "k"}]})),
    ("real ts", env({"records": [{"ts": 1.5, "from": "a", "to": "b",
                                  "kind": "k"}]})),
    ("negative zero weight", b'{"jsonrpc":"2.0","id":12,"method":"ingest",'
     b'"params":{"records":[{"ts":1,"from":"a","to":"b","kind":"k",'
     b'"weight":-0.0}]}}'),
    ("other method, params first",
     env({}, method="ping", order=["params", "id", "method", "jsonrpc"])),
    ("notification", env({"records": records(3, 99)}, id=None)),
]

POS = re.compile(r"parse error at byte (\d+)")


def norm(line, shift):
    """A response line with parse-error offsets moved back by shift."""
    return POS.sub(lambda m: f"parse error at byte {int(m.group(1)) - shift}",
                   line.decode())


with a.client() as ca, b.client() as cb:
    for name, line in cases:
        assert line.startswith((b"{", b" ")), name
        at = line.index(b"{") + 1
        line_b = line[:at] + EXTRA + line[at:]
        ca.send_raw(line + b"\n")
        cb.send_raw(line_b + b"\n")
        # a ping after each, so that a notification's silence is checked
        ping = b'{"jsonrpc":"2.0","id":"sync","method":"ping"}\n'
        ca.send_raw(ping)
        cb.send_raw(ping)
        got_a = [ca.recv_line()]
        got_b = [cb.recv_line()]
        if json.loads(got_a[0]).get("id") != "sync":
            got_a.append(ca.recv_line())
        if json.loads(got_b[0]).get("id") != "sync":
            got_b.append(cb.recv_line())
        ra = [norm(x, 0) for x in got_a[:-1]]
        rb = [norm(x, len(EXTRA)) for x in got_b[:-1]]
        t.ok(ra == rb, f"{name}: same answer",
             f"fast: {ra!r:.600}\nslow: {rb!r:.600}")

# The writer stores records 100 to a statement: duplicates within one
# statement, across statements and against stored records, and records
# without an id, must count as with one row per statement.
pre = [{"id": f"s{i}", "ts": 1, "from": "a", "to": "b", "kind": "k"}
       for i in range(50)]
dup = []
for i in range(250):
    r = {"ts": 1, "from": "a", "to": "b", "kind": "k"}
    if i % 10 != 9:  # every tenth has no id: never a duplicate
        r["id"] = f"d{i % 120}" if i < 200 else f"s{i - 200}"
    dup.append(r)
ids = [r.get("id") for r in dup]


def expect(stored):
    added = 0
    for x in ids:
        if x is None or x not in stored:
            added += 1
            stored.add(x)
    return {"added": added, "duplicate": len(ids) - added}


for d_ in (a, b):
    d_.call("ingest", {"records": pre})
    got = d_.call("ingest", {"records": dup})["records"]
    t.eq(got, expect({r["id"] for r in pre}),
         "duplicates in and across 100-row statements")
n0 = a.call("status")["records"]
got = a.call("ingest", {"records": dup})["records"]
t.eq(got, expect(set(ids) | {r["id"] for r in pre}),
     "the same batch again: only the id-less records are added")
t.eq(a.call("status")["records"], n0 + ids.count(None), "status agrees")
b.call("ingest", {"records": dup})

# The writer caches person ids: a forgotten person named again must be a
# new person, not the old id.
for d_ in (a, b):
    rec = {"ts": 1, "from": "fg1", "to": "fg2", "kind": "k"}
    d_.call("ingest", {"records": [rec]})
    d_.call("forget", {"id": "fg1"})
    got = d_.call("ingest", {"records": [rec]})
    t.eq(got["people"]["implicit"], 1, "a forgotten person comes back new")

# spanctl splits simple CSV lines itself (ctl_load.c csv_fast_line) and
# leaves the rest to libcsv: both must read the same cells.
import os  # noqa: E402
csv_path = os.path.join(a.dir, "crlf.csv")
with open(csv_path, "wb") as f:
    f.write(b"id,ts,from,to,kind,weight,directed\r\n"
            b"c1, 2024-01-01 ,\tq1,q2,advice,2,true\r\n"
            b"\r\n"
            b"   \t \r\n"
            b'c2,5,"q2",q3,"joint, case",0.5,false\r\n'
            b"c3 ,6,q3,q1 ,  super vision  ,,\n"
            b'c4,7,q1,"q, 4",k,1,yes\n'
            b"c5,8,q4,q1,k,3,no")
res = a.spanctl("load", csv_path)
t.eq(res.returncode, 0, "spanctl load of a CRLF CSV: exit 0")
b.spanctl("load", csv_path)
con = sqlite3.connect(a.db)
rows = con.execute(
    "SELECT r.ext_id, r.ts, f.key, o.key, k.name, r.weight, r.directed"
    " FROM record r JOIN person f ON f.pid = r.src"
    " JOIN person o ON o.pid = r.dst JOIN kind k ON k.kid = r.kind"
    " WHERE r.ext_id LIKE 'c_' ORDER BY r.rid").fetchall()
con.close()
t.eq(rows, [("c1", 1704067200, "q1", "q2", "advice", 2.0, 0 + 1),
            ("c2", 5, "q2", "q3", "joint, case", 0.5, 0),
            ("c3", 6, "q3", "q1", "super vision", 1.0, 1),
            ("c4", 7, "q1", "q, 4", "k", 1.0, 1),
            ("c5", 8, "q4", "q1", "k", 3.0, 0)],
     "cells as libcsv reads them: spaces trimmed, quotes, CRLF, blank lines")

sa = a.call("status")
sb = b.call("status")
t.eq((sa["people"], sa["records"], sa["events"], sa["data_version"]),
     (sb["people"], sb["records"], sb["events"], sb["data_version"]),
     "both stores hold the same")
t.ok(sa["records"] > 2000, "the valid batches were stored",
     f"records: {sa['records']}")

a.stop()
b.stop()

DUMP = [
    "SELECT pid, key FROM person ORDER BY pid",
    "SELECT pid, name, value FROM attr ORDER BY pid, name",
    "SELECT kid, name FROM kind ORDER BY kid",
    "SELECT rid, ext_id, ts, src, dst, kind, quote(weight), directed"
    " FROM record ORDER BY rid",
    "SELECT eid, ext_id, ts, kind, quote(weight) FROM event ORDER BY eid",
    "SELECT eid, pid FROM participant ORDER BY eid, pid",
]


def dump(db):
    con = sqlite3.connect(db)
    try:
        return [con.execute(q).fetchall() for q in DUMP]
    finally:
        con.close()


for d_ in (a, b):
    con = sqlite3.connect(d_.db)
    orphans = con.execute(
        "SELECT count(*) FROM record WHERE src NOT IN (SELECT pid FROM person)"
        " OR dst NOT IN (SELECT pid FROM person)").fetchone()[0]
    con.close()
    t.eq(orphans, 0, "every record's people exist")

da, db_ = dump(a.db), dump(b.db)
for q, x, y in zip(DUMP, da, db_):
    t.ok(x == y, "same rows: " + q.split(" FROM ")[1].split()[0],
         f"fast: {x[:5]!r:.400}\nslow: {y[:5]!r:.400}")
a.cleanup()
b.cleanup()
t.done()
