"""kill -9 while clients stream acknowledged batches: after a restart every
acknowledged item is there, and the database is intact. kill -9 alone
would pass with synchronous=OFF (the page cache survives a killed
process), so the last part checks with an LD_PRELOAD shim that each
acknowledged ingest had its WAL fsynced before the reply left."""
import os
import threading
import time

from spandtest import BUILDDIR, TAP, Daemon, RpcError, sqlite_count

t = TAP()
acked = [set(), set()]  # per writer: record ids acknowledged by spand
errors = []


def writer(d, n, stop):
    i = 0
    try:
        with d.client(timeout=30) as c:
            while not stop.is_set():
                ids = [f"w{n}-{i + k}" for k in range(200)]
                recs = [{"id": rid, "ts": 1700000000 + i + k,
                         "from": f"p{(i + k) % 97}",
                         "to": f"q{(i + k) % 89}", "kind": "advice"}
                        for k, rid in enumerate(ids)]
                c.call("ingest", {"records": recs})
                acked[n].update(ids)  # only once the reply has arrived
                i += 200
    except (OSError, EOFError, RpcError, ValueError) as e:
        errors.append(e)  # expected: the daemon dies under us


with Daemon() as d:
    d.start()
    stop = threading.Event()
    threads = [threading.Thread(target=writer, args=(d, n, stop))
               for n in range(2)]
    for th in threads:
        th.start()
    time.sleep(1.5)
    total_before = sum(len(a) for a in acked)
    d.kill9()
    stop.set()
    for th in threads:
        th.join()
    total = sum(len(a) for a in acked)
    t.ok(total_before > 0, f"clients had {total} records acknowledged "
         "before the kill")
    t.ok(len(errors) == 2, "both clients saw the daemon die")

    d.start()  # recovers the WAL
    with d.client() as c:
        st = c.call("status")
    t.ok(st["records"] >= total, "status counts every acknowledged record",
         (st["records"], total))
    d.stop()
    stored = set()
    import sqlite3
    con = sqlite3.connect(f"file:{d.db}?mode=ro", uri=True)
    for (rid,) in con.execute("SELECT ext_id FROM record"):
        stored.add(rid)
    integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    con.close()
    missing = set().union(*acked) - stored
    t.eq(len(missing), 0, "no acknowledged record is missing after kill -9")
    t.eq(integrity, "ok", "database integrity after kill -9 and recovery")

    # A second round, killing during a single large batch: either all of
    # it is there or none (one batch, one transaction).
    d.start()
    big = [{"id": f"big-{k}", "ts": 1, "from": "x", "to": f"y{k % 500}",
            "kind": "k"} for k in range(50000)]
    c = d.client()
    c.send("ingest", {"records": big})
    time.sleep(0.3)
    d.kill9()
    c.close()
    d.start()
    n = d.call("status")["records"]
    got = n - len(stored)
    t.ok(got in (0, 50000), "a batch interrupted by kill -9 is all or "
         "nothing", got)
    t.eq(d.stop(), 0, "clean stop after recovery")


def wal_syncs(path, wal):
    """(start_ns, end_ns) of every fsync/fdatasync of the WAL."""
    out = []
    with open(path) as f:
        for line in f:
            fn, fd, start, end, target = line.rstrip("\n").split(" ", 4)
            if fn in ("fsync", "fdatasync") and target == wal:
                out.append((int(start), int(end)))
    return out


# Every acknowledged ingest reached the disk before its reply: with the
# shim recording each sync of the daemon (CLOCK_MONOTONIC, the clock of
# time.monotonic_ns), a sync of the WAL must have started after the batch
# was sent and ended before the reply was read. synchronous=OFF (or
# NORMAL, which syncs the WAL only at checkpoints) fails this.
SHIM = os.path.join(BUILDDIR, "tests", "shim", ".libs", "fsynccount.so")
with Daemon() as d:
    events = os.path.join(d.dir, "fsync.log")
    saved = dict(os.environ)
    os.environ["LD_PRELOAD"] = SHIM
    os.environ["FSYNCCOUNT_LOG"] = events
    # A sanitizer build wants its runtime first among the libraries; the
    # shim only wraps two calls it does not intercept.
    os.environ["ASAN_OPTIONS"] = (os.environ.get("ASAN_OPTIONS", "") +
                                  ":verify_asan_link_order=0").lstrip(":")
    try:
        d.start()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    windows = []
    with d.client() as c:
        for i in range(20):
            recs = [{"id": f"s{i}-{k}", "ts": 1700000000 + k,
                     "from": f"a{k}", "to": f"b{i}", "kind": "advice"}
                    for k in range(50)]
            sent = time.monotonic_ns()
            r = c.call("ingest", {"records": recs})
            windows.append((sent, time.monotonic_ns(),
                            r["records"]["added"]))
    wal = os.path.realpath(d.db) + "-wal"
    syncs = wal_syncs(events, wal)
    t.ok(len(syncs) > 0, f"the shim saw {len(syncs)} syncs of the WAL")
    t.eq([w[2] for w in windows], [50] * 20, "20 batches acknowledged")
    unsynced = [k for k, (sent, replied, _) in enumerate(windows)
                if not any(sent <= s and e <= replied for s, e in syncs)]
    t.eq(unsynced, [], "every acknowledged batch had a WAL sync finish "
         "between its request and its reply")
    t.eq(d.stop(), 0, "clean stop with the shim")
t.done()
