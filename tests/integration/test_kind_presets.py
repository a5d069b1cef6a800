"""summary's kinds, spanctl's --kind presets work and events, and the
report's line on what came from records and what from events.

Hand-made data (all in 2025; sector A = {a1, a2}, B = {b1, b2}, C = {c1}):
  records  advice   a1-b1, a1-a2, b1-b2       3 records, 3 interactions
           referral a2-c1                     1 record,  1 interaction
           joint    a1-c1                     1 record,  1 interaction
  events   meeting  {a1, a2, b1}              3 pairs
                    {a1, a2, b2, c1}          6 pairs: 2 events, 9 pairs
           joint    {b1, b2, c1}              1 event, 3 pairs
So by kind (name order):
  advice   records 3, events 0, ties 3
  joint    records 1, events 1, ties 1 + 3 = 4   (in both tables)
  meeting  records 0, events 2, ties 9
  referral records 1, events 0, ties 1
and the interactions add up to the years' 17.
--kind work is advice, joint, referral; --kind events is joint, meeting;
joint is in both, so each preset warns about it.

A reader may not call summary (doc/protocol.md, "Roles"): as root, with a
test user in the reader role, the presets fail with a clear message and
the report goes without its kinds line, without an error.
"""
import json
import os
import subprocess

from spandtest import SPANCTL, TAP, Daemon, RpcError

t = TAP()
people = [{"id": p, "sector": p[0].upper()}
          for p in ("a1", "a2", "b1", "b2", "c1")]
records = [{"ts": "2025-03-01", "from": a, "to": b, "kind": k}
           for a, b, k in (("a1", "b1", "advice"), ("a1", "a2", "advice"),
                           ("b1", "b2", "advice"), ("a2", "c1", "referral"),
                           ("a1", "c1", "joint"))]
events = [{"ts": "2025-04-01", "kind": "meeting",
           "participants": ["a1", "a2", "b1"]},
          {"ts": "2025-05-01", "kind": "meeting",
           "participants": ["a1", "a2", "b2", "c1"]},
          {"ts": "2025-06-01", "kind": "joint",
           "participants": ["b1", "b2", "c1"]}]
WORK = ["--kind", "advice", "--kind", "joint", "--kind", "referral"]
EVENTS = ["--kind", "joint", "--kind", "meeting"]
BOTH_WARNING = ('kind "joint" is held in both records and events; the view '
                'selects by kind, not by table')


def analysis(d, *args):
    """An analysis' JSON without what differs from run to run."""
    r = d.spanctl("--json", "analyse", *args)
    if r.returncode != 0:
        return (r.returncode, r.stderr)
    doc = json.loads(r.stdout)
    for k in ("elapsed_ms", "cached", "data_version"):
        doc.pop(k, None)
    return doc


READER = f"spandkp_{os.getpid() % 100000}"
ROLES = os.geteuid() == 0 and os.path.exists("/usr/sbin/useradd")
conf = None
if ROLES:
    subprocess.run(["userdel", READER], capture_output=True)
    subprocess.run(["useradd", "-M", "-N", "-s", "/usr/sbin/nologin",
                    READER], check=True, capture_output=True)
    conf = {"daemon": {"socket_mode": "0666"}, "access": {"reader": READER}}


def as_reader(d, *args):
    return subprocess.run([SPANCTL, *args], capture_output=True, text=True,
                          env={"SPAND_SOCKET": d.socket, "PATH": "/usr/bin"},
                          user=READER, timeout=300)


try:
    with Daemon(conf) as d:
        d.start()
        d.call("ingest", {"people": people, "records": records})

        # Before any event: --kind events names nothing, a usage error.
        r = d.spanctl("analyse", "mixing", "--kind", "events")
        t.eq(r.returncode, 2, "--kind events with no events stored exits 2")
        t.ok("--kind events: no events are stored" in r.stderr,
             "and says the preset names no kind", r.stderr)
        r = d.spanctl("report", "--baseline-from", "2024-01-01",
                      "--baseline-to", "2025-01-01", "--baseline-kind", "events")
        t.eq(r.returncode, 2, "--baseline-kind events with no events exits 2")
        t.ok("--baseline-kind events: no events are stored" in r.stderr,
             "and names the option", r.stderr)

        d.call("ingest", {"events": events})

        s = d.call("summary")
        t.eq(s["kinds"],
             [{"kind": "advice", "records": 3, "events": 0, "ties": 3},
              {"kind": "joint", "records": 1, "events": 1, "ties": 4},
              {"kind": "meeting", "records": 0, "events": 2, "ties": 9},
              {"kind": "referral", "records": 1, "events": 0, "ties": 1}],
             "summary's kinds, counted by hand")
        t.eq(sum(k["ties"] for k in s["kinds"]),
             sum(y["ties"] for y in s["years"]),
             "kinds' interactions add up to the years' (17)")
        t.eq(sorted(s), ["boundary", "groups", "kinds", "unassigned", "years"],
             "the existing members are all still there")
        t.eq(d.call("summary", {"kinds_only": True}), {"kinds": s["kinds"]},
             "kinds_only: the same kinds and nothing else")
        try:
            d.call("summary", {"kinds_only": "yes"})
            t.ok(False, "kinds_only must be a boolean")
        except RpcError as e:
            t.eq(e.code, -32602, "kinds_only must be a boolean")
        text = d.spanctl("summary").stdout
        t.ok("KIND" in text and "INTERACTIONS" in text and
             any(line.split() == ["meeting", "0", "2", "9"]
                 for line in text.splitlines()),
             "spanctl summary shows the kinds table", text)

        # The presets give exactly the analysis of the kinds named by hand.
        for plugin in ("mixing", "ei"):
            r = d.spanctl("analyse", plugin, "--kind", "work")
            t.ok(r.returncode == 0 and BOTH_WARNING in r.stderr and
                 "its events are included too" in r.stderr,
                 f"{plugin} --kind work warns that joint is in both", r.stderr)
            work = analysis(d, plugin, "--kind", "work")
            t.eq(work, analysis(d, plugin, *WORK),
                 f"{plugin} --kind work = --kind advice, joint, referral")
            ev = analysis(d, plugin, "--kind", "events")
            t.eq(ev, analysis(d, plugin, *EVENTS),
                 f"{plugin} --kind events = --kind joint, meeting")
            t.ok(work != ev, f"{plugin}: the two presets differ")
        t.eq(analysis(d, "mixing", "--kind", "work", "--kind", "advice"),
             analysis(d, "mixing", "--kind", "work"),
             "a kind named besides the preset that holds it changes nothing")
        t.eq(analysis(d, "mixing", "--kind", "events", "--kind", "referral"),
             analysis(d, "mixing", *EVENTS, "--kind", "referral"),
             "a preset and a kind named by hand add up")
        base = ["--from", "2025-05-15", "--to", "2026-01-01",
                "--baseline-from", "2025-01-01", "--baseline-to", "2025-05-15"]
        t.eq(analysis(d, "gate_opening", *base, "--baseline-kind", "events"),
             analysis(d, "gate_opening", *base, "--baseline-kind", "joint",
                      "--baseline-kind", "meeting"),
             "--baseline-kind events = the event kinds by hand")
        exp = d.spanctl("export", "--format", "csv", "--kind", "events")
        t.eq((exp.returncode, exp.stdout),
             (0, d.spanctl("export", "--format", "csv", *EVENTS).stdout),
             "export --kind events = --kind joint, meeting")

        # The report's line (wrapped in the text report: compared with its
        # line breaks taken out).
        def report(*args):
            r = d.spanctl("report", *args)
            r.stdout = " ".join(r.stdout.split())
            return r
        r = report()
        t.ok("Ties counted (numbers for the whole store): from records: advice "
             "(3), joint (1), referral (1); from events: joint (1 event, 3 "
             "pairs), meeting (2 events, 9 pairs)." in r.stdout,
             "the report says what came from records and what from events",
             r.stdout)
        r = report("--kind", "work")
        t.ok("from records: advice (3), joint (1), referral (1); from events: "
             "joint (1 event, 3 pairs)." in r.stdout,
             "with --kind work: only work's kinds, joint's events too", r.stdout)
        t.ok("--kind work: records only (advice, joint, referral). joint is "
             "held in events too" in r.stdout, "and names the preset", r.stdout)
        r = report("--kind", "work", "--kind", "work")
        t.eq(r.stdout.count("--kind work: records only"), 1,
             "a preset given twice is named once")
        r = d.spanctl("analyse", "gate_opening", *base, "--kind", "work",
                      "--kind", "work", "--baseline-kind", "work")
        t.ok(r.returncode == 0 and r.stderr.count(BOTH_WARNING) == 1,
             "the warning is said once for --kind and --baseline-kind", r.stderr)
        r = d.spanctl("report", "--kind", "events", "--format", "html")
        t.ok('<p id="kinds">' in r.stdout and
             "from records: joint (1); from events: joint (1 event, 3 pairs), "
             "meeting (2 events, 9 pairs)." in r.stdout and
             "--kind events: events only (joint, meeting)." in r.stdout,
             "the HTML report shows the same line", r.stdout[:3000])

        # A stored kind named "work" is taken as that kind.
        d.call("ingest", {"records": [{"ts": "2025-07-01", "from": "a1",
                                       "to": "b2", "kind": "work"}]})
        r = d.spanctl("--json", "analyse", "mixing", "--kind", "work")
        t.ok(r.returncode == 0 and 'a stored kind is named "work"' in r.stderr,
             "a stored kind named work wins over the preset, and says so",
             r.stderr)
        t.eq(json.loads(r.stdout or "{}").get("view", {}).get("vertices"), 2,
             "the view is of the kind work alone: a1 and b2")
        t.ok(BOTH_WARNING not in r.stderr, "no preset, no warning about joint")

        if ROLES:
            r = as_reader(d, "analyse", "mixing", "--kind", "work")
            t.ok(r.returncode == 1 and "this role may not call it: name the "
                 "kinds instead" in r.stderr,
                 "a reader: the presets fail and say why", r.stderr)
            r = as_reader(d, "analyse", "mixing", *WORK)
            t.eq(r.returncode, 0, "a reader may name the kinds by hand")
            r = as_reader(d, "report")
            t.ok(r.returncode == 0 and "summary" not in r.stderr and
                 "Ties counted: records" in r.stdout and
                 "from records:" not in r.stdout,
                 "a reader's report: no kinds line, no error", r.stdout + r.stderr)
finally:
    if ROLES:
        subprocess.run(["userdel", READER], capture_output=True)
t.done()
