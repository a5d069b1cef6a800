"""forget erases a person from the database file and its WAL, also while
another connection holds a read snapshot that still needs the old pages:
then forget says the erasure is pending (pending_wal), other writes go on
without stalling, and the writer finishes the erasure as soon as the
reader lets go. Checked bytewise in the database, -wal and -shm files."""
import sqlite3
import time

from spandtest import TAP, Daemon, RpcError

t = TAP()

# Strings found nowhere else in the data, so that a bytewise search finds
# only this person's id, name and organisation.
SECRETS = {"id": "erase-me-7Qx4", "name": "Zebedee Quillfeather",
           "org": "Org-Xylophone-93Kq"}


def leaks(d):
    """(file, what) for every secret string in the database files."""
    found = []
    for suffix in ("", "-wal", "-shm"):
        try:
            with open(d.db + suffix, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            continue
        for what, s in SECRETS.items():
            if s.encode() in data:
                found.append(("db" + suffix, what))
    return found


def seed(c, pid, tag):
    """The person, two colleagues, records both ways and an event."""
    c.call("ingest", {
        "people": [{"id": pid, "name": SECRETS["name"], "org": SECRETS["org"],
                    "sector": "adults"},
                   {"id": f"{tag}-a", "sector": "nhs"},
                   {"id": f"{tag}-b", "sector": "police"}],
        "records": [{"ts": "2024-03-01T10:00:00Z", "from": pid,
                     "to": f"{tag}-a", "kind": "advice"},
                    {"ts": "2024-03-02T10:00:00Z", "from": f"{tag}-b",
                     "to": pid, "kind": "referral"}],
        "events": [{"ts": "2024-03-03T10:00:00Z", "kind": "meeting",
                    "participants": [pid, f"{tag}-a", f"{tag}-b"]}]})


def timed(fn, *args):
    t0 = time.monotonic()
    r = fn(*args)
    return r, time.monotonic() - t0


def wait_erased(c, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not c.call("status")["store"]["erasure_pending"]:
            return True
        time.sleep(0.05)
    return False


with Daemon() as d:
    d.start()
    # 1. No reader: the erasure is complete when forget answers.
    with d.client() as c:
        seed(c, SECRETS["id"], "x")
        t.ok(len(leaks(d)) > 0, "the search finds the person's strings "
             "before the forget", leaks(d))
        r = c.call("forget", {"id": SECRETS["id"]})
        t.eq((r["erased"], r["pending_wal"]), (True, False),
             "forget without readers: erased, nothing pending")
        t.eq(leaks(d), [], "no id, name or org left in db, -wal, -shm "
             "when forget answered")
        t.eq(c.call("status")["store"]["erasure_pending"], False,
             "status: no erasure pending")

    # 2. A reader holds a snapshot from before the forget. The person is
    # in the database file (checkpointed at the restart) and, after an
    # update, in the WAL as well.
    with d.client() as c:
        seed(c, SECRETS["id"], "y")
    d.stop()
    d.start()
    with d.client() as c:
        c.call("ingest", {"people": [{"id": SECRETS["id"],
                                      "role": "lead " + SECRETS["name"]}]})
        before = leaks(d)
        t.ok(("db", "org") in before and ("db-wal", "name") in before,
             "before the forget the person is in the db file and the WAL",
             before)

        reader = sqlite3.connect(f"file:{d.db}?mode=ro", uri=True,
                                 isolation_level=None)
        reader.execute("BEGIN")
        n = reader.execute("SELECT count(*) FROM person").fetchone()[0]
        t.ok(n >= 3, f"an outside reader holds a snapshot ({n} people)")

        r, took = timed(c.call, "forget", {"id": SECRETS["id"]})
        t.eq((r["erased"], r["pending_wal"]), (True, True),
             "forget under a reader: erased from the data, WAL pending")
        t.ok(took < 2.0, f"forget answered in {took:.3f} s (no wait for "
             "the reader)")
        try:
            c.call("person", {"id": SECRETS["id"]})
            t.ok(False, "the forgotten person is no longer served")
        except RpcError as e:
            t.eq(e.code, 1004, "the forgotten person is no longer served")
        t.eq(c.call("status")["store"]["erasure_pending"], True,
             "status: erasure pending while the reader holds its snapshot")

        worst = 0.0
        for i in range(10):
            _, took = timed(c.call, "ingest", {"records": [
                {"ts": 1700000000 + i, "from": f"w{i}", "to": f"v{i}",
                 "kind": "advice"}]})
            worst = max(worst, took)
        t.ok(worst < 1.0, f"10 ingests under the reader, slowest "
             f"{worst:.3f} s (no stall behind the checkpoint)")
        t.ok(len(leaks(d)) > 0, "the reader's snapshot still holds the old "
             "pages (so pending_wal was the honest answer)", leaks(d))

        reader.rollback()
        reader.close()
        t.ok(wait_erased(c), "the erasure finishes once the reader ends")
        t.eq(leaks(d), [], "no id, name or org in db, -wal, -shm after it")

        for i in range(30):
            c.call("ingest", {"records": [{"ts": 1700000100 + i,
                                           "from": "z", "to": f"z{i}",
                                           "kind": "advice"}]})
        c.call("reload")
        t.eq(leaks(d), [], "still none after 30 commits and a reload")
    t.eq(d.stop(), 0, "clean stop")
    t.eq(leaks(d), [], "still none after a stop")
t.done()
