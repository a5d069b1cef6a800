"""A minimal spand client for Python 3 (standard library only).

    from spand_client import Spand
    with Spand("/run/spand/spand.sock") as s:
        print(s.call("status")["records"])
        r = s.call("analyse", {"plugin": "brokerage", "boundary": "sector",
                               "sort": "total", "top": 10})
        for row in r["tables"]["vertex"]["rows"]:
            print(row)

Requests are JSON-RPC 2.0, one JSON object per line; see doc/protocol.md.
call() raises SpandError with the server's code, message and data.
"""
import itertools
import json
import os
import socket


class SpandError(Exception):
    def __init__(self, error):
        self.code = error.get("code")
        self.message = error.get("message")
        self.data = error.get("data")
        super().__init__(f"{self.message} (error {self.code})")


class Spand:
    def __init__(self, path=None, timeout=None):
        path = path or os.environ.get("SPAND_SOCKET", "spand.sock")
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        self._sock.connect(path)
        self._rfile = self._sock.makefile("rb")
        self._ids = itertools.count(1)

    def call(self, method, params=None, on_progress=None):
        """Send one request and return its result. Progress notifications
        (analyse with "progress": true) go to on_progress(fraction)."""
        rid = next(self._ids)
        req = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            req["params"] = params
        self._sock.sendall(json.dumps(req).encode() + b"\n")
        while True:
            line = self._rfile.readline()
            if not line:
                raise ConnectionError("spand closed the connection")
            msg = json.loads(line)
            if msg.get("method") == "progress":
                if on_progress:
                    on_progress(msg["params"]["fraction"])
                continue
            if "error" in msg:
                raise SpandError(msg["error"])
            return msg["result"]

    def table(self, result, name="vertex"):
        """A result table as a list of dicts, one per row."""
        t = result["tables"][name]
        cols = [c["name"] for c in t["columns"]]
        return [dict(zip(cols, row)) for row in t["rows"]]

    def close(self):
        self._rfile.close()
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
