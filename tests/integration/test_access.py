"""Governance (issue 12, access part): roles from the peer's Unix
credentials, refusal with 1403, the audit trail, erasure reaching every
cache and file, retention at start, subject access, 0600 files.

Real Unix users and groups (useradd/groupadd, so root only; skipped
otherwise), each client a forked child that drops to that user with
setgroups/setgid/setuid before it connects."""
import json
import os
import pwd
import subprocess
import sys
import time

from spandtest import SPAND, TAP, Daemon, RpcError, as_user

t = TAP()

if os.geteuid() != 0 or not os.path.exists("/usr/sbin/useradd"):
    print("1..0 # SKIP needs root and useradd to make test users")
    sys.exit(0)

TAG = f"{os.getpid() % 100000}"
USERS = {r: f"spandtest_{r[:2]}{TAG}" for r in
         ("analyst", "writer", "reader", "nobody")}
READER_GROUP = f"spandtest_g{TAG}"

# Strings found nowhere else, for bytewise searches.
SECRET_ID = "subj-9Qv3Wx"
SECRET_NAME = "Philomena Zanzibar"
NAMES = {"p-%02d" % i: "Person Name %02d" % i for i in range(12)}


def sh(*cmd):
    subprocess.run(cmd, check=True, capture_output=True)


def make_users():
    sh("groupadd", READER_GROUP)
    for role, name in USERS.items():
        sh("useradd", "-M", "-N", "-s", "/usr/sbin/nologin", name)
    sh("usermod", "-a", "-G", READER_GROUP, USERS["reader"])


def remove_users():
    for name in USERS.values():
        subprocess.run(["userdel", name], capture_output=True)
    subprocess.run(["groupdel", READER_GROUP], capture_output=True)


def codes(results):
    return [r[1].get("code") if r[0] == "err" else "ok" for r in results]


def seed(d):
    people = [{"id": pid, "name": nm,
               "sector": ("nhs", "council", "police")[i % 3]}
              for i, (pid, nm) in enumerate(NAMES.items())]
    people.append({"id": SECRET_ID, "name": SECRET_NAME, "sector": "nhs"})
    ids = list(NAMES) + [SECRET_ID]
    records = [{"ts": "2024-03-%02dT10:00:00Z" % (1 + i % 28),
                "from": ids[i], "to": ids[(i + 1 + i % 3) % len(ids)],
                "kind": "advice"} for i in range(len(ids))]
    records.append({"ts": "2024-04-01T10:00:00Z", "from": SECRET_ID,
                    "to": "p-01", "kind": "referral"})
    d.call("ingest", {"people": people, "records": records,
                      "events": [{"ts": "2024-04-02T10:00:00Z",
                                  "kind": "meeting",
                                  "participants": [SECRET_ID, "p-02",
                                                   "p-03"]}]})


def leaks(text, what=(SECRET_ID, SECRET_NAME)):
    if isinstance(text, (bytes, bytearray)):
        return [w for w in what if w.encode() in text]
    return [w for w in what if w in text]


remove_users()  # a run killed half-way leaves them behind
make_users()
d = None
try:
    old_umask = os.umask(0o022)  # the environment's; spand must not use it
    d = Daemon({"daemon": {"socket_mode": "0666"},
                "access": {"analyst": USERS["analyst"],
                           "writer": str(pwd.getpwnam(USERS["writer"]).pw_uid),
                           "reader": "@" + READER_GROUP}})
    os.umask(old_umask)
    own_log = os.path.join(d.dir, "spand.log.own")
    os.umask(0o022)
    d.start()
    os.umask(old_umask)
    seed(d)
    sock = d.socket

    # --- files: 0600 whatever the umask --------------------------------
    for f in (d.db, d.db + "-wal"):
        if os.path.exists(f):
            t.eq(oct(os.stat(f).st_mode & 0o777), oct(0o600),
                 f"{os.path.basename(f)} is 0600 under umask 022")
        else:
            t.ok(False, f"{os.path.basename(f)} exists")

    # --- unlisted user refused at connect -------------------------------
    got, nobody_uid = as_user(USERS["nobody"], sock, [], connect_only=True)
    first = got[0] if got and isinstance(got[0], dict) else {}
    t.eq(first.get("error", {}).get("code"), 1403,
         "an unlisted user gets 1403 at connect", )
    t.ok(got[1] is True, "... and then the connection closes", got)

    # --- writer: ingest and nothing else -------------------------------
    w_calls = [("status", None),
               ("ingest", {"people": [{"id": "p-new", "sector": "nhs"}]}),
               ("ping", None), ("plugins", None),
               ("analyse", {"plugin": "ei", "boundary": "sector"}),
               ("boundaries", None), ("person", {"id": "p-01"}),
               ("export", {"format": "csv"}), ("summary", None),
               ("forget", {"id": "p-01"}), ("reload", None),
               ("audit", None), ("shutdown", None)]
    got, writer_uid = as_user(USERS["writer"], sock, w_calls)
    t.eq(codes(got), ["ok"] * 4 + [1403] * 9,
         "writer: status, ingest, ping, plugins only")
    t.eq(got[0][1]["client"]["role"], "writer", "status tells the writer "
         "its role")
    refusal = got[5][1] if got[5][0] == "err" else {}
    t.eq((refusal.get("data") or {}).get("role_needed"), "reader",
         "the refusal names the role needed")

    # --- analyst: reads, no forget, reload, shutdown --------------------
    a_calls = [("status", None),
               ("analyse", {"plugin": "ei", "boundary": "sector"}),
               ("person", {"id": SECRET_ID}),
               ("person", {"id": SECRET_ID, "all": True}),
               ("export", {"format": "csv"}),
               ("boundaries", None),
               ("forget", {"id": "p-01"}), ("reload", None),
               ("shutdown", None), ("audit", None),
               ("ingest", {"people": [{"id": "p-x"}]}),
               ("forget", {"before": "2030-01-01"})]
    got, analyst_uid = as_user(USERS["analyst"], sock, a_calls)
    t.eq(codes(got), ["ok"] * 6 + [1403] * 6,
         "analyst: every read, but no forget, reload, shutdown, audit, "
         "ingest")
    t.eq(got[0][1]["client"]["role"], "analyst", "status: analyst")
    vrows = got[1][1]["tables"]["vertex"]["rows"] if got[1][0] == "ok" else []
    t.ok(len(vrows) >= 13, "the analyst gets vertex rows", len(vrows))
    export_people = (got[4][1].get("view", {}).get("vertices")
                     if got[4][0] == "ok" else None)
    sar = got[3][1] if got[3][0] == "ok" else {}
    t.eq((sar.get("attributes", {}).get("name"),
          len(sar.get("records", [])), len(sar.get("events", []))),
         (SECRET_NAME, 3, 1),
         "person --all: attributes, every record and event of the person")
    t.ok(any(l["method"] == "person" and l["uid"] == analyst_uid
             for l in sar.get("audit", [])),
         "person --all carries the audit lines about the person (its own "
         "earlier person request)")

    # --- reader: aggregates only -----------------------------------------
    r_calls = [("status", None),
               ("analyse", {"plugin": "ei", "boundary": "sector"}),
               ("analyse", {"plugin": "brokerage", "boundary": "sector",
                            "top": 50}),
               ("boundaries", None), ("ping", None), ("plugins", None),
               ("person", {"id": SECRET_ID}), ("export", {"format": "csv"}),
               ("summary", None), ("ingest", {"people": [{"id": "z"}]}),
               ("forget", {"id": SECRET_ID})]
    got, reader_uid = as_user(USERS["reader"], sock, r_calls)
    t.eq(codes(got), ["ok"] * 6 + [1403] * 5,
         "reader (by group): status, analyse, boundaries, ping, plugins")
    t.eq(got[0][1]["client"]["role"], "reader", "status: reader")
    vr = [len(((g[1].get("tables") or {}).get("vertex") or {})
              .get("rows", [])) for g in got[1:3] if g[0] == "ok"]
    t.eq(vr, [0, 0], "a reader never receives a vertex row")
    bnd = got[3][1] if got[3][0] == "ok" else {}
    t.ok(bnd.get("attributes") and
         all("values" not in a for a in bnd["attributes"]),
         "boundaries for a reader: names and counts, no values", bnd)
    # Every analysis the daemon offers, as a reader.
    names = [p["name"] for p in got[5][1]["plugins"]] \
        if got[5][0] == "ok" else []
    every, _ = as_user(USERS["reader"], sock,
                       [("analyse", {"plugin": n, "boundary": "sector"})
                        for n in names])
    # (one needs a baseline: -32602 without, which is not the reader's)
    t.ok(len(names) >= 8 and sum(1 for e in every if e[0] == "ok") >= 7 and
         1403 not in codes(every), "a reader can run the analyses",
         codes(every))
    t.eq([n for n, e in zip(names, every) if e[0] == "ok" and
          ((e[1].get("tables") or {}).get("vertex") or {}).get("rows")],
         [], "no analysis gives a reader a vertex row")
    text = json.dumps(got) + json.dumps(every)
    found = [i for i in list(NAMES) + list(NAMES.values()) + [SECRET_ID,
                                                             SECRET_NAME]
             if i in text]
    t.eq(found, [], "no id or name in any byte of a reader's answers")

    # --- audit: each request with its uid and outcome --------------------
    lines = d.call("audit", {"limit": 1000})["lines"]

    def has(uid, method, outcome):
        return any(l["uid"] == uid and l["method"] == method and
                   l["outcome"] == outcome for l in lines)
    t.ok(has(writer_uid, "ingest", "ok"), "audit: the writer's ingest")
    t.eq([l["rows"] for l in lines if l["uid"] == writer_uid and
          l["method"] == "ingest" and l["outcome"] == "ok"], [1],
         "audit: the writer's ingest counts the one person it stored")
    t.ok(export_people is not None and export_people > 0 and
         [l["rows"] for l in lines if l["uid"] == analyst_uid and
          l["method"] == "export" and l["outcome"] == "ok"] ==
         [export_people],
         "audit: the analyst's export counts the people it wrote",
         export_people)
    t.ok(has(writer_uid, "analyse", "refused"),
         "audit: the writer's refused analyse")
    t.ok(has(analyst_uid, "forget", "refused") and
         has(analyst_uid, "shutdown", "refused"),
         "audit: the analyst's refused forget and shutdown")
    t.ok(has(analyst_uid, "person", "ok"), "audit: the analyst's person")
    t.ok(has(reader_uid, "analyse", "ok") and
         has(reader_uid, "person", "refused"), "audit: the reader's")
    t.ok(has(nobody_uid, "connect", "refused"),
         "audit: the refused connection")
    t.ok(all(l["user"] for l in lines if l["uid"] == analyst_uid) and
         [l["user"] for l in lines if l["uid"] == analyst_uid][0] ==
         USERS["analyst"], "audit lines name the user")
    by_person = d.call("audit", {"person": SECRET_ID})["lines"]
    t.ok(len(by_person) >= 1 and
         all(l["target"] == SECRET_ID for l in by_person),
         "audit --person: the lines about one person", by_person)
    by_user = d.call("audit", {"user": USERS["writer"]})["lines"]
    t.ok(by_user and all(l["uid"] == writer_uid for l in by_user),
         "audit --user: the lines of one user")
    t.eq(d.call("audit", {"since": "2100-01-01"})["lines"], [],
         "audit --since a future date: nothing")

    # --- spanctl ---------------------------------------------------------
    p = d.spanctl("audit", "--user", USERS["writer"], "--since",
                  "2000-01-01")
    t.ok(p.returncode == 0 and USERS["writer"] in p.stdout and
         "refused 1403" in p.stdout and "ingest" in p.stdout,
         "spanctl audit --user --since: the writer's lines", p.stdout +
         p.stderr)
    p = d.spanctl("person", "--all", SECRET_ID)
    doc = json.loads(p.stdout) if p.returncode == 0 else {}
    t.eq((doc.get("id"), len(doc.get("records", [])),
          any(l["uid"] == analyst_uid for l in doc.get("audit", []))),
         (SECRET_ID, 3, True),
         "spanctl person --all: JSON with records and audit lines")

    # --redact: the same document with everyone else as "other person N"
    # (the same person the same N), to hand over as it is.
    others = ({x for r in doc.get("records", []) for x in (r["from"], r["to"])}
              | {x for e in doc.get("events", []) for x in e["participants"]}
              ) - {SECRET_ID}
    p = d.spanctl("person", "--all", "--redact", SECRET_ID)
    red = json.loads(p.stdout) if p.returncode == 0 else {}
    text = p.stdout

    def ends(doc):
        return ([(r["from"], r["to"]) for r in doc.get("records", [])] +
                [tuple(e["participants"]) for e in doc.get("events", [])])
    label = {}
    for a, b in zip(ends(doc), ends(red)):
        for x, y in zip(a, b):
            label.setdefault(x, y)
    t.ok(len(others) >= 2 and red.get("redacted") is True and
         len(red.get("records", [])) == 3 and len(red.get("events", [])) == 1
         and not any(o in text for o in others) and
         label.get(SECRET_ID) == SECRET_ID and
         sorted(label[o] for o in others) ==
         sorted(f"other person {i + 1}" for i in range(len(others))) and
         all(label[x] == y for a, b in zip(ends(doc), ends(red))
             for x, y in zip(a, b)),
         "person --all --redact: nobody else's id, each other person one "
         "consistent label, the person's own id and every record kept",
         red)
    p = d.spanctl("person", "--redact", SECRET_ID)
    t.eq(p.returncode, 2, "--redact without --all: a usage error")
    try:
        d.call("person", {"id": SECRET_ID, "redact": True})
        t.ok(False, "redact without all refused")
    except RpcError as e:
        t.eq(e.code, -32602, "redact without all: -32602")
    p = d.spanctl("audit", "--person", SECRET_ID, "--json")
    t.ok(p.returncode == 0 and json.loads(p.stdout)["lines"],
         "spanctl audit --person --json", p.stderr)

    # --- forget reaches every cache, file and answer ----------------------
    with d.client() as c:
        before = c.call("analyse", {"plugin": "ei", "boundary": "sector"})
        t.ok(leaks(json.dumps(before)) == [SECRET_ID],
             "before the forget the analysis names the person")
        c.call("analyse", {"plugin": "ei", "boundary": "sector"})  # cached
        st = c.call("status")
        t.ok(st["cache"]["entries"] >= 1, "an answer is cached")
        f = c.call("forget", {"id": SECRET_ID})
        t.eq(f["erased"], True, "forget")
        t.eq(c.call("status")["cache"]["entries"], 0,
             "after forget no cached answer survives")
        answers = [c.request(m, p) for m, p in [
            ("analyse", {"plugin": "ei", "boundary": "sector"}),
            ("analyse", {"plugin": "brokerage", "boundary": "sector"}),
            ("person", {"id": SECRET_ID}),
            ("person", {"id": SECRET_ID, "all": True}),
            ("export", {"format": "csv"}), ("export", {"format": "graphml"}),
            ("boundaries", None), ("summary", None), ("status", None),
            ("audit", {"limit": 100000}),
            ("audit", {"person": SECRET_ID})]]
        # person echoes the id asked for in its "not found": not data held.
        t.eq([a.get("error", {}).get("code") for a in answers[2:4]],
             [1004, 1004], "person, person --all: no longer known")
        t.eq(leaks(json.dumps(answers[:2] + answers[4:])), [],
             "after forget no answer of any other method names the person")
        deadline = time.time() + 10
        while time.time() < deadline and \
                c.call("status")["store"]["erasure_pending"]:
            time.sleep(0.05)
    for f in (d.db, d.db + "-wal", d.db + "-shm", own_log, d.log_path):
        try:
            data = open(f, "rb").read()
        except FileNotFoundError:
            continue
        t.eq(leaks(data), [], f"after forget: not in {os.path.basename(f)}")
    lines = d.call("audit", {"limit": 100000})["lines"]
    t.ok(any(l["method"] == "forget" and l["outcome"] == "ok" and
             l["uid"] == 0 for l in lines),
         "the audit records that a forget happened")
    t.ok(any(l["method"] == "person" and l["uid"] == analyst_uid and
             l["target"] is None for l in lines),
         "the audit keeps the lines about the person, without the id")

    # --- forget before a date, and retention at start -------------------
    d.call("ingest", {"records": [
        {"ts": "2001-01-0%dT00:00:00Z" % i, "from": "p-01", "to": "p-02",
         "kind": "old"} for i in range(1, 4)],
        "events": [{"ts": "2001-02-01T00:00:00Z", "kind": "oldmeet",
                    "participants": ["p-01", "p-02"]}]})
    p = d.spanctl("forget", "--before", "2001-01-02T12:00:00Z")
    t.ok(p.returncode == 0 and "2 records, 0 events" in p.stdout,
         "spanctl forget --before: the records before the date", p.stdout +
         p.stderr)
    d.stop()
    d.write_conf({"daemon": {"socket_mode": "0666"},
                  "privacy": {"retention_days": 3650}})
    d.start()
    deadline = time.time() + 10
    old = None
    while time.time() < deadline:
        old = d.call("audit", {"limit": 100000})["lines"]
        if any(l["method"] == "retention" for l in old):
            break
        time.sleep(0.05)
    ret = [l for l in old if l["method"] == "retention"]
    t.eq([(l["outcome"], l["rows"]) for l in ret], [("ok", 2)],
         "retention at start erased the old record and event, audited")
    import sqlite3
    con = sqlite3.connect(f"file:{d.db}?mode=ro", uri=True)
    n = con.execute("SELECT (SELECT count(*) FROM record WHERE ts < "
                    "strftime('%s','2010-01-01')) + (SELECT count(*) FROM "
                    "event WHERE ts < strftime('%s','2010-01-01'))"
                    ).fetchone()[0]
    con.close()
    t.eq(n, 0, "no record or event older than retention_days is left")
    # An unlisted user is refused after a restart too (config without
    # [access]): the former analyst.
    got, _ = as_user(USERS["analyst"], sock, [], connect_only=True)
    first = got[0] if got and isinstance(got[0], dict) else {}
    t.eq(first.get("error", {}).get("code"), 1403,
         "a user struck from [access] is refused")
    d.stop()

    # --- in the background, with a log file: 0600 under umask 022 --------
    pidfile = os.path.join(d.dir, "spand.pid")
    d.write_conf({"daemon": {"log_file": own_log, "pidfile": pidfile}})
    os.remove(d.db)
    p = subprocess.run([SPAND, "-c", d.conf_path], capture_output=True,
                       preexec_fn=lambda: os.umask(0o022), timeout=30)
    t.eq(p.returncode, 0, "spand starts in the background")
    try:
        d.call("ping")
        for f in (d.db, d.db + "-wal", own_log):
            mode = os.stat(f).st_mode & 0o777 if os.path.exists(f) else None
            t.eq(mode, 0o600, f"{os.path.basename(f)} is 0600 under umask "
                 "022 (background)")
    finally:
        pid = int(open(pidfile).read())
        os.kill(pid, 15)
        for _ in range(300):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
finally:
    if d:
        d.cleanup()
    remove_users()
t.done()
