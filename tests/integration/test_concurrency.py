"""50 clients ingesting at once: exact totals afterwards; pings answered
while a large load is being written."""
import threading
import time

from spandtest import TAP, Daemon, RpcError

t = TAP()
CLIENTS, BATCHES, PER = 50, 8, 250

with Daemon() as d:
    d.start()
    results, errors = [], []
    lock = threading.Lock()

    def client(n):
        try:
            with d.client(timeout=120) as c:
                for b in range(BATCHES):
                    recs = [{"id": f"c{n}-b{b}-{k}", "ts": 1704067200 + k,
                             "from": f"c{n}-p{k % 10}",
                             "to": f"shared-{k % 40}", "kind": "advice"}
                            for k in range(PER)]
                    ev = [{"id": f"c{n}-e{b}", "ts": 1704067200,
                           "kind": "meeting",
                           "participants": [f"c{n}-p0", "shared-0",
                                            "shared-1"]}]
                    r = c.call("ingest", {"records": recs, "events": ev})
                    with lock:
                        results.append(r)
                    # half the clients send each batch twice: duplicates
                    if n % 2 == 0:
                        r = c.call("ingest", {"records": recs, "events": ev})
                        with lock:
                            results.append(r)
        except Exception as e:  # noqa: BLE001 - reported as a failure
            with lock:
                errors.append(repr(e))

    threads = [threading.Thread(target=client, args=(n,))
               for n in range(CLIENTS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    t.eq(errors, [], "no client saw an error")
    added = sum(r["records"]["added"] for r in results)
    dup = sum(r["records"]["duplicate"] for r in results)
    ev_added = sum(r["events"]["added"] for r in results)
    want = CLIENTS * BATCHES * PER
    t.eq(added, want, "records added across 50 clients is exact")
    t.eq(dup, (CLIENTS // 2) * BATCHES * PER, "duplicates counted exactly")
    t.eq(ev_added, CLIENTS * BATCHES, "events added exact")
    st = d.call("status")
    t.eq(st["records"], want, "status agrees")
    t.eq(st["people"], CLIENTS * 10 + 40, "people interned once each")
    versions = sorted(r["data_version"] for r in results)
    t.ok(versions[-1] < len(results),
         "group commit: fewer commits than batches",
         (versions[-1], len(results)))

    # Pings keep being answered while a large load is written: send a
    # 200k-record load on one connection, ping on another, and check that
    # pings complete while the load is still unanswered.
    loader = d.client(timeout=300)
    for b in range(10):
        loader.send("ingest", {"records": [
            {"id": f"L{b}-{k}", "ts": 1, "from": f"l{k % 1000}",
             "to": f"m{k % 997}", "kind": "k"} for k in range(20000)]})
    pinger = d.client()
    worst = 0.0
    answered_during = 0
    done = threading.Event()

    def drain():
        for _ in range(10):
            loader.recv()
        done.set()

    th = threading.Thread(target=drain)
    th.start()
    while not done.is_set():
        t0 = time.monotonic()
        pinger.call("ping")
        worst = max(worst, time.monotonic() - t0)
        if not done.is_set():
            answered_during += 1
    th.join()
    t.ok(answered_during >= 5, f"{answered_during} pings answered during a "
         f"200k-record load (slowest {worst * 1000:.1f} ms)")
    t.diag(f"slowest ping during load: {worst * 1000:.1f} ms")
    t.eq(d.call("status")["records"], want + 200000, "load fully stored")
    t.eq(d.stop(), 0, "clean stop")
t.done()
