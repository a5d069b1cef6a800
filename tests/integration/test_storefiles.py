"""The files under the daemon: database files deleted or replaced while it
runs make it refuse writes (error 1000) instead of acknowledging what a
restart would lose; the database, its WAL and shm and the log file are
0600 under any umask; a symlink at the pidfile path is not followed."""
import os
import signal
import sqlite3
import subprocess
import time

from spandtest import SPAND, TAP, Daemon, RpcError

t = TAP()


def batch(tag, n=5):
    return {"records": [{"id": f"{tag}-{k}", "ts": 1700000000 + k,
                         "from": f"{tag}-p{k}", "to": f"{tag}-q{k}",
                         "kind": "advice"} for k in range(n)]}


def try_ingest(c, tag, acked):
    """Ingest; True and the ids noted as acknowledged, or the error."""
    try:
        c.call("ingest", batch(tag))
        acked.update(r["id"] for r in batch(tag)["records"])
        return None
    except RpcError as e:
        return e


def stored_ids(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {r for (r,) in con.execute("SELECT ext_id FROM record")}
    finally:
        con.close()


# 1. Deleted: the database, its WAL and shm removed under the daemon.
with Daemon() as d:
    d.start()
    acked = set()
    with d.client() as c:
        t.eq(try_ingest(c, "before", acked), None, "ingest before the delete")
        for suffix in ("", "-wal", "-shm"):
            os.unlink(d.db + suffix)
        e1 = try_ingest(c, "after1", acked)
        e2 = try_ingest(c, "after2", acked)
        t.ok(e1 is not None and e1.code == 1000 and "deleted" in e1.message,
             "an ingest after the delete: error 1000 naming the cause",
             e1 and (e1.code, e1.message))
        t.ok(e2 is not None and e2.code == 1000, "and the next one too")
        try:
            c.call("forget", {"id": "before-p0"})
            t.ok(False, "forget after the delete is refused")
        except RpcError as e:
            t.eq(e.code, 1000, "forget after the delete is refused")
        st = c.call("status")
        t.eq(st.get("store", {}).get("files_gone"), True,
             "status says the files are gone")
    t.eq(d.log().count("was deleted while spand ran"), 1,
         "logged once, not per refused write")
    t.eq(d.stop(), 0, "clean stop")
    t.ok(not os.path.exists(d.db + "-wal"),
         "the stop did not recreate a WAL at the path")
    d.start()
    lost = acked - {"before-0", "before-1", "before-2", "before-3",
                    "before-4"}
    t.eq(lost, set(), "nothing acknowledged after the delete")
    t.eq(d.call("status")["records"], 0, "a restart starts a new database")
    d.stop()

# 2. Replaced: a copy (as a restore would) renamed over the database.
with Daemon() as d:
    d.start()
    acked = set()
    with d.client() as c:
        try_ingest(c, "before", acked)
        copy = d.db + ".restore"
        src = sqlite3.connect(f"file:{d.db}?mode=ro", uri=True)
        dst = sqlite3.connect(copy)
        src.backup(dst)
        src.close()
        dst.close()
        os.replace(copy, d.db)
        e1 = try_ingest(c, "after", acked)
        t.ok(e1 is not None and e1.code == 1000 and "replaced" in e1.message,
             "an ingest after the replace: error 1000 naming the cause",
             e1 and (e1.code, e1.message))
    t.eq(d.stop(), 0, "clean stop")
    ids = stored_ids(d.db)
    t.eq(acked - ids, set(), "every acknowledged record is in the database "
         "at the path after the restart")
    t.ok(not any(i.startswith("after") for i in ids),
         "the refused batch is not")
    d.start()
    t.eq(d.call("status")["records"], 5, "the restarted daemon serves the "
         "restored database")
    d.stop()


# 3. Modes under umask 000, started in the background with a log file.
def wait_gone(pid, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(")")[-1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


with Daemon() as d:
    log = os.path.join(d.dir, "daemon.log")
    pidfile = os.path.join(d.dir, "spand.pid")
    d.write_conf({"daemon": {"log_file": log, "pidfile": pidfile}})
    r = subprocess.run([SPAND, "-c", d.conf_path], umask=0, timeout=60,
                       capture_output=True, text=True)
    t.eq(r.returncode, 0, "spand started in the background under umask 000")
    with open(pidfile) as f:
        pid = int(f.read())
    d.call("ingest", batch("m"))
    modes = {name: oct(os.stat(p).st_mode & 0o777)
             for name, p in (("db", d.db), ("wal", d.db + "-wal"),
                             ("shm", d.db + "-shm"), ("log", log))}
    t.eq(modes, {"db": "0o600", "wal": "0o600", "shm": "0o600",
                 "log": "0o600"}, "database, WAL, shm and log file are 0600")
    os.kill(pid, signal.SIGTERM)
    t.ok(wait_gone(pid), "the background daemon stopped")

# 4. A symlink planted at the pidfile path is not followed.
with Daemon() as d:
    target = os.path.join(d.dir, "precious")
    with open(target, "w") as f:
        f.write("precious\n")
    pidfile = os.path.join(d.dir, "spand.pid")
    os.symlink(target, pidfile)
    d.write_conf({"daemon": {"pidfile": pidfile}})
    d.start()
    t.ok("pidfile " + pidfile + " is a symbolic link: refusing to follow it"
         in d.log(), "the symlinked pidfile is refused with a clear message",
         d.log()[-2000:])
    t.eq(d.call("ping")["abi"]["major"] >= 1, True, "the daemon serves")
    t.eq(d.stop(), 0, "clean stop")
    with open(target) as f:
        t.eq(f.read(), "precious\n", "the symlink's target is untouched")
    t.ok(os.path.islink(pidfile), "the symlink itself is left alone")
t.done()
