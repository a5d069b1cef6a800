#!/usr/bin/env python3
"""Write the seed corpora of tests/fuzz/corpus (run from the source tree's
top; files already there are kept, so inputs added by hand, such as the
regression inputs of fixed crashes, stay). Each seed is a small valid input
of its harness and a few near misses; libFuzzer mutates from there."""
import hashlib
import os
import struct
import sys

top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
corpus = os.path.join(top, "tests", "fuzz", "corpus")


def put(name, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(corpus, name)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "seed-" + hashlib.sha1(data).hexdigest()[:16])
    with open(path, "wb") as f:
        f.write(data)


JSON = [
    '{"a":1,"b":[true,false,null],"c":"x\\u00e9\\ud83d\\ude00\\n"}',
    '[1,-0,0.5,-1.5e10,1E-3,9223372036854775807,-9223372036854775808]',
    '"caf\xc3\xa9 \\"q\\" \\\\ \\/ \\b\\f\\r\\t"',
    '{"nested":{"deep":[[[{"x":{}}]]]},"e":[]}',
    '  123  ', 'true', 'null', '1.7976931348623157e308',
    '{"dup":1,"dup":2}', '"\\u0000"', '"\\ud800"', '01', '1e400',
    '9223372036854775808', '{"a" : [ 1 , 2 ] }',
]
for j in JSON:
    put("jscan", j)

INGEST = [
    '{"people":[{"id":"p1","sector":"adults","org":"A"},{"id":"p2"}]}',
    '{"records":[{"id":"r1","ts":"2024-01-01T08:30:21Z","from":"p1",'
    '"to":"p2","kind":"joint-case","weight":2,"directed":false}]}',
    '{"records":[{"ts":1700000000,"from":"a","to":"b","kind":"k",'
    '"weight":0.5,"directed":true}],"on_error":"skip"}',
    '{"events":[{"id":"e1","ts":"2024-01-02","kind":"meeting",'
    '"participants":["p1","p2","p3"],"weight":1.5}],"on_error":"reject"}',
    '{"people":[{"id":"p1","role":null}],"records":[],"events":[]}',
    '{"records":[{"ts":"2024-01-01T08:30:21+01:00","from":"x\\u00e9",'
    '"to":"y","kind":"k"}]}',
    '{"records":[{"ts":1,"from":"a","to":"a","kind":"k"}]}',
    '{"people":[{"id":"p1","id":"p2"}]}',
    '{"records":[{"ts":1,"from":"a","to":"b","kind":"k","weight":-1}]}',
    '{"events":[{"ts":1,"kind":"m","participants":["a","a","b"]}]}',
    '{"unknown":1}',
]
for j in INGEST:
    put("ingest", j)

FRAMES = [
    b"\x20\x05" + b'{"jsonrpc":"2.0","id":1,"method":"ping"}\n\r\n\nabc\r\n',
    b"\x08\x03" + b"short\nthis line is too long\nok\r\nlast",
    b"\x03\x02" + b"abc\r\nabcd\nab\r",
    b"\x00\x40" + b"\n\n\r\n",
    b"\x10\x01" + b"x" * 40 + b"\nyz\n",
]
for f in FRAMES:
    put("frame", f)

TS = ["2024-01-01", "2024-02-29T12:00:00Z", "2024-03-01T00:00Z",
      "1999-12-31T23:59:60+01:00", "0001-01-01T00:00:00Z",
      "9999-12-31T23:59:59Z", "2024-06-30 10:11:12.999-0530",
      "2024-06-30t10:11:12,5+05", "2023-02-29", "2024-01-01T10:00:00",
      "2024-13-01", "12345678"]
for t in TS:
    put("ts", t)


def table(rows, ncols, cells, texts, pair):
    b = struct.pack("=qi4B", rows, ncols, 1 if pair else 0, 0, 0, 0)
    for c in cells:
        b += struct.pack("=d", c)
    if pair:
        b += bytes([1 if i % 2 == 0 else 0 for i in range(rows)])
    b += struct.pack("=Q", len(texts))
    for idx, t in texts:
        t = t.encode()
        b += struct.pack("=QI", idx, len(t)) + t
    return b


def result(nv, ng, notes, nan=False):
    nan_v = float("nan")
    b = b"SPNDRES1"
    vt = [(i * 2 + 1, "text %d" % i) for i in range(nv)]
    b += table(nv, 2, [nan_v if nan else 1.5 * i for i in range(nv * 2)],
               vt[: max(0, nv - 1)], False)
    b += table(ng, 1, [float(i) for i in range(ng)], [], False)
    b += table(ng * ng, 1, [0.0] * (ng * ng),
               [(0, "pair")] if ng else [], True)
    b += table(1, 2, [0.0, 42.0], [(0, "network \u00e9")], False)
    b += struct.pack("=I", len(notes))
    for n in notes:
        n = n.encode()
        b += struct.pack("=I", len(n)) + n
    return b + b"SPNDEND1"


for nv, ng, notes in [(0, 0, []), (1, 1, ["a note"]), (3, 2, ["x", "y"]),
                      (4, 3, []), (2, 0, ["\u00e9"])]:
    put("result", bytes([nv, ng]) + result(nv, ng, notes, nv == 4))

with open(os.path.join(top, "conf", "spand.conf"), "rb") as f:
    put("config", f.read())
CONFIGS = [
    "[daemon]\nsocket = spand.sock\ndatabase = /tmp/x.db\nlog_level = debug\n",
    "[limits]\nmax_request_bytes = 1048576\nmax_connections = 8\n"
    "[analysis]\nworkers = 2\nisolation = thread\n[isolation]\nei = process\n",
    "; comment\n[store]\nsynchronous = normal\ncache_mb = 64\n",
    "[daemon]\nsocket_mode = 0660\npidfile = \nlog_file = spand.log\n",
    "[nosuch]\nkey = 1\n", "[daemon]\nunknown = 1\n", "no section = 1\n",
    "[plugins]\ndir = plugins\nbuiltin_dir = /usr/lib/spand\n",
]
for c in CONFIGS:
    put("config", c)

CSV = [
    "id,ts,from,to,kind,weight,directed\n"
    "r0000001,2024-01-01T08:30:21Z,p-s90-009,p-s90-015,joint-case,2,false\n"
    "r0000002, 1700000000 ,p1,\tp2 ,supervision,1.5,true\r\n",
    "id,name,sector,org,role\n"
    'p-s01-001,James Obi,adults,"Northby Council, adults",'
    '"Assistant ""Director"""\n',
    "id,ts,kind,participants\ne1,2024-01-02,meeting,a;b; c ;;d\n \t \n,,\n",
    "event_id,ts,kind,person\ne1,2024-01-02,m,caf\xc3\xa9\ne1,2024-01-02,m,\xff\n",
    "a,b\r\nc\rd\n\"x\ny\"\n",
]
for c in CSV:
    put("csv", c)

JSONL = [
    '{"type":"record","id":"r1","ts":"2024-01-01T08:30:21Z","from":"a",'
    '"to":"b","kind":"k","weight":2,"directed":false}',
    '{"type":"person","id":"p1","sector":"adults","role":null}',
    '{"type":"event","ts":1700000000,"kind":"meeting",'
    '"participants":["a","b"],"weight":1.5e0}',
    ' { "id" : "x\\u00e9" , "type" : "record" , "w" : [ 1 , -2.5 , true ] } \r\n',
    '{"type":"record","type":"person"}', '{"type":"thing"}', '{}',
    '{"t\\u0079pe":"event","n":{"x":1}}', '{"type":"\\u0070erson","id":"p"}',
]
for j in JSONL:
    put("jsonl", j)
print("seeds written to", corpus, file=sys.stderr)
