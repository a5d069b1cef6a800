"""spanctl load --survey: survey waves in the wide form (respondent,
alter1..N, strength1..N) as records dated at the wave; names that are not
ids listed and left out, or matched with --match-names (case, accents and
spaces folded, ambiguous names never guessed); who responded stored; and
the demo's programme cohort found by change's cohort test, its control
cohort not."""
import csv
import os
import subprocess
import sys
import tempfile
import unicodedata

from spandtest import SRCDIR, TAP, Daemon, sqlite_count

t = TAP()
GEN = os.path.join(SRCDIR, "contrib", "spand-demo.py")
W1, W2 = "2024-07-01", "2025-07-01"


def fold(s):
    """What --match-names compares: the Python statement of it."""
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return " ".join(s.lower().split())


def expect(path, ids, names=None):
    """(respondents, ties, not loaded) computed here from the file."""
    by_name = {}
    for i, n in (names or {}).items():
        by_name.setdefault(fold(n), []).append(i)

    def res(x):
        if x in ids:
            return x
        m = by_name.get(fold(x), [])
        return m[0] if len(m) == 1 else None

    resp = ties = left = 0
    for row in csv.DictReader(open(path, encoding="utf-8")):
        who = res(row["respondent"])
        if not who:
            left += 1
            continue
        resp += 1
        for k, v in row.items():
            if k.startswith("alter") and v:
                if res(v):
                    ties += res(v) != who
                else:
                    left += 1
    return resp, ties, left


def network(d, cohort, **extra):
    r = d.call("analyse", {
        "plugin": "change", "boundary": "sector", "kinds": ["advice-survey"],
        "baseline": {"from": "2024-01-01", "to": "2025-01-01"},
        "window": {"from": "2025-01-01", "to": "2026-01-01"},
        "params": {"cohort": cohort, "permutations": 2000, **extra}})
    nt = r["tables"]["network"]
    return dict(zip([c["name"] for c in nt["columns"]], nt["rows"][0]))


def listed(r):
    """The survey's problem lines (load also reports each people file)."""
    return [x for x in r.stderr.splitlines() if x.startswith("spanctl: ")]


def records(db):
    return sqlite_count(db, "SELECT count(*) FROM record")


with tempfile.TemporaryDirectory() as tmp:
    demo = os.path.join(tmp, "demo")
    subprocess.run([sys.executable, GEN, "-q", demo], check=True)
    people = os.path.join(demo, "people.csv")
    s1 = os.path.join(demo, "survey-2024.csv")
    s2 = os.path.join(demo, "survey-2025.csv")
    rows = list(csv.DictReader(open(people, encoding="utf-8")))
    ids = {p["id"] for p in rows}
    names = {p["id"]: p["name"] for p in rows}

    with Daemon() as d:
        d.start()
        r = d.spanctl("load", people, os.path.join(demo, "programme.csv"))
        t.eq(r.returncode, 0, "people and programme cohorts load")

        # Without --match-names: names are listed, their ties left out.
        r = d.spanctl("load", "--survey", s1, "--wave", W1, "--kind",
                      "advice-survey")
        t.eq(r.returncode, 1, "names left out: exit status 1")
        t.eq(expect(s1, ids), (129, 437, 37),
             "wave 1 by hand: 129 respondents, 437 ties to ids, 37 names")
        t.eq(r.stdout, f"{s1}: wave {W1}, kind advice-survey: 129 "
             "respondents, 437 ties (437 new), 37 names not loaded\n",
             "summary line")
        err = r.stderr.splitlines()
        t.eq(err[0], f"spanctl: {s1}:2: Sophie Parker is not a known person id "
             "(its tie is not loaded)", "a name is listed with its line")
        t.eq(len(err), 11, "ten listed, then a count")
        t.eq(err[-1], f"spanctl: {s1}: 27 more not listed", "the count")
        t.eq(records(d.db), 437, "437 records stored")
        t.eq(sqlite_count(d.db, "SELECT count(*) FROM person"), 251,
             "no person made from a name")
        t.eq(sqlite_count(d.db, "SELECT count(*) FROM attr WHERE name = "
                          f"'responded_{W1}' AND value = 'yes'"), 129,
             "responded_2024-07-01 on the 129 respondents")
        one = d.call("person", {"id": "p-s01-001"})
        t.eq(one["attributes"].get(f"responded_{W1}"), None,
             "p-s01-001 did not answer wave 1")
        one = d.call("person", {"id": "p-s01-002"})
        t.eq(one["attributes"].get(f"responded_{W1}"), "yes",
             "p-s01-002 did")

        # Loading it again stores nothing new (content ids).
        r = d.spanctl("load", "--survey", s1, "--wave", W1, "--kind",
                      "advice-survey")
        t.ok("437 ties (0 new)" in r.stdout, "reloading adds nothing",
             r.stdout)
        t.eq(records(d.db), 437, "still 437 records")

        # --match-names: the names resolve, and only they are added.
        want = expect(s1, ids, names)
        r = d.spanctl("load", "--survey", s1, "--wave", W1, "--kind",
                      "advice-survey", "--match-names", people)
        t.eq(want, (129, 473, 1), "wave 1 by hand: 36 of the 37 names "
             "match one person")
        t.eq(r.returncode, 1, "one name left out: exit 1")
        t.ok(r.stdout.endswith(f"{s1}: wave {W1}, kind advice-survey: 129 "
                               "respondents, 473 ties (36 new), 1 name "
                               "not loaded\n"), "36 new ties", r.stdout)
        t.eq(listed(r), [f"spanctl: {s1}:56: Claire Jackson is the name "
                         "of more than one person (p-s03-023, p-s04-041): "
                         "not guessed (its tie is not loaded)"],
             "two Claire Jacksons: listed, not guessed")
        t.eq(records(d.db), 473, "473 records")
        t.eq(sqlite_count(d.db, "SELECT count(*) FROM person"), 251,
             "still no new person")

        r = d.spanctl("load", "--survey", s2, "--wave", W2, "--kind",
                      "advice-survey", "--match-names", people)
        t.eq(expect(s2, ids, names), (136, 535, 1),
             "wave 2 by hand: 535 ties, one name matches no one")
        t.eq(r.returncode, 1, "the misspelt name: exit 1")
        t.eq(listed(r), [f"spanctl: {s2}:3: SADIA MOOE is neither a known "
             "person id nor anyone's name (its tie is not loaded)"],
             "the misspelt name is listed with its line")
        t.eq(records(d.db), 473 + 535, "wave 2's records added")
        rec = sqlite_count(d.db, "SELECT count(*) FROM record WHERE "
                           "ext_id LIKE 'survey-2025-07-01-%'")
        t.eq(rec, 535, "wave 2's records carry its content ids")

        # The programme cohort gains cross-boundary ties; control does not.
        p = network(d, "programme=2025")
        t.ok(p["cohort_difference"] > 2 and p["cohort_p"] < 0.05,
             "programme=2025: positive difference, p < 0.05", p)
        t.eq(p["nonrespondents_before"], None,
             "no wave attributes given: no non-respondent count")
        c = network(d, "programme=control")
        t.ok(c["cohort_p"] > 0.05, "programme=control: p > 0.05", c)
        t.eq(c["cohort_n"], 23, "control: 23 of 24 in both windows")

        resp = {"respondents_before": f"responded_{W1}",
                "respondents_after": f"responded_{W2}"}
        pr = network(d, "programme=2025", **resp)
        t.ok(pr["cohort_difference"] > 1 and pr["cohort_p"] < 0.05,
             "respondents only: the effect stays", pr)
        t.ok(pr["kept"] + pr["lost"] + pr["new"] <
             p["kept"] + p["lost"] + p["new"],
             "respondents only: fewer pairs (ties to non-respondents out)")
        t.eq((pr["nonrespondents_before"], pr["nonrespondents_after"]),
             (106, 99), "non-respondents counted in each window")
        pa = network(d, "programme=2025", respondents_only=False, **resp)
        t.eq((pa["kept"], pa["lost"], pa["new"]),
             (p["kept"], p["lost"], p["new"]),
             "respondents_only false: every tie, non-respondents counted")
        t.eq(pa["nonrespondents_after"], 99, "and counted")
        cr = network(d, "programme=control", **resp)
        t.ok(cr["cohort_p"] > 0.05, "control, respondents only: p > 0.05",
             cr)

    # A small hand-made survey: header detection, strengths, accents,
    # ambiguity, column flags.
    with Daemon() as d:
        d.start()
        pf = os.path.join(tmp, "people.csv")
        with open(pf, "w", encoding="utf-8") as f:
            f.write("id,name\na,Zo\u00eb Brown\nb,zoe  brown\n"
                    "c,Si\u00e2n Jones\nd,Ed Smith\n")
        sv = os.path.join(tmp, "wave.csv")
        with open(sv, "w", encoding="utf-8") as f:
            f.write("Respondent ID,Alter1,Alter1_strength,ALTER2,"
                    "alter2_strength,alter3\n"
                    "a,SIAN JONES,3,d,2.5,\n"
                    "d,Zoe Brown,,a,,Nobody\n"
                    "Ed  smith,c,,,,\n")
        r = d.spanctl("load", "--survey", sv, "--wave", "2024-03-01",
                      "--kind", "advice", "--match-names", pf)
        t.eq(r.returncode, 1, "ambiguous and unknown names: exit 1")
        t.eq(listed(r),
             [f"spanctl: {sv}:3: Zoe Brown is the name of more than one "
              "person (a, b): not guessed (its tie is not loaded)",
              f"spanctl: {sv}:3: Nobody is neither a known person id nor "
              "anyone's name (its tie is not loaded)"],
             "ambiguous name listed with both ids, never guessed")
        t.ok("3 respondents, 4 ties (4 new), 2 names not loaded" in r.stdout,
             "respondent given by name (Ed  smith) is matched too", r.stdout)
        got = d.call("person", {"id": "a"})
        t.eq((got["records_out"], got["records_in"]), (2, 1),
             "a named c and d, d named a")
        import sqlite3
        con = sqlite3.connect(f"file:{d.db}?mode=ro", uri=True)
        recs = sorted(con.execute(
            "SELECT pf.key, pt.key, r.weight, r.directed, r.ts, k.name "
            "FROM record r JOIN person pf ON pf.pid = r.src "
            "JOIN person pt ON pt.pid = r.dst "
            "JOIN kind k ON k.kid = r.kind").fetchall())
        con.close()
        t.eq(recs, [("a", "c", 3.0, 1, 1709251200, "advice"),
                    ("a", "d", 2.5, 1, 1709251200, "advice"),
                    ("d", "a", 1.0, 1, 1709251200, "advice"),
                    ("d", "c", 1.0, 1, 1709251200, "advice")],
             "records: from respondent to alter, weight = strength or 1, "
             "directed, at the wave")

        # Column roles by flag; without --match-names nothing is matched.
        sv2 = os.path.join(tmp, "flags.csv")
        with open(sv2, "w", encoding="utf-8") as f:
            f.write("who,named_1,named_2,how_1,how_2\nb,c,d,2,\n")
        r = d.spanctl("load", "--survey", sv2, "--wave", "2024-03-01",
                      "--kind", "advice", "--respondent-col", "WHO",
                      "--alter-cols", "named", "--strength-cols", "how_")
        t.eq((r.returncode, r.stdout),
             (0, f"{sv2}: wave 2024-03-01, kind advice: 1 respondent, 2 "
              "ties (2 new), 0 names not loaded\n"), "roles by flags")
        r = d.spanctl("load", "--survey", sv2, "--wave", "2024-03-01",
                      "--kind", "advice")
        t.eq(r.returncode, 1, "no respondent column detected: exit 1")
        t.ok("no respondent column" in r.stderr, "said so", r.stderr)
        r = d.spanctl("load", "--survey", sv2, "--kind", "advice")
        t.eq(r.returncode, 2, "--survey without --wave: usage error")
        r = d.spanctl("load", "--survey", sv2, "--wave", "2024-3-1",
                      "--kind", "advice")
        t.eq(r.returncode, 2, "a wave that is not YYYY-MM-DD: usage error")
        r = d.spanctl("load", "--survey", sv, "--wave", "2024-03-01",
                      "--kind", "advice", "--match-names")
        t.ok(r.returncode == 1 and "needs a people file" in r.stderr,
             "--match-names without a people file says so", r.stderr)
t.done()
