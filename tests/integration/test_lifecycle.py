"""Start-up, signals and shutdown: SIGTERM/SIGINT/shutdown leave a
consistent database and no socket; stale sockets are replaced, live ones
respected; SIGHUP and reload re-read the config; -t, -V, -h; backgrounding."""
import os
import signal
import socket
import stat
import subprocess
import time

from spandtest import SPAND, TAP, Client, Daemon, RpcError, sqlite_count

t = TAP()


def run(*args, **kw):
    return subprocess.run([SPAND, *args], capture_output=True, text=True,
                          timeout=30, **kw)


r = run("-V")
t.ok(r.returncode == 0 and r.stdout.startswith("spand "), "-V prints version")
r = run("-h")
t.ok(r.returncode == 0 and "usage" in r.stdout, "-h prints usage")
r = run("-x")
t.eq(r.returncode, 2, "unknown option exits 2")

with Daemon() as d:
    r = run("-t", "-c", d.conf_path)
    t.ok(r.returncode == 0 and f"socket = {d.socket}" in r.stdout,
         "-t prints the effective config and exits 0", r.stdout + r.stderr)
    bad = os.path.join(d.dir, "bad.conf")
    with open(bad, "w") as f:
        f.write("[daemon]\nsocket_mode = 999\n")
    r = run("-t", "-c", bad)
    t.ok(r.returncode == 1 and "bad.conf:2" in r.stderr and
         "socket_mode" in r.stderr, "-t names file, line and key", r.stderr)
    with open(bad, "w") as f:
        f.write("[limits]\nmax_conections = 5\n")
    r = run("-t", "-c", bad)
    t.ok(r.returncode == 1 and "unknown key" in r.stderr,
         "a misspelt key is an error, not ignored", r.stderr)
    r = run("-t", "-c", os.path.join(d.dir, "missing.conf"))
    t.ok(r.returncode == 1 and "cannot open" in r.stderr,
         "missing config file is an error")
    r = subprocess.run([SPAND, "-t"], capture_output=True, text=True,
                       cwd=d.dir, timeout=30)
    t.ok(r.returncode == 0 and os.path.join(d.dir, "spand.sock") in r.stdout,
         "no config: defaults under the working directory")

    # Socket permissions: default 0660.
    d.start()
    mode = stat.S_IMODE(os.stat(d.socket).st_mode)
    t.eq(oct(mode), oct(0o660), "socket mode defaults to 0660")

    # A second daemon on the same socket is refused while the first lives.
    other = Daemon(dir=None)
    other.socket = d.socket
    other.write_conf({"daemon": {"socket": d.socket}})
    r = run("-f", "-c", other.conf_path)
    t.ok(r.returncode == 1 and "already listening" in r.stderr,
         "refuses to start on a live daemon's socket", r.stderr)
    other.cleanup()
    # ... and a second daemon on the same database is refused too.
    other = Daemon()
    other.write_conf({"daemon": {"database": d.db}})
    r = run("-f", "-c", other.conf_path)
    t.ok(r.returncode == 1 and "in use by another spand" in r.stderr,
         "refuses to share a database with a running daemon", r.stderr)
    other.cleanup()
    t.ok("result" in d.client().request("ping"), "first daemon unaffected")

    d.call("ingest", {"people": [{"id": "a", "sector": "nhs"}],
                      "records": [{"id": "r", "ts": 1, "from": "a",
                                   "to": "b", "kind": "k"}]})
    # SIGHUP re-reads the config: a lower request limit takes effect.
    d.write_conf({"limits": {"max_request_bytes": 2048}})
    d.signal(signal.SIGHUP)
    time.sleep(0.3)
    with d.client() as c:
        c.send_raw(b'{"jsonrpc":"2.0","id":1,"method":"ping","x":"' +
                   b"x" * 4000 + b'"}\n')
        resp = c.recv()
    t.eq(resp.get("error", {}).get("code"), -32600,
         "SIGHUP: new max_request_bytes enforced")
    # reload with a broken config keeps the running one
    with open(d.conf_path, "a") as f:
        f.write("[limits]\nmax_connections = lots\n")
    try:
        d.call("reload")
        t.ok(False, "reload with a bad config fails")
    except RpcError as e:
        t.ok(e.code == 1007 and "max_connections" in e.message,
             "reload of a bad config: 1007 naming the key", e.message)
    t.ok("result" in d.client().request("ping"), "still serving after a "
         "failed reload")
    # A response larger than max_output_bytes becomes error 1002; the
    # connection goes on.
    d.write_conf({"limits": {"max_output_bytes": 2048}})
    r = d.call("reload")
    t.ok(r["reloaded"] is True and "plugins" in r,
         "reload RPC re-reads config and rescans plugins", r)
    d.call("ingest", {"people": [{"id": f"big{k}", "note": f"value {k}"}
                                 for k in range(200)]})
    with d.client() as c:
        resp = c.request("boundaries")
        t.eq(resp.get("error", {}).get("code"), 1002,
             "response over max_output_bytes: error 1002")
        t.ok("result" in c.request("ping"), "and the connection goes on")
    d.write_conf({})
    t.eq(d.call("reload")["reloaded"], True, "reload back to defaults")

    # SIGTERM: clean exit, socket removed, database consistent.
    t.eq(d.stop(signal.SIGTERM), 0, "SIGTERM exits 0")
    t.ok(not os.path.exists(d.socket), "SIGTERM removes the socket")
    t.eq(sqlite_count(d.db, "PRAGMA integrity_check"), "ok",
         "database consistent after SIGTERM")
    t.ok(not os.path.exists(d.db + "-wal") or
         os.path.getsize(d.db + "-wal") == 0, "WAL checkpointed on stop")

    # SIGINT likewise.
    d.start()
    t.eq(d.stop(signal.SIGINT), 0, "SIGINT exits 0")
    t.ok(not os.path.exists(d.socket), "SIGINT removes the socket")

    # shutdown RPC: answered, then the daemon drains and exits.
    d.start()
    with d.client() as c:
        c.send("ingest", {"records": [{"id": f"s{k}", "ts": 2, "from": "a",
                                       "to": "c", "kind": "k"}
                                      for k in range(5000)]})
        c.send("shutdown")
        r1, r2 = c.recv(), c.recv()
    t.eq(r1["result"]["records"]["added"], 5000,
         "ingest queued before shutdown is committed and answered")
    t.eq(r2.get("result"), {"stopping": True}, "shutdown answered")
    t.eq(d.wait(), 0, "shutdown exits 0")
    t.ok(not os.path.exists(d.socket), "shutdown removes the socket")
    t.eq(sqlite_count(d.db, "SELECT count(*) FROM record"), 5001,
         "everything committed before exit")

    # A stale socket file (no daemon behind it) is replaced.
    s = socket.socket(socket.AF_UNIX)
    s.bind(d.socket)
    s.close()  # bound, never listening: a dead daemon's leftover
    d.start()
    t.ok("result" in d.client().request("ping"), "stale socket replaced")
    d.stop()
    # A regular file where the socket goes is not clobbered.
    with open(d.socket, "w") as f:
        f.write("precious")
    r = run("-f", "-c", d.conf_path)
    t.ok(r.returncode == 1 and "not a socket" in r.stderr,
         "a non-socket file at the socket path is left alone", r.stderr)
    os.unlink(d.socket)

    # Configured socket mode; pidfile; backgrounding.
    pidfile = os.path.join(d.dir, "spand.pid")
    d.write_conf({"daemon": {"socket_mode": "0600", "pidfile": pidfile,
                             "log_file": os.path.join(d.dir, "bg.log")}})
    r = run("-c", d.conf_path)
    t.eq(r.returncode, 0, "backgrounded start exits 0 once serving")
    with Client(d.socket) as c:
        t.ok("result" in c.request("ping"), "background daemon serves")
        t.eq(oct(stat.S_IMODE(os.stat(d.socket).st_mode)), oct(0o600),
             "socket_mode honoured")
        pid = int(open(pidfile).read())
        c.call("shutdown")
    for _ in range(200):
        try:
            os.kill(pid, 0)
            time.sleep(0.05)
        except ProcessLookupError:
            break
    t.ok(not os.path.exists(pidfile), "pidfile removed on exit")
    # Start-up failure in the background is reported by the parent.
    with open(d.socket, "w") as f:
        f.write("x")
    r = run("-c", d.conf_path)
    t.ok(r.returncode == 1 and "not a socket" in r.stderr,
         "background start-up failure reaches the terminal", r.stderr)
    os.unlink(d.socket)
    # A database from the future is refused, not damaged.
    import sqlite3
    future = os.path.join(d.dir, "future.db")
    con = sqlite3.connect(future)
    con.execute("PRAGMA user_version = 99")
    con.execute("PRAGMA application_id = 1397768526")
    con.execute("CREATE TABLE x(y)")
    con.commit()
    con.close()
    d.write_conf({"daemon": {"database": future}})
    r = run("-f", "-c", d.conf_path)
    t.ok(r.returncode == 1 and "newer" in r.stderr,
         "database with a newer schema refused", r.stderr)
    other_db = os.path.join(d.dir, "other.db")
    con = sqlite3.connect(other_db)
    con.execute("CREATE TABLE stuff(x)")
    con.commit()
    con.close()
    d.write_conf({"daemon": {"database": other_db}})
    r = run("-f", "-c", d.conf_path)
    t.ok(r.returncode == 1 and "not a spand database" in r.stderr,
         "someone else's database refused", r.stderr)
t.done()
