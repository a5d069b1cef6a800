#!/usr/bin/python3
"""Timed JSON-RPC calls to spand for tests/bench/run.sh.

    rpc.py SOCKET METHOD [PARAMS_JSON] [--repeat N] [--save FILE]
           [--expect-cached true|false] [--timeout S]

Sends the request N times (default 1) on one connection, one at a time,
and prints one JSON line per call:
  {"wall_ms": ..., "bytes": ..., "elapsed_ms": ..., "cached": ...,
   "view": {...}, "notes": [...]}
wall_ms runs from just before the request is written to the arrival of
the response's final newline (the response is parsed only afterwards, so
the client's JSON decoding is not in it). elapsed_ms, cached, view and
notes are copied from an analyse result when present. --save writes the
last result (the "result" member) to FILE. Any error response or a
cached flag other than the expected one is an error: the message goes to
stderr and the exit status is 1.
"""
import argparse
import json
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("method")
    ap.add_argument("params", nargs="?", default=None)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--save")
    ap.add_argument("--expect-cached", choices=["true", "false"])
    ap.add_argument("--timeout", type=float, default=7200)
    a = ap.parse_args()
    params = json.loads(a.params) if a.params else None
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(a.timeout)
    s.connect(a.socket)
    buf = b""
    for i in range(a.repeat):
        req = {"jsonrpc": "2.0", "id": i + 1, "method": a.method}
        if params is not None:
            req["params"] = params
        line = (json.dumps(req) + "\n").encode()
        t0 = time.perf_counter()
        s.sendall(line)
        while True:
            nl = buf.find(b"\n")
            if nl >= 0:
                break
            chunk = s.recv(1 << 20)
            if not chunk:
                sys.exit(f"rpc.py: {a.method}: connection closed by spand")
            buf += chunk
        t1 = time.perf_counter()
        raw, buf = buf[:nl], buf[nl + 1:]
        resp = json.loads(raw)
        if resp.get("method") == "progress":  # a notification: not ours
            continue
        if "error" in resp:
            err = resp["error"]
            sys.exit(f"rpc.py: {a.method} failed: {err.get('code')} "
                     f"{err.get('message')} {json.dumps(err.get('data'))[:400]}")
        res = resp.get("result")
        out = {"wall_ms": round((t1 - t0) * 1e3, 3), "bytes": len(raw) + 1}
        if isinstance(res, dict):
            for k in ("elapsed_ms", "cached", "view", "notes", "data_version"):
                if k in res:
                    out[k] = res[k]
            if a.expect_cached is not None and "cached" in res:
                want = a.expect_cached == "true"
                if res["cached"] is not want:
                    sys.exit(f"rpc.py: {a.method}: cached is "
                             f"{res['cached']}, expected {want}")
        print(json.dumps(out), flush=True)
        if a.save and i == a.repeat - 1:
            with open(a.save, "w") as f:
                json.dump(res, f)


if __name__ == "__main__":
    main()
