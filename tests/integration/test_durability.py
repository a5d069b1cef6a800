"""kill -9 while clients stream acknowledged batches: after a restart every
acknowledged item is there, and the database is intact."""
import threading
import time

from spandtest import TAP, Daemon, RpcError, sqlite_count

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
t.done()
