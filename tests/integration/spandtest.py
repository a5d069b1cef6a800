"""Harness for spand's integration tests: a real daemon on a real socket and
a real sqlite file in a temporary directory, a plain JSON-RPC client, and
TAP output so that automake counts every case.

Environment (set by `make check`): SPAND_BIN, SPANCTL_BIN, SPAND_SRCDIR.
"""
import json
import os
import pwd as _pwd
import shutil
import signal as _signal
import socket
import subprocess
import sys
import tempfile
import time

SPAND = os.environ.get("SPAND_BIN", os.path.abspath("spand"))
SPANCTL = os.environ.get("SPANCTL_BIN", os.path.abspath("spanctl"))
SRCDIR = os.environ.get("SPAND_SRCDIR", os.path.abspath("."))
BUILDDIR = os.environ.get("SPAND_BUILDDIR", os.path.dirname(SPAND))
# Where libtool leaves the built plugins in a build tree.
BUILTIN_PLUGINS = os.path.join(BUILDDIR, "plugins", ".libs")
TEST_PLUGINS = os.path.join(BUILDDIR, "tests", "plugins", ".libs")


def uses_asan(pid):
    """Whether process pid runs with AddressSanitizer (its maps name
    libasan). ASan keeps freed memory in quarantine, ignores mallopt and
    reports a refused allocation as a crash, so tests read RSS and some
    failure reasons differently there."""
    try:
        with open(f"/proc/{pid}/maps") as f:
            return "libasan" in f.read()
    except OSError:
        return False


class TAP:
    """Minimal TAP producer: one line per check, plan at the end."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        status = "ok" if cond else "not ok"
        print(f"{status} {self.n} - {name}", flush=True)
        if not cond:
            self.failed += 1
            if diag is not None:
                for line in str(diag).splitlines() or [""]:
                    print(f"# {line}", flush=True)
        return bool(cond)

    def eq(self, got, want, name):
        return self.ok(got == want, name, f"got:  {got!r}\nwant: {want!r}")

    def diag(self, msg):
        for line in str(msg).splitlines():
            print(f"# {line}", flush=True)

    def done(self):
        print(f"1..{self.n}", flush=True)
        sys.exit(1 if self.failed else 0)


class RpcError(Exception):
    def __init__(self, error):
        self.code = error.get("code")
        self.message = error.get("message")
        self.data = error.get("data")
        super().__init__(f"{self.code}: {self.message}")


class Client:
    """A JSON-RPC client on one connection, one object per line."""

    def __init__(self, path, timeout=30):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.rfile = self.sock.makefile("rb")
        self.next_id = 1

    def send_raw(self, data):
        self.sock.sendall(data)

    def recv_line(self):
        return self.rfile.readline()

    def recv(self):
        line = self.recv_line()
        if not line:
            raise EOFError("connection closed by spand")
        return json.loads(line)

    def send(self, method, params=None, id=None):
        if id is None:
            id = self.next_id
            self.next_id += 1
        req = {"jsonrpc": "2.0", "id": id, "method": method}
        if params is not None:
            req["params"] = params
        self.send_raw((json.dumps(req) + "\n").encode())
        return id

    def request(self, method, params=None):
        """The whole response object."""
        id = self.send(method, params)
        resp = self.recv()
        assert resp.get("id") == id, f"response id {resp.get('id')} != {id}"
        return resp

    def call(self, method, params=None):
        resp = self.request(method, params)
        if "error" in resp:
            raise RpcError(resp["error"])
        return resp["result"]

    def close(self):
        try:
            self.rfile.close()
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Daemon:
    """spand -f in a temporary directory with its own config."""

    def __init__(self, conf=None, dir=None):
        self.dir = dir or tempfile.mkdtemp(prefix="spandtest-")
        self.socket = os.path.join(self.dir, "spand.sock")
        self.db = os.path.join(self.dir, "spand.db")
        self.conf_path = os.path.join(self.dir, "spand.conf")
        self.log_path = os.path.join(self.dir, "spand.log")
        self.plugin_dir = os.path.join(self.dir, "plugins")
        os.makedirs(self.plugin_dir, mode=0o755, exist_ok=True)
        os.chmod(self.dir, 0o755)
        os.chmod(self.plugin_dir, 0o755)
        self.proc = None
        self.write_conf(conf or {})

    def write_conf(self, conf):
        sections = {"daemon": {"socket": self.socket, "database": self.db,
                               "log_level": "debug"},
                    "plugins": {"dir": self.plugin_dir,
                                "builtin_dir": BUILTIN_PLUGINS}}
        for sec, kv in conf.items():
            sections.setdefault(sec, {}).update(kv)
        with open(self.conf_path, "w") as f:
            for sec, kv in sections.items():
                f.write(f"[{sec}]\n")
                for k, v in kv.items():
                    f.write(f"{k} = {v}\n")

    def start(self, wait=True, extra_args=()):
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [SPAND, "-f", "-c", self.conf_path, *extra_args],
            stdout=self.logf, stderr=self.logf, stdin=subprocess.DEVNULL)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"spand exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with Client(self.socket, timeout=2) as c:
                    c.call("ping")
                return
            except (OSError, EOFError, ValueError):
                time.sleep(0.02)
        raise RuntimeError(f"spand did not answer within {timeout}s:\n"
                           f"{self.log()}")

    def client(self, timeout=60):
        return Client(self.socket, timeout=timeout)

    def call(self, method, params=None):
        with self.client() as c:
            return c.call(method, params)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=30):
        try:
            return self.proc.wait(timeout)
        finally:
            self.logf.close()

    def stop(self, sig=_signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait(timeout)

    def kill9(self):
        self.proc.kill()
        return self.wait()

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def spanctl(self, *args, input=None, env=None, timeout=300):
        """Run the real spanctl against this daemon."""
        e = dict(os.environ)
        e["SPAND_SOCKET"] = self.socket
        if env:
            e.update(env)
        return subprocess.run([SPANCTL, *args], input=input,
                              capture_output=True, text=True, env=e,
                              timeout=timeout)

    def add_plugin(self, name, src_dir=None, mode=0o644):
        """Copy a built plugin NAME.so into this daemon's plugin dir."""
        import shutil as _sh
        src = os.path.join(src_dir or TEST_PLUGINS, name + ".so")
        dst = os.path.join(self.plugin_dir, name + ".so")
        tmp = dst + ".tmp"
        _sh.copyfile(src, tmp)
        os.chmod(tmp, mode)
        os.replace(tmp, dst)  # atomic: never a half-written plugin
        return dst

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


def sqlite_count(db, sql):
    """Read the database directly (as an auditor would), not via spand."""
    import sqlite3
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def as_user(name, socket, calls, connect_only=False):
    """Run calls [(method, params)] on one connection as Unix user name, in
    a forked child that drops to it (the caller must be root); returns
    [("ok", result) | ("err", error)] (or, for connect_only, the first
    line the daemon sent and whether it then closed), and the uid. An
    exception in the child comes back as [("exc", repr)]."""
    pw = _pwd.getpwnam(name)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            os.initgroups(name, pw.pw_gid)
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
            out = []
            c = Client(socket, timeout=60)
            if connect_only:
                line = c.recv_line()
                rest = c.recv_line()
                out = [json.loads(line) if line else None, rest == b""]
            else:
                for m, p in calls:
                    resp = c.request(m, p)
                    out.append(["err", resp["error"]] if "error" in resp
                               else ["ok", resp["result"]])
            c.close()
            os.write(w, json.dumps(out).encode())
        except BaseException as e:  # noqa: the parent reports it
            os.write(w, json.dumps([["exc", repr(e)]]).encode())
        finally:
            os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 1 << 20)
        if not chunk:
            break
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return json.loads(data), pw.pw_uid
