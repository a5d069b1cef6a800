"""Ingest and read back through a real daemon; restart and find it all;
idempotency, upsert, implicit people, forget."""
from spandtest import TAP, Daemon, RpcError, sqlite_count

t = TAP()
with Daemon() as d:
    d.start()
    c = d.client()
    t.eq(c.call("ping")["version"], "0.1.0", "ping reports the version")

    batch = {
        "people": [
            {"id": "ann", "sector": "adults", "role": "PSW", "region": "N"},
            {"id": "bob", "sector": "children", "role": "PSW"},
            {"id": "cat", "sector": "nhs"},
        ],
        "records": [
            {"id": "r1", "ts": "2024-01-15", "from": "ann", "to": "bob",
             "kind": "advice"},
            {"id": "r2", "ts": "2024-02-01T09:30:00Z", "from": "bob",
             "to": "cat", "kind": "referral", "weight": 2.5,
             "directed": False},
            {"ts": 1717200000, "from": "cat", "to": "dan",
             "kind": "advice"},
        ],
        "events": [
            {"id": "e1", "ts": "2025-03-01T10:00:00+01:00", "kind": "meeting",
             "participants": ["ann", "bob", "cat", "ann"]},
        ],
    }
    r = c.call("ingest", batch)
    t.eq(r["people"], {"added": 3, "updated": 0, "duplicate": 0,
                       "implicit": 1}, "people added, dan implicit")
    t.eq(r["records"], {"added": 3, "duplicate": 0}, "records added")
    t.eq(r["events"], {"added": 1, "duplicate": 0}, "event added")
    t.eq(r["rejected_count"], 0, "nothing rejected")
    v1 = r["data_version"]
    t.ok(v1 >= 1, "data_version advanced")

    # Same batch again: every record/event with an id is a duplicate; the
    # one without an id is new each time (nothing identifies it).
    r = c.call("ingest", batch)
    t.eq(r["records"], {"added": 1, "duplicate": 2}, "ids are idempotent")
    t.eq(r["events"], {"added": 0, "duplicate": 1}, "event id idempotent")
    t.eq(r["people"]["duplicate"], 3, "unchanged people are duplicates")

    # Upsert: a changed attribute updates, null removes, others stay.
    r = c.call("ingest", {"people": [{"id": "ann", "sector": "nhs",
                                      "role": None}]})
    t.eq(r["people"]["updated"], 1, "person updated")
    p = c.call("person", {"id": "ann"})
    t.eq(p["attributes"], {"sector": "nhs", "region": "N"},
         "upsert set sector, removed role, kept region")
    t.eq((p["records_out"], p["records_in"], p["events"]), (1, 0, 1),
         "person tie counts")
    t.eq(p["contacts"], 2, "ann's distinct contacts (bob, cat)")
    t.eq(p["first_ts"], "2024-01-15T00:00:00Z", "first tie time in UTC")
    t.eq(p["last_ts"], "2025-03-01T09:00:00Z", "offset converted to UTC")
    t.eq(p["kinds"], {"advice": 1, "meeting": 1}, "ties by kind")

    st = c.call("status")
    t.eq((st["people"], st["records"], st["events"]), (4, 4, 1),
         "status counts")
    t.ok(st["db_bytes"] > 0 and st["connections"] >= 1, "status sizes")

    b = c.call("boundaries")
    sector = [a for a in b["attributes"] if a["name"] == "sector"][0]
    t.eq(sector["values"], [{"value": "nhs", "people": 2},
                            {"value": "children", "people": 1}],
         "boundaries: values by count")
    t.eq(b["people"], 4, "boundaries: total people")

    s = c.call("summary", {"boundary": "sector"})
    years = {y["year"]: y for y in s["years"]}
    t.eq(sorted(years), [2024, 2025], "summary years")
    # 2024: r1 ann(nhs)-bob(children) cross; r2 bob-cat cross; cat-dan twice
    # (dan has no sector: a tie, not a cross tie).
    t.eq((years[2024]["records"], years[2024]["ties"],
          years[2024]["cross_ties"]), (4, 4, 2), "summary 2024 ties")
    # 2025: the meeting of ann, bob, cat gives 3 ties; ann-cat both nhs.
    t.eq((years[2025]["events"], years[2025]["ties"],
          years[2025]["cross_ties"]), (1, 3, 2), "summary 2025 event ties")
    t.eq(s["unassigned"], 1, "dan has no sector")

    try:
        c.call("person", {"id": "nobody"})
        t.ok(False, "unknown person is an error")
    except RpcError as e:
        t.eq(e.code, 1004, "unknown person: 1004")

    # Forget erases the person, their records and participations.
    r = c.call("forget", {"id": "cat"})
    t.eq((r["records_removed"], r["participations_removed"]), (3, 1),
         "forget counts: r2 and two id-less cat-dan records; one meeting")
    c.close()
    t.eq(d.stop(), 0, "SIGTERM exits 0")

    # Everything is still there after a restart, and cat is gone for good.
    d.start()
    with d.client() as c:
        st = c.call("status")
        t.eq((st["people"], st["records"], st["events"]), (3, 1, 1),
             "restart: counts survive")
        try:
            c.call("person", {"id": "cat"})
            t.ok(False, "forgotten person is gone")
        except RpcError as e:
            t.eq(e.code, 1004, "forgotten person is gone after restart")
        r = c.call("ingest", batch)
        t.eq(r["records"]["duplicate"], 1,
             "restart: r1 still known (id index survives)")
        t.eq(r["people"]["added"], 1, "re-ingest recreates cat as new")
    d.stop()
    t.eq(sqlite_count(d.db, "SELECT count(*) FROM person WHERE key='cat'"),
         1, "database read directly agrees")
    t.eq(sqlite_count(d.db, "PRAGMA integrity_check"), "ok",
         "database integrity after stop")
t.done()
