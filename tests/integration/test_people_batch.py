"""The `people` method (attributes of many ids in one request, for naming
the rows of a report without a `person` request each) and spanctl's
--suppress / --pseudonymise on report.

people: the values held, unknown ids, the attribute filter, the limit of
10,000 ids, bad params, the audit line with its row count, and (as root,
with test users like test_access.py) refusal of readers and writers.
report: --pseudonymise leaves no id and no name of the loaded people in
the JSON or HTML bytes and the page says "Pseudonymised"; --suppress
shows a withheld cell as withheld, not as 0."""
import json
import os
import subprocess

from spandtest import TAP, Daemon, RpcError, as_user

t = TAP()

# Ids and names found nowhere else, for bytewise searches.
TEAMS = {"A": 6, "B": 6, "C": 2}  # C is under min_group_size (5)
people, ids = [], []
for team, n in TEAMS.items():
    for i in range(n):
        pid = f"qz{team}{i}Wk"
        ids.append(pid)
        people.append({"id": pid, "team": team, "role": f"role{team}",
                       "name": f"Zorbaline {team}{i} Quimby"})
records = []
for k, pid in enumerate(ids):
    records.append({"ts": "2025-03-01", "from": pid,
                    "to": ids[(k + 1) % len(ids)], "kind": "advice"})
    records.append({"ts": "2025-03-02", "from": pid,
                    "to": ids[(k + 5) % len(ids)], "kind": "advice"})


def err_code(d, method, params):
    try:
        d.call(method, params)
    except RpcError as e:
        return e.code
    return "ok"


def codes_as(name, socket, calls):
    """calls [(method, params)] on one connection as user name
    (spandtest.as_user): [code or "ok"]."""
    got, _ = as_user(name, socket, calls)
    return ["ok" if k == "ok" else v.get("code") if k == "err" else v
            for k, v in got]


ROLES = os.geteuid() == 0 and os.path.exists("/usr/sbin/useradd")
TAG = f"{os.getpid() % 100000}"
USERS = {r: f"spandpb_{r[:2]}{TAG}" for r in ("analyst", "writer", "reader")}


def remove_users():
    for u in USERS.values():
        subprocess.run(["userdel", u], capture_output=True)


conf = None
if ROLES:
    remove_users()
    for u in USERS.values():
        subprocess.run(["useradd", "-M", "-N", "-s", "/usr/sbin/nologin", u],
                       check=True, capture_output=True)
    conf = {"daemon": {"socket_mode": "0666"}, "access": dict(USERS)}

try:
    with Daemon(conf).start() as d:
        d.call("ingest", {"people": people, "records": records})

        # --- values and unknown ids ------------------------------------------
        got = d.call("people", {"ids": ["qzA0Wk", "qzC1Wk", "nobody-here"]})
        t.eq(got, {"people": {
            "qzA0Wk": {"team": "A", "role": "roleA", "name": "Zorbaline A0 Quimby"},
            "qzC1Wk": {"team": "C", "role": "roleC", "name": "Zorbaline C1 Quimby"}},
            "unknown": ["nobody-here"]},
            "people: every attribute of each id held, and the unknown id")
        got = d.call("people", {"ids": ["qzB2Wk", "qzB3Wk"],
                                "attributes": ["name", "absent"]})
        t.eq(got["people"], {"qzB2Wk": {"name": "Zorbaline B2 Quimby"},
                             "qzB3Wk": {"name": "Zorbaline B3 Quimby"}},
             "attributes: only the names asked for")
        t.eq(d.call("people", {"ids": []}), {"people": {}, "unknown": []},
             "no ids: nothing")

        # --- the limit and bad params ----------------------------------------
        many = [f"none{i}" for i in range(10000)]
        got = d.call("people", {"ids": many})
        t.eq((len(got["unknown"]), got["people"]), (10000, {}),
             "10,000 ids in one request are answered")
        t.eq(err_code(d, "people", {"ids": many + ["one-more"]}), -32602,
             "10,001 ids: -32602")
        t.eq(err_code(d, "people", {"ids": "qzA0Wk"}), -32602, "ids not an array")
        t.eq(err_code(d, "people", {"ids": ["qzA0Wk", 7]}), -32602,
             "an id not a string")
        t.eq(err_code(d, "people", {"ids": [], "attributes": "name"}), -32602,
             "attributes not an array")
        t.eq(err_code(d, "people", {"ids": [], "extra": 1}), -32602,
             "an unknown param")

        # --- audit: one line per request, rows = people returned --------------
        lines = d.call("audit", {"limit": 1000})["lines"]
        pl = [l for l in lines if l["method"] == "people" and l["outcome"] == "ok"]
        t.eq(sorted(l.get("rows") for l in pl)[:2], [0, 0],
             "audit: the requests that found nobody have rows 0")
        t.ok(any(l.get("rows") == 2 for l in pl),
             "audit: a people request has the count of people returned", pl)

        # --- report: pseudonymised, no id and no name -------------------------
        def audited(method):
            return sum(1 for l in d.call("audit", {"limit": 100000})["lines"]
                       if l["method"] == method)
        n_person, n_people = audited("person"), audited("people")
        loaded = [p["id"] for p in people] + [p["name"] for p in people]
        for fmt in ("json", "html"):
            p = d.spanctl("report", "--by", "team", "--pseudonymise", "--format",
                          fmt)
            out = p.stdout.encode() if isinstance(p.stdout, str) else p.stdout
            t.ok(p.returncode == 0, f"report --pseudonymise --format {fmt} "
                 "runs", p.stderr)
            found = [w for w in loaded if w.encode() in out]
            t.eq(found, [], f"report --pseudonymise --format {fmt}: no id and no "
                 "name of the loaded people in its bytes")
            t.ok(b"p-" in out, f"... the {fmt} shows pseudonyms")
            if fmt == "html":
                t.ok(b"Pseudonymised" in out, "... the page has its "
                     "Pseudonymised banner")
        t.eq((audited("person") - n_person, audited("people") - n_people),
             (0, 0), "report --pseudonymise asked spand for no names")
        n_person, n_people = audited("person"), audited("people")
        # Without the flag the same report names people (the test can fail).
        p = d.spanctl("report", "--by", "team", "--format", "json")
        t.ok("Zorbaline" in p.stdout, "report without --pseudonymise names "
             "people")
        t.eq((audited("person") - n_person, audited("people") - n_people),
             (0, 1), "... with one people request, no person request")

        # --- report --suppress: withheld, not 0 ------------------------------
        p = d.spanctl("report", "--by", "team", "--suppress", "--format", "json")
        doc = json.loads(p.stdout) if p.returncode == 0 else {}
        t.ok(p.returncode == 0, "report --suppress runs", p.stderr)
        groups = {g.get("group"): g for g in doc.get("groups", [])}
        t.eq((groups.get("C", {}).get("ei"), groups.get("C", {}).get("external"),
              groups.get("B", {}).get("external")), ("withheld", "withheld", 12),
             "report --suppress --format json: group C (2 people) withheld, "
             "not 0; group B's 12 ties out shown")
        p = d.spanctl("report", "--by", "team", "--suppress")
        t.ok("withheld" in p.stdout, "report --suppress (table): the small "
             "group's cells are shown as withheld", p.stdout)
        plain = d.spanctl("report", "--by", "team").stdout
        p = d.spanctl("report", "--by", "team", "--within", "team",
                      "--pseudonymise")
        t.ok(p.returncode == 2 and "--where" in p.stderr,
             "report --within --pseudonymise: a usage error naming --where "
             "(spand refuses within with privacy)", p.stderr)
        t.ok("withheld" not in plain, "without --suppress nothing is withheld")

        # --- roles: reader and writer refused, analyst served ------------
        if not ROLES:
            t.ok(True, "# SKIP roles: needs root and useradd")
        else:
            call = [("people", {"ids": ["qzA0Wk"]})]
            got = {r: codes_as(u, d.socket, call)[0]
                   for r, u in USERS.items()}
            t.eq(got, {"analyst": "ok", "writer": 1403, "reader": 1403},
                 "people: analysts (and admins) only; 1403 for the others")
finally:
    if ROLES:
        remove_users()

t.done()
