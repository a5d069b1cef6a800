#!/usr/bin/python3
"""Two analyses one after the other, then the same two at once, for
tests/bench/run.sh (the concurrency rows).

    concurrent.py SOCKET PARAMS_A PARAMS_B [--reps N] [--loop SECONDS]

Each repeat first runs A then B on one connection (sequential: from
writing A's request to B's answer's last byte), then writes A on one
connection and B on another at the same instant and waits for both
(parallel: from the first write to the last answer's last byte). Prints
one JSON line per repeat:
  {"seq_ms": ..., "par_ms": ..., "a_ms": ..., "b_ms": ...,
   "par_a_ms": ..., "par_b_ms": ..., "a_elapsed_ms": ..., ...}
With --loop S it only runs the pair at once, again and again, for S
seconds or until SIGTERM, and prints how many pairs it ran. The daemon's
result cache must be off (cache_mb = 0) so that every analysis is
computed; an error answer is an error (status 1).
"""
import argparse
import json
import selectors
import signal
import socket
import sys
import time


class Conn:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(7200)
        self.s.connect(path)
        self.buf = b""
        self.n = 0

    def send(self, params):
        self.n += 1
        req = {"jsonrpc": "2.0", "id": self.n, "method": "analyse",
               "params": params}
        self.s.sendall((json.dumps(req) + "\n").encode())

    def poll(self):
        """The answer, if a whole line has come (reads once)."""
        chunk = self.s.recv(1 << 20)
        if not chunk:
            sys.exit("concurrent.py: connection closed by spand")
        self.buf += chunk
        return self.line()

    def line(self):
        while True:
            nl = self.buf.find(b"\n")
            if nl < 0:
                return None
            raw, self.buf = self.buf[:nl], self.buf[nl + 1:]
            resp = json.loads(raw)
            if resp.get("method") == "progress":
                continue
            if "error" in resp:
                sys.exit(f"concurrent.py: analyse failed: {resp['error']}")
            return resp["result"]

    def call(self, params):
        self.send(params)
        while True:
            r = self.line() or self.poll()
            if r is not None:
                return r


def together(a, b, pa, pb):
    """Send pa on a and pb on b at once; (total, a, b) ms and results."""
    sel = selectors.DefaultSelector()
    t0 = time.perf_counter()
    a.send(pa)
    b.send(pb)
    sel.register(a.s, selectors.EVENT_READ, a)
    sel.register(b.s, selectors.EVENT_READ, b)
    done = {}
    while len(done) < 2:
        for key, _ in sel.select():
            c = key.data
            r = c.poll()
            if r is not None:
                done[id(c)] = ((time.perf_counter() - t0) * 1e3, r)
                sel.unregister(c.s)
    sel.close()
    total = max(v[0] for v in done.values())
    return total, done[id(a)], done[id(b)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--loop", type=float)
    o = ap.parse_args()
    pa, pb = json.loads(o.a), json.loads(o.b)
    a, b = Conn(o.socket), Conn(o.socket)
    if o.loop is not None:
        pairs = [0]

        def stop(*_):
            print(json.dumps({"pairs": pairs[0]}), flush=True)
            sys.exit(0)
        signal.signal(signal.SIGTERM, stop)
        end = time.time() + o.loop
        while time.time() < end:
            together(a, b, pa, pb)
            pairs[0] += 1
        stop()
    for _ in range(o.reps):
        t0 = time.perf_counter()
        ra = a.call(pa)
        t1 = time.perf_counter()
        rb = a.call(pb)
        t2 = time.perf_counter()
        par, (pa_ms, qa), (pb_ms, qb) = together(a, b, pa, pb)
        for r in (ra, rb, qa, qb):
            if r.get("cached"):
                sys.exit("concurrent.py: a cached answer (set cache_mb = 0)")
        print(json.dumps({
            "seq_ms": round((t2 - t0) * 1e3, 3),
            "par_ms": round(par, 3),
            "a_ms": round((t1 - t0) * 1e3, 3),
            "b_ms": round((t2 - t1) * 1e3, 3),
            "par_a_ms": round(pa_ms, 3), "par_b_ms": round(pb_ms, 3),
            "a_elapsed_ms": ra.get("elapsed_ms"),
            "b_elapsed_ms": rb.get("elapsed_ms"),
            "par_a_elapsed_ms": qa.get("elapsed_ms"),
            "par_b_elapsed_ms": qb.get("elapsed_ms")}), flush=True)


if __name__ == "__main__":
    main()
