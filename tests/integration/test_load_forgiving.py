"""spanctl load forgives a spreadsheet and loses nothing silently (issue
13): column names in any case and spacing; an unknown records column is a
warning (an error with --strict); a duplicate id in one people file is
refused with both lines; slash dates only with --date-format; date-times
without a zone read in --tz (spring-forward gap refused, autumn repeat
taken at its first passing); records without an id get a content id, so
a reload stores nothing twice; people named but never described are
listed with file and line and a likely typo; --no-implicit refuses them.
Every message is asserted exactly."""
import atexit
import json
import os
import shutil
import tempfile

from spandtest import TAP, Daemon

t = TAP()
tmp = tempfile.mkdtemp(prefix="loadforgive-")
atexit.register(shutil.rmtree, tmp, True)


def write(name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def diag(p):
    return f"exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"


def jload(d, *args):
    p = d.spanctl("--json", "load", *args)
    try:
        return json.loads(p.stdout), p
    except ValueError:
        return {}, p


def edges(d, frm, to):
    """The CSV export's edge rows in the window [frm, to): from, to,
    weight, from_group, to_group (the attribute columns after them are
    test_export_attrs.py's business)."""
    p = d.spanctl("export", "--format", "csv", "--from", frm, "--to", to)
    return [",".join(line.split(",")[:5])
            for line in p.stdout.strip().splitlines()[1:]]


PEOPLE = write("people.csv", """ ID ,Name , Sector
ann,Ann,adults
bob,Bob,nhs
ann,Annie,children
zoe,Zoe,nhs
""")

RECS = write("recs.csv", """TS,From,To,Kind,Notes
03/02/2025,ann,bob,advice,called back
2025-07-01 09:30,ann,zoe,advice,
2025-03-30 01:30,bob,zoe,advice,
2025-10-26 01:30,bob,ann,advice,
2025-10-26 01:30,bob,ann,advice,
2025-01-01,bbo,ann,advice,
2025-01-02,zed,ann,advice,
""")

with Daemon() as d:
    d.start()

    # --- people: headers as spreadsheets write them, a duplicate id ---
    res, p = jload(d, PEOPLE)
    t.eq(p.returncode, 1, "a duplicate id in a people file: exit 1")
    t.eq(res.get("rejected"),
         [{"file": PEOPLE, "line": 4,
           "reason": 'id: "ann" is already on line 2 of this file; the first '
                     'row is kept, this one is not loaded'}],
         "duplicate id reported with both lines")
    pj = json.loads(d.spanctl("--json", "person", "ann").stdout or "{}")
    t.eq(pj.get("attributes"), {"name": "Ann", "sector": "adults"},
         "\" ID \", \"Name \", \" Sector\" read as id, name, sector; the "
         "first row of ann kept")

    # --- records: unknown column, slash date, no ids, implicit people --
    # (with the people file again: its ids are the known ones for typos)
    p = d.spanctl("load", PEOPLE, RECS)
    t.eq(p.returncode, 1, "a refused slash date: exit 1")
    t.ok(f'spanctl: {RECS}: unknown column "notes" ignored (records have '
         'id, ts, from, to, kind, weight, directed; --strict refuses the '
         'file)\n' in p.stderr, "unknown column: a warning naming it",
         diag(p))
    t.ok(f'  {RECS}:2: ts: "03/02/2025" could be day-first or month-first: '
         'give --date-format dmy or mdy\n' in p.stdout,
         "slash date without --date-format: refused, naming line and flag",
         diag(p))
    t.ok("records:         6 added, 0 duplicate\n" in p.stdout,
         "the other 6 rows loaded despite the unknown column", diag(p))
    t.ok("implicit people: 2 (named in records or events, never described)\n"
         f'  {RECS}:7: "bbo" (did you mean "bob"?)\n'
         f'  {RECS}:8: "zed"\n' in p.stdout,
         "undescribed people listed with file, line and a likely typo",
         diag(p))
    t.ok("content ids:     6 records, 0 events without an id got one from "
         "their content\n" in p.stdout, "content ids counted", diag(p))
    t.eq(edges(d, "2025-10-26T01:30:00Z", "2025-10-26T01:31:00Z"),
         ["bob,ann,2,nhs,adults"],
         "zone-less date-time read as UTC by default; two identical rows "
         "are two records")

    # Reloading the same file stores nothing twice.
    res, p = jload(d, RECS)
    t.eq((res.get("records"), res.get("content_ids")),
         ({"added": 0, "duplicate": 6}, {"records": 6, "events": 0}),
         "reload: every id-less record is a duplicate")

    # Short-form events without an id too; two alike are two meetings.
    ev = write("ev.csv", "Ts,Kind,Participants\n"
               "2025-05-01,meeting,ann;bob\n2025-05-01,meeting,ann;bob\n")
    res, p = jload(d, ev)
    t.eq((res.get("events"), res.get("content_ids")),
         ({"added": 2, "duplicate": 0}, {"records": 0, "events": 2}),
         "events without an id: two alike rows, two events")
    res, p = jload(d, ev)
    t.eq(res.get("events"), {"added": 0, "duplicate": 2},
         "events reloaded: duplicates")

    # JSON Lines too: records and events without an id get one from
    # their content (as sent: the fast path's text, or jansson's dump on
    # the slow path, here taken by a record with an object member that the
    # daemon then refuses), two alike lines are two records, and a reload
    # stores nothing twice. An item with its own id keeps it.
    jl = write("items.jsonl",
               '{"type":"record","ts":"2025-06-01","from":"ann","to":"bob",'
               '"kind":"advice"}\n'
               '{"type":"record","ts":"2025-06-01","from":"ann","to":"bob",'
               '"kind":"advice"}\n'
               '{"type":"event","ts":"2025-06-02","kind":"meeting",'
               '"participants":["ann","bob"]}\n'
               '{"type":"record","ts":"2025-06-03","from":"bob","to":"ann",'
               '"kind":"advice","meta":{"x":1}}\n'
               '{"type":"record","id":"own-1","ts":"2025-06-04",'
               '"from":"bob","to":"ann","kind":"advice"}\n')
    res, p = jload(d, jl)
    t.eq((res.get("records"), res.get("events"), res.get("content_ids"),
          res.get("rejected_count")),
         ({"added": 3, "duplicate": 0}, {"added": 1, "duplicate": 0},
          {"records": 3, "events": 1}, 1),
         "JSON Lines: id-less records and events get content ids; two "
         "alike lines are two records; the record with an id keeps it")
    res, p = jload(d, jl)
    t.eq((res.get("records"), res.get("events")),
         ({"added": 0, "duplicate": 3}, {"added": 0, "duplicate": 1}),
         "JSON Lines reloaded: nothing stored twice")
    p = d.spanctl("load", jl)
    t.ok("content ids:     3 records, 1 event without an id got one from "
         "their content\n" in p.stdout, "one event, singular", diag(p))
    t.ok(d.call("person", {"id": "ann"})["records_out"] >= 2,
         "the two alike records are both held")

    # --- --date-format and --tz ---------------------------------------
    res, p = jload(d, "--date-format", "dmy", "--tz", "Europe/London", RECS)
    t.eq([(r["line"], r["reason"]) for r in res.get("rejected", [])],
         [(4, 'ts: "2025-03-30 01:30" does not exist in Europe/London (the '
              'clocks went forward)')],
         "a time in the spring-forward gap is refused")
    t.eq(edges(d, "2025-02-03", "2025-02-04"), ["ann,bob,1,adults,nhs"],
         "--date-format dmy: 03/02/2025 is 3 February")
    t.eq(edges(d, "2025-07-01T08:30:00Z", "2025-07-01T08:31:00Z"),
         ["ann,zoe,1,adults,nhs"], "--tz Europe/London: 09:30 BST is 08:30Z")
    t.eq(edges(d, "2025-10-26T00:30:00Z", "2025-10-26T00:31:00Z"),
         ["bob,ann,2,nhs,adults"],
         "the repeated autumn hour is taken at its first passing (BST)")
    mdy = write("mdy.csv", "ts,from,to,kind\n02/05/2025,zoe,bob,cpd\n")
    jload(d, "--date-format", "mdy", mdy)
    t.eq(edges(d, "2025-02-05", "2025-02-06"), ["zoe,bob,1,nhs,nhs"],
         "--date-format mdy: 02/05/2025 is 5 February")
    p = d.spanctl("load", "--tz", "Mars/Olympus", mdy)
    t.ok(p.returncode == 2 and "--tz Mars/Olympus: not a zone of the tz "
         "database" in p.stderr, "an unknown zone is a usage error",
         diag(p))
    p = d.spanctl("load", "--date-format", "ymd", mdy)
    t.ok(p.returncode == 2 and "--date-format must be dmy or mdy"
         in p.stderr, "a bad --date-format is a usage error", diag(p))

    # --- --strict makes an unknown column an error ----------------------
    p = d.spanctl("load", "--strict", RECS)
    t.ok(p.returncode == 1 and f'spanctl: {RECS}: unknown column "notes" '
         'for records (allowed: id, ts, from, to, kind, weight, directed); '
         'file skipped\n' in p.stderr, "--strict: unknown column skips the "
         "file", diag(p))

    # --- --no-implicit ------------------------------------------------
    ni = write("ni.csv", "id,ts,from,to,kind\n"
               "n1,2025-04-01,ann,zoe,advice\n"
               "n2,2025-04-01,ann,zoee,advice\n"
               "n3,2025-04-01,zed,ann,advice\n")
    res, p = jload(d, "--no-implicit", ni)
    t.eq(p.returncode, 1, "--no-implicit with undescribed people: exit 1")
    t.eq([(r["line"], r["reason"]) for r in res.get("rejected", [])],
         [(3, 'to: "zoee" is not described (no row in a people file before '
              'this one, no attributes in spand) and --no-implicit is given '
              '(did you mean "zoe"?)'),
          (4, 'from: "zed" is not described (no row in a people file before '
              'this one, no attributes in spand) and --no-implicit is '
              'given')],
         "--no-implicit refuses rows naming undescribed people (zed exists "
         "in spand, but without attributes)")
    t.eq((res.get("records"), res.get("people", {}).get("implicit")),
         ({"added": 1, "duplicate": 0}, 0),
         "--no-implicit: only the described row stored, nobody created")
t.done()
