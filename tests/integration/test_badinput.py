"""Every kind of malformed input gets the right JSON-RPC error, only the
offending connection is affected, and nothing already stored is lost."""
import json
import socket
import threading
import time

from spandtest import TAP, Daemon, RpcError

t = TAP()
LIMIT = 1 << 20
d = Daemon({"limits": {"max_request_bytes": LIMIT, "max_connections": 8}})
d.start()
base = {"people": [{"id": "p1", "sector": "adults"},
                   {"id": "p2", "sector": "nhs"}],
        "records": [{"id": "r1", "ts": "2024-01-01", "from": "p1",
                     "to": "p2", "kind": "advice"}]}
d.call("ingest", base)


def raw(data, n=1):
    """Send raw bytes on a fresh connection; return n parsed responses."""
    with d.client(timeout=20) as c:
        c.send_raw(data)
        return [c.recv() for _ in range(n)]


def err_code(resp):
    return resp.get("error", {}).get("code")


# --- framing and envelope -------------------------------------------------
cases = [
    (b"this is not json\n", -32700, "not JSON"),
    (b'{"jsonrpc":"2.0","id":1,"method":"ping"\n', -32700, "unterminated"),
    (b'42\n', -32600, "a number, not an object"),
    (b'"ping"\n', -32600, "a string, not an object"),
    (b'[{"jsonrpc":"2.0","id":1,"method":"ping"}]\n', -32600,
     "batch array"),
    (b'{"id":1,"method":"ping"}\n', -32600, "jsonrpc missing"),
    (b'{"jsonrpc":"1.0","id":1,"method":"ping"}\n', -32600,
     "jsonrpc wrong"),
    (b'{"jsonrpc":"2.0","id":1,"method":7}\n', -32600, "method not string"),
    (b'{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}\n', -32600,
     "id an object"),
    (b'{"jsonrpc":"2.0","id":1,"method":"nope"}\n', -32601,
     "unknown method"),
    (b'{"jsonrpc":"2.0","id":1,"method":"ping","params":[1]}\n', -32602,
     "params an array"),
    (b'{"jsonrpc":"2.0","id":1,"method":"status","params":{"x":1}}\n',
     -32602, "unknown parameter"),
    (b'{"jsonrpc":"2.0","id":1,"method":"ping","id":2}\n', -32700,
     "duplicate key"),
    (b'{"jsonrpc":"2.0","id":1,"method":"pi\xffng"}\n', -32700,
     "invalid UTF-8"),
    (b'{"jsonrpc":"2.0","id":1,"method":"\xed\xa0\x80"}\n', -32700,
     "UTF-8 surrogate"),
    (b'{"jsonrpc":"2.0","id":1,"method":"p\\u0000ing"}\n', -32700,
     "NUL in a string"),
    (b'{"jsonrpc":"2.0","id":1,"method":"person","params":{"id":5}}\n',
     -32602, "person id not a string"),
    (b'{"jsonrpc":"2.0","id":1,"method":"person"}\n', -32602,
     "person id missing"),
    (b'{"jsonrpc":"2.0","id":1,"method":"forget","params":{"id":""}}\n',
     -32602, "forget empty id"),
    (b'{"jsonrpc":"2.0","id":1,"method":"ingest"}\n', -32602,
     "ingest without params"),
    (b'{"jsonrpc":"2.0","id":1,"method":"ingest","params":{"records":5}}\n',
     -32602, "records not an array"),
    (b'{"jsonrpc":"2.0","id":1,"method":"ingest","params":{"recs":[]}}\n',
     -32602, "unknown ingest field"),
    (b'{"jsonrpc":"2.0","id":1,"method":"ingest","params":'
     b'{"records":[],"on_error":"ignore"}}\n', -32602, "bad on_error"),
    (b'{"jsonrpc":"2.0","id":1,"method":"summary","params":'
     b'{"boundary":3}}\n', -32602, "summary boundary not a string"),
]
for data, code, name in cases:
    resp = raw(data)[0]
    t.eq(err_code(resp), code, f"{name}: error {code}")

resp = raw(b'{"jsonrpc":"2.0","id":"abc","method":"nope"}\n')[0]
t.eq(resp.get("id"), "abc", "error echoes a string id")
resp = raw(b'{"jsonrpc":"2.0","id":null,"method":"ping"}\n')[0]
t.ok("result" in resp and resp["id"] is None, "null id is answered")

# A notification (no id) is executed and not answered: the next reply
# on the connection is the ping's.
resp = raw(b'{"jsonrpc":"2.0","method":"ingest","params":{"people":'
           b'[{"id":"n1"}]}}\n{"jsonrpc":"2.0","id":9,"method":"ping"}\n')[0]
t.eq(resp.get("id"), 9, "notification gets no response")

# CRLF line endings and blank lines are accepted.
resp = raw(b'\r\n\n{"jsonrpc":"2.0","id":1,"method":"ping"}\r\n')[0]
t.ok("result" in resp, "CRLF and blank lines tolerated")

# Many requests in one write come back in order.
many = b"".join(b'{"jsonrpc":"2.0","id":%d,"method":"ping"}\n' % i
                for i in range(200))
ids = [r["id"] for r in raw(many, 200)]
t.eq(ids, list(range(200)), "200 pipelined requests answered in order")

# Responses stay in request order even when a slow one (an ingest, off
# the loop) is followed by fast ones.
big = {"records": [{"ts": 1700000000 + i, "from": f"a{i % 50}",
                    "to": f"b{i % 70}", "kind": "advice"}
                   for i in range(3000)]}
mixed = (json.dumps({"jsonrpc": "2.0", "id": "slow", "method": "ingest",
                     "params": big}) + "\n").encode()
mixed += b'{"jsonrpc":"2.0","id":"fast","method":"ping"}\n'
ids = [r["id"] for r in raw(mixed, 2)]
t.eq(ids, ["slow", "fast"], "responses in request order, not completion")

# --- oversize and truncated lines ------------------------------------------
with d.client() as c:
    c.send_raw(b'{"jsonrpc":"2.0","id":1,"method":"ping","pad":"' +
               b"x" * (LIMIT + 10) + b'"}\n' +
               b'{"jsonrpc":"2.0","id":2,"method":"ping"}\n')
    r1, r2 = c.recv(), c.recv()
    t.eq(err_code(r1), -32600, "oversize line: -32600")
    t.ok("max_request_bytes" in r1["error"]["message"],
         "oversize error names the limit", r1)
    t.eq(r2.get("id"), 2, "the stream continues after an oversize line")

# A 100 MB line: streamed and dropped, never buffered.
with d.client(timeout=120) as c:
    chunk = b"y" * (1 << 20)
    c.send_raw(b'{"jsonrpc":"2.0","id":1,"method":"ping","pad":"')
    for _ in range(100):
        c.send_raw(chunk)
    c.send_raw(b'"}\n{"jsonrpc":"2.0","id":2,"method":"ping"}\n')
    r1, r2 = c.recv(), c.recv()
    t.eq(err_code(r1), -32600, "100 MB line rejected")
    t.eq(r2.get("id"), 2, "and the connection still serves")

# Truncated: the client half-closes in the middle of a line.
with d.client() as c:
    c.send_raw(b'{"jsonrpc":"2.0","id":1,"method":"ping"}\n{"jsonrpc":"2.')
    c.sock.shutdown(socket.SHUT_WR)
    r1, r2 = c.recv(), c.recv()
    t.eq(r1.get("id"), 1, "complete request before EOF answered")
    t.eq(err_code(r2), -32700, "truncated line at EOF: parse error")
    t.eq(c.recv_line(), b"", "then the connection closes")

# --- ingest validation: paths and reasons ------------------------------------
bad_records = [
    ({"ts": "2024-13-01", "from": "a", "to": "b", "kind": "k"}, "ts"),
    ({"ts": "2024-02-30", "from": "a", "to": "b", "kind": "k"}, "ts"),
    ({"ts": "2024-01-01T10:00", "from": "a", "to": "b", "kind": "k"}, "ts"),
    ({"ts": 1.5, "from": "a", "to": "b", "kind": "k"}, "ts"),
    ({"from": "a", "to": "b", "kind": "k"}, "ts"),
    ({"ts": 1, "from": "a", "to": "a", "kind": "k"}, "to"),
    ({"ts": 1, "from": "a", "to": "b", "kind": "k", "weight": -1}, "weight"),
    ({"ts": 1, "from": "a", "to": "b", "kind": "k", "weight": "2"},
     "weight"),
    ({"ts": 1, "from": "a", "to": "b", "kind": "k", "directed": "yes"},
     "directed"),
    ({"ts": 1, "from": "", "to": "b", "kind": "k"}, "from"),
    ({"ts": 1, "from": 7, "to": "b", "kind": "k"}, "from"),
    ({"ts": 1, "from": "a\tb", "to": "b", "kind": "k"}, "from"),
    ({"ts": 1, "from": "x" * 300, "to": "b", "kind": "k"}, "from"),
    ({"ts": 1, "from": "a", "to": "b"}, "kind"),
    ({"ts": 1, "from": "a", "to": "b", "kind": "k", "colour": "red"},
     "colour"),
    ({"ts": 99999999999999, "from": "a", "to": "b", "kind": "k"}, "ts"),
]
for i, (rec, field) in enumerate(bad_records):
    try:
        d.call("ingest", {"records": [base["records"][0], rec]})
        t.ok(False, f"bad record {rec} rejected")
    except RpcError as e:
        paths = [x["path"] for x in e.data["rejected"]]
        t.ok(e.code == 1005 and f"records[1].{field}" in paths,
             f"bad record field {field} reported at records[1].{field}",
             (e.code, e.data))

events = [
    ({"ts": 1, "kind": "m", "participants": ["a"]}, "participants"),
    ({"ts": 1, "kind": "m", "participants": ["a", "a"]}, "participants"),
    ({"ts": 1, "kind": "m", "participants": "a;b"}, "participants"),
    ({"ts": 1, "kind": "m", "participants": ["a", 3]}, "participants[1]"),
    ({"ts": 1, "kind": "m"}, "participants"),
]
for ev, field in events:
    try:
        d.call("ingest", {"events": [ev]})
        t.ok(False, f"bad event {ev} rejected")
    except RpcError as e:
        paths = [x["path"] for x in e.data["rejected"]]
        t.ok(f"events[0].{field}" in paths, f"bad event: {field}",
             e.data)

people = [({"sector": "adults"}, "id"), ({"id": "q", "sector": 5}, "sector"),
          ({"id": "q", "bad name": "x"}, "bad name"),
          ({"id": "q", "note": "z" * 2000}, "note"), ("q", None)]
for p, field in people:
    try:
        d.call("ingest", {"people": [p]})
        t.ok(False, f"bad person {p} rejected")
    except RpcError as e:
        paths = [x["path"] for x in e.data["rejected"]]
        want = "people[0]" + (f".{field}" if field else "")
        t.ok(want in paths, f"bad person reported at {want}", e.data)

# reject stores nothing of a bad batch; skip stores exactly the valid rest.
before = d.call("status")
try:
    d.call("ingest", {"records": [
        {"id": "ok1", "ts": 5, "from": "p1", "to": "p2", "kind": "k"},
        {"id": "bad", "ts": "x", "from": "p1", "to": "p2", "kind": "k"}]})
except RpcError as e:
    t.eq((e.code, e.data["rejected_count"]), (1005, 1),
         "reject mode: error 1005 with the count")
after = d.call("status")
t.eq(after["records"], before["records"], "reject mode stored nothing")
r = d.call("ingest", {"on_error": "skip", "records": [
    {"id": "ok1", "ts": 5, "from": "p1", "to": "p2", "kind": "k"},
    {"id": "bad", "ts": "x", "from": "p1", "to": "p2", "kind": "k"},
    {"id": "ok2", "ts": 6, "from": "p2", "to": "p1", "kind": "k"}]})
t.eq((r["records"]["added"], r["rejected_count"],
      r["rejected"][0]["path"]), (2, 1, "records[1].ts"),
     "skip mode stores the valid items and lists the invalid")
# rejected list is capped but the count is exact
r = d.call("ingest", {"on_error": "skip", "records": [
    {"ts": "x", "from": "a", "to": "b", "kind": "k"}] * 250})
t.eq((len(r["rejected"]), r["rejected_count"]), (100, 250),
     "rejected list capped at max_rejects, count exact")

# --- connection limit -------------------------------------------------------
held = [d.client() for _ in range(8)]
for h in held:
    h.call("ping")
extra = d.client()
resp = extra.recv()
t.eq(err_code(resp), 1003, "connection over max_connections gets 1003")
t.eq(extra.recv_line(), b"", "and is closed")
extra.close()
t.ok("result" in held[0].request("ping"), "existing clients unaffected")
for h in held:
    h.close()
time.sleep(0.2)

# --- a client that never reads: bounded, and others are served --------------
slow = socket.socket(socket.AF_UNIX)
slow.connect(d.socket)
slow.setblocking(False)
sent = 0
req = (json.dumps({"jsonrpc": "2.0", "id": 1, "method": "boundaries"})
       + "\n").encode()
try:
    for _ in range(200000):
        sent += slow.send(req)
except BlockingIOError:
    pass
t.ok(sent < 200000 * len(req), "spand stops reading a client that does "
     "not read its answers (back-pressure)", sent)
t.ok("result" in d.client().request("ping"),
     "other clients served while one is stalled")
slow.close()

# --- nothing stored was lost -------------------------------------------------
st = d.call("status")
p = d.call("person", {"id": "p1"})
t.ok(p["attributes"] == {"sector": "adults"} and st["records"] >= 1,
     "earlier data intact after all the bad input")
t.eq(d.stop(), 0, "daemon still stops cleanly")
if t.failed:
    t.diag(d.log()[-3000:])
d.cleanup()
t.done()
