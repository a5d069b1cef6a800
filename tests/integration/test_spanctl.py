"""The real spanctl binary against a real daemon: loading every input file
type with exact counts read back, duplicates on reloading, rejected rows
reported as file:line with a non-zero exit, --strict, usage errors, a
missing socket, call, person, forget and --json output."""
import atexit
import json
import os
import shutil
import tempfile

from spandtest import SPANCTL, TAP, Daemon

t = TAP()
tmp = tempfile.mkdtemp(prefix="spanctltest-")
atexit.register(shutil.rmtree, tmp, True)


def write(name, text, mode="w"):
    path = os.path.join(tmp, name)
    with open(path, mode) as f:
        f.write(text)
    return path


def jrun(d, *args, **kw):
    """spanctl --json ARGS; the parsed stdout (None if not JSON) and the
    completed process."""
    p = d.spanctl("--json", *args, **kw)
    try:
        return json.loads(p.stdout), p
    except ValueError:
        return None, p


def status(d):
    s, p = jrun(d, "status")
    return s or {}


def diag_of(p):
    return f"exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"


PEOPLE = """id,name,sector,org,role
ann,Ann Smith,adults,Council A,PSW
bob,"Bob ""B"" Jones",children,Council A,AD
cat,Cat Brown,nhs,Trust B,
dan,Dan,voluntary,,
eve,Eve,,Charity C,lead
"""

# Columns in an unusual order, optional columns, an implicit person (zed).
RECORDS = """kind,to,from,ts,id,weight,directed
advice,bob,ann,2023-01-05,r1,1,true
referral,cat,bob,2023-02-05,r2,,
meeting,dan,cat,1700000000,r3,2.5,no
advice,zed,ann,2024-03-01T10:00:00Z,r4,,yes
"""

EVENTS = """id,ts,kind,participants
e1,2023-06-01,meeting,ann;bob;cat
e2,2024-06-01,cpd, ann ; dan ;eve;
"""

# Long form, rows of one event apart, the same time written two ways.
EVENTS_LONG = """event_id,ts,kind,person
L1,2024-01-10,meeting,ann
L2,2024-02-10,cpd,cat
L1,2024-01-10,meeting,bob
L2,2024-02-10,cpd,eve
L1,2024-01-10T00:00:00Z,meeting,dan
"""

JSONL = """{"type":"person","id":"fay","sector":"nhs"}
{"type": "record", "id": "j1", "ts": "2024-05-01", "from": "fay", "to": "ann", "kind": "advice"}

{"type":"event","id":"je1","ts":1710000000,"kind":"meeting","participants":["fay","bob"]}
"""

with Daemon() as d:
    d.start()

    p = d.spanctl("ping")
    t.ok(p.returncode == 0 and "spand 0.1.0" in p.stdout, "ping", diag_of(p))

    # --- people -------------------------------------------------------
    res, p = jrun(d, "load", write("people.csv", PEOPLE))
    t.eq(p.returncode, 0, "load people.csv exits 0")
    t.eq(res and res["people"], {"added": 5, "updated": 0, "duplicate": 0,
                                 "implicit": 0}, "5 people added")
    t.eq(res and res["files"][0]["type"], "people", "detected as people")
    b, _ = jrun(d, "boundaries")
    sector = {a["name"]: a for a in (b or {}).get("attributes", [])}.get(
        "sector", {})
    t.eq({v["value"]: v["people"] for v in sector.get("values", [])},
         {"adults": 1, "children": 1, "nhs": 1, "voluntary": 1},
         "boundaries: sector values (empty cell = no attribute)")
    t.eq(sector.get("people"), 4, "eve has no sector")
    pj, _ = jrun(d, "person", "bob")
    t.eq(pj and pj["attributes"], {"name": 'Bob "B" Jones',
                                   "sector": "children", "org": "Council A",
                                   "role": "AD"},
         "quoted CSV cell with doubled quotes")

    # --- records ------------------------------------------------------
    res, p = jrun(d, "load", write("records.csv", RECORDS))
    t.eq(p.returncode, 0, "load records.csv exits 0")
    t.eq(res and res["records"], {"added": 4, "duplicate": 0},
         "4 records added")
    t.eq(res and res["people"]["implicit"], 1, "zed created implicitly")
    s = status(d)
    t.eq((s.get("people"), s.get("records")), (6, 4), "status counts")
    pj, _ = jrun(d, "person", "cat")
    t.eq((pj or {}).get("kinds"), {"referral": 1, "meeting": 1},
         "cat's record kinds")

    # --- events, short and long form ----------------------------------
    res, p = jrun(d, "load", write("events.csv", EVENTS))
    t.eq(p.returncode, 0, "load events.csv exits 0")
    t.eq(res and res["events"], {"added": 2, "duplicate": 0},
         "2 short-form events")
    res, p = jrun(d, "load", write("events_long.csv", EVENTS_LONG))
    t.eq(p.returncode, 0, "load long-form events exits 0")
    t.eq(res and res["events"], {"added": 2, "duplicate": 0},
         "5 long-form rows grouped into 2 events")
    t.eq(res and res["files"][0]["type"], "events-long", "detected long form")
    pj, _ = jrun(d, "person", "dan")
    t.eq((pj or {}).get("events"), 2, "dan: one short, one long-form event")
    pj, _ = jrun(d, "person", "eve")
    t.eq((pj or {}).get("kinds"), {"cpd": 2}, "eve: e2 and L2")
    t.eq(status(d).get("events"), 4, "4 events stored")

    # --- JSON Lines ---------------------------------------------------
    res, p = jrun(d, "load", write("mixed.jsonl", JSONL))
    t.eq(p.returncode, 0, "load JSON Lines exits 0")
    t.eq(res and (res["people"]["added"], res["records"]["added"],
                  res["events"]["added"]), (1, 1, 1),
         "JSON Lines: a person, a record and an event")
    pj, _ = jrun(d, "person", "fay")
    t.eq((pj or {}).get("attributes"), {"sector": "nhs"},
         "\"type\" is not stored as an attribute")
    s = status(d)
    t.eq((s.get("people"), s.get("records"), s.get("events")), (7, 5, 5),
         "status after all loads")

    # --- reloading is idempotent --------------------------------------
    files = [os.path.join(tmp, f) for f in
             ("people.csv", "records.csv", "events.csv", "events_long.csv",
              "mixed.jsonl")]
    res, p = jrun(d, "load", *files)
    t.eq(p.returncode, 0, "reload of every file exits 0")
    t.eq(res and res["records"], {"added": 0, "duplicate": 5},
         "records are duplicates")
    t.eq(res and res["events"], {"added": 0, "duplicate": 5},
         "events are duplicates")
    t.eq(res and res["people"]["duplicate"], 6, "people are duplicates")
    s = status(d)
    t.eq((s.get("people"), s.get("records"), s.get("events")), (7, 5, 5),
         "counts unchanged after reloading")

    # --- human output of load -----------------------------------------
    p = d.spanctl("load", os.path.join(tmp, "records.csv"))
    t.ok(p.returncode == 0 and "records:" in p.stdout
         and "0 added, 4 duplicate" in p.stdout and "rejected:        0"
         in p.stdout, "text summary of a reload", diag_of(p))

    # --- rejected rows ------------------------------------------------
    bad = write("bad.csv", """id,ts,from,to,kind,weight
x1,2024-01-01,ann,bob,advice,1
x2,yesterday,ann,bob,advice,1
x3,"2024-01-02",ann,"multi
line",advice,1

x4,2024-01-03,ann,bob,advice,heavy
x5,2024-01-04,ann,ann,advice,1
x6,2024-01-05,bob,ann,advice,1
""")
    p = d.spanctl("load", bad)
    t.eq(p.returncode, 1, "rejected rows: exit 1")
    t.ok("bad.csv:3: ts:" in p.stdout, "bad ts reported at its line",
         diag_of(p))
    t.ok("bad.csv:4: to:" in p.stdout,
         "multi-line field reported at the row's first line", diag_of(p))
    t.ok("bad.csv:7: weight: must be a number" in p.stdout,
         "bad weight at its line after a quoted newline and a blank line",
         diag_of(p))
    t.ok("bad.csv:8: to:" in p.stdout, "self-loop at its line", diag_of(p))
    t.ok("rejected:        4" in p.stdout, "4 rejected", diag_of(p))
    t.eq(status(d).get("records"), 7, "the valid rows x1 and x6 stored")

    # Many batches in flight: rejections deep in the file keep their line.
    rows = ["id,ts,from,to,kind"]
    for i in range(5000):
        ts = "never" if i in (1234, 4321) else str(1700000000 + i)
        rows.append(f"m{i},{ts},ann,bob,advice")
    many = write("many.csv", "\n".join(rows) + "\n")
    res, p = jrun(d, "load", "--batch", "100", many)
    t.eq(p.returncode, 1, "pipelined load with 2 bad rows exits 1")
    t.eq(res and res["records"]["added"], 4998, "4998 of 5000 added")
    t.eq(res and [(r["file"], r["line"]) for r in res["rejected"]],
         [(many, 1236), (many, 4323)],
         "rejections keep their lines across 50 pipelined batches")

    # --- --strict -----------------------------------------------------
    strict = write("strict.csv", """id,ts,from,to,kind
s1,2024-01-01,ann,bob,advice
s2,2024-01-02,ann,bob,advice
s3,not-a-time,ann,bob,advice
""")
    before = status(d).get("records")
    res, p = jrun(d, "load", "--strict", strict)
    t.eq(p.returncode, 1, "--strict with a bad row exits 1")
    t.eq(status(d).get("records"), before, "--strict: nothing of the batch "
         "stored")
    t.eq(res and (res["rejected_count"], res["unsent"]), (1, 2),
         "--strict: 1 rejected, 2 valid rows not stored")
    t.ok(res and res["rejected"] and res["rejected"][0]["line"] == 4,
         "--strict reports the bad row's line", diag_of(p))
    res, p = jrun(d, "load", strict)
    t.eq(res and res["records"]["added"], 2, "without --strict the valid "
         "rows are stored")

    # --- bad files ----------------------------------------------------
    unk = write("unknown.csv", "id,ts,from,to,kind,colour\n"
                "u1,2024-01-01,ann,bob,advice,red\n")
    p = d.spanctl("load", unk)
    t.ok(p.returncode == 0 and '"colour" ignored' in p.stderr,
         "unknown column: a warning naming it, the rows loaded (exit 0)",
         diag_of(p))
    p = d.spanctl("load", os.path.join(tmp, "does-not-exist.csv"))
    t.ok(p.returncode == 1 and "does-not-exist.csv" in p.stderr,
         "missing input file: exit 1", diag_of(p))
    latin = write("latin.csv", b"id,name\nl1,Zo\xeb\n", "wb")
    p = d.spanctl("load", latin)
    t.ok(p.returncode == 1 and "latin.csv:2: name:" in p.stdout
         and "UTF-8" in p.stdout, "invalid UTF-8 rejected with its line",
         diag_of(p))
    lbad = write("long_bad.csv", "event_id,ts,kind,person\n"
                 "B1,2024-01-01,m,ann\nB1,2024-01-01,m,bo\x01b\n"
                 "B1,2024-01-01,m,cat\n")
    p = d.spanctl("load", lbad)
    t.ok(p.returncode == 1 and "long_bad.csv:3: person:" in p.stdout,
         "long form: a bad participant is reported at its own row",
         diag_of(p))

    # --- standard input -----------------------------------------------
    res, p = jrun(d, "load", "-",
                  input='{"type":"person","id":"gus","sector":"nhs"}\n')
    t.ok(p.returncode == 0 and res and res["people"]["added"] == 1,
         "load - reads standard input", diag_of(p))

    # --- person, forget, call -----------------------------------------
    p = d.spanctl("person", "ann")
    t.ok(p.returncode == 0 and "Ann Smith" in p.stdout
         and "records out" in p.stdout, "person: text output", diag_of(p))
    p = d.spanctl("person", "nobody")
    t.ok(p.returncode == 1 and "1004" in p.stderr,
         "unknown person: exit 1 with the server's code", diag_of(p))
    recs = status(d).get("records") or 0
    pj, _ = jrun(d, "person", "dan")
    out, p = jrun(d, "forget", "dan")
    t.ok(p.returncode == 0 and out and out["id"] == "dan"
         and out["records_removed"] == pj["records_out"] + pj["records_in"],
         "forget removes dan's records", diag_of(p))
    removed = out["records_removed"] if out else 0
    t.eq(status(d).get("records"), recs - removed, "record count after "
         "forget")
    p = d.spanctl("person", "dan")
    t.eq(p.returncode, 1, "forgotten person is gone")
    p = d.spanctl("forget", "dan")
    t.eq(p.returncode, 1, "forgetting twice is an error")

    p = d.spanctl("call", "ping")
    try:
        r = json.loads(p.stdout)
    except ValueError:
        r = None
    t.ok(p.returncode == 0 and r and r["version"] == "0.1.0",
         "call ping prints the raw result", diag_of(p))
    p = d.spanctl("call", "person", '{"id": "ann"}')
    t.ok(p.returncode == 0 and json.loads(p.stdout)["id"] == "ann",
         "call with params", diag_of(p))
    p = d.spanctl("call", "no.such.method")
    t.ok(p.returncode == 1 and "-32601" in p.stderr,
         "call of an unknown method: exit 1 with the code", diag_of(p))
    p = d.spanctl("call", "ping", "{not json")
    t.eq(p.returncode, 2, "call with invalid JSON params: exit 2")

    # --- --json output parses; text output for people ---------------
    for cmd in (["ping"], ["status"], ["boundaries"], ["summary"],
                ["summary", "--by", "org"], ["person", "ann"]):
        out, p = jrun(d, *cmd)
        t.ok(p.returncode == 0 and isinstance(out, dict),
             f"--json {' '.join(cmd)} is JSON", diag_of(p))
    out, _ = jrun(d, "summary")
    t.eq(out and out["boundary"], "sector", "summary's default boundary")
    p = d.spanctl("summary")
    t.ok(p.returncode == 0 and "CROSS-SECTOR" in p.stdout
         and "cross-sector interactions in 2023" in p.stdout, "summary text tables",
         diag_of(p))
    p = d.spanctl("boundaries")
    t.ok(p.returncode == 0 and "ATTRIBUTE" in p.stdout
         and "children" in p.stdout, "boundaries text table", diag_of(p))
    p = d.spanctl("status")
    t.ok(p.returncode == 0 and "records:" in p.stdout, "status text",
         diag_of(p))

    # --- usage errors -------------------------------------------------
    for args, what in ((["frobnicate"], "unknown command"),
                       ([], "no command"),
                       (["--bogus", "ping"], "unknown global option"),
                       (["load"], "load without files"),
                       (["load", "--batch", "x", "f.csv"], "bad --batch"),
                       (["load", "--nope", "f.csv"], "unknown load option"),
                       (["person"], "person without an id"),
                       (["status", "extra"], "extra argument")):
        p = d.spanctl(*args)
        t.ok(p.returncode == 2 and "usage:" in p.stderr,
             f"usage error ({what}): exit 2 and usage on stderr",
             diag_of(p))
    p = d.spanctl("-h")
    t.ok(p.returncode == 0 and "usage:" in p.stdout, "-h: usage on stdout")
    p = d.spanctl("-V")
    t.ok(p.returncode == 0 and "0.1.0" in p.stdout, "-V prints the version")

    # --- socket selection ---------------------------------------------
    missing = os.path.join(tmp, "no-such.sock")
    p = d.spanctl("-s", missing, "ping")
    t.ok(p.returncode == 1 and missing in p.stderr
         and "is spand running?" in p.stderr,
         "missing socket: path and hint, exit 1", diag_of(p))
    p = d.spanctl("ping", env={"SPAND_SOCKET": missing})
    t.ok(p.returncode == 1 and missing in p.stderr,
         "$SPAND_SOCKET is used", diag_of(p))
    p = d.spanctl("-s", d.socket, "ping", env={"SPAND_SOCKET": missing})
    t.eq(p.returncode, 0, "-s wins over $SPAND_SOCKET")

    # --- shutdown -----------------------------------------------------
    p = d.spanctl("shutdown")
    t.eq(p.returncode, 0, "shutdown")
    t.eq(d.wait(30), 0, "spand exits 0 after shutdown")

t.done()
