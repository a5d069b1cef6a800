"""spanctl report --format html, opened in a real browser (headless
Chromium over the DevTools protocol, tests/integration/cdp.py).

Checks the page as a reader would meet it: it draws every person of the
view (and says so), its legend lists every group, hovering a person
(an SVG <title>, the browser's tooltip) names them with their group and
ties, tables sort by a click, nothing is requested from outside the file
and nothing is logged to the console; a large view is drawn group by
group. The screenshot is kept as tests/artefacts/report-html.png (and
report-html-groups.png) in the build tree.
"""
import json
import os
import re

from cdp import CHROMIUM, Browser
from spandtest import BUILDDIR, TAP, Daemon

t = TAP()
ART = os.path.join(BUILDDIR, "tests", "artefacts")
os.makedirs(ART, exist_ok=True)

# Four groups; x (group A, "Xena Broker") ties every group to the others;
# the rest are rings inside their group.
GROUPS = "ABCD"
people = [{"id": "x", "team": "A", "name": "Xena Broker"}]
records = []
for g in GROUPS:
    ring = [f"{g.lower()}{i}" for i in range(6)]
    for i, pid in enumerate(ring):
        people.append({"id": pid, "team": g, "name": f"Person {g}{i}"})
        records.append({"ts": "2025-03-01", "from": pid,
                        "to": ring[(i + 1) % 6], "kind": "advice",
                        "directed": False})
    records.append({"ts": "2025-03-01", "from": "x", "to": ring[0],
                    "kind": "advice", "directed": False})
# One person outside every tie, to show isolates are not drawn.
people.append({"id": "lonely", "team": "D", "name": "Nobody Tied"})


def static_checks(html, label):
    t.ok(html.startswith("<!DOCTYPE html>"), f"{label}: an HTML5 page")
    t.ok("Content-Security-Policy" in html and "default-src 'none'" in html,
         f"{label}: the page forbids itself any fetch (CSP default-src none)")
    outside = re.findall(r'(?:src|href)\s*=\s*["\']?(?!#|data:)[^"\' >]+',
                         html, re.I)
    t.eq(outside, [], f"{label}: no src or href pointing anywhere")
    t.ok("<script src" not in html and "@import" not in html
         and "url(" not in html, f"{label}: no external script, style or font")


def browser_checks(path, label, shot):
    with Browser() as b:
        page = b.open("file://" + path)
        errors = [c for c in page.console
                  if c[0] in ("error", "exception", "assert", "warning")]
        t.eq(errors, [], f"{label}: no console errors or warnings")
        t.eq([u for u in page.requests if not u.startswith("file://")], [],
             f"{label}: no request leaves the file")
        height = page.screenshot(shot)
        dom = page.eval("""(() => ({
            people: document.querySelectorAll('circle.person').length,
            groups: document.querySelectorAll('circle.group-node').length,
            legend: [...document.querySelectorAll('.legend-item')]
                       .map(li => li.textContent),
            titles: [...document.querySelectorAll('circle.person > title')]
                       .map(e => e.textContent),
            observed: document.querySelectorAll('.eiplot circle.observed')
                       .length,
            svgs_unlabelled: [...document.querySelectorAll('svg')]
                       .filter(s => !s.getAttribute('aria-labelledby'))
                       .length,
            text: document.body.innerText}))()""")
    return dom, height


def not_blank(path, label):
    try:
        from PIL import Image
    except ImportError:
        t.ok(False, f"{label}: python3-pil to read the screenshot")
        return
    img = Image.open(path).convert("RGB")
    small = img.resize((200, max(1, img.height * 200 // img.width)))
    px = list(small.getdata())
    ink = sum(1 for p in px if sum(p) < 720) / len(px)
    t.ok(len(set(px)) > 50 and ink > 0.03,
         f"{label}: the screenshot is not blank ({len(set(px))} colours, "
         f"{ink:.0%} not white)")


if not t.ok(CHROMIUM is not None, "chromium is installed"):
    t.done()

with Daemon() as d:
    d.start()
    d.call("ingest", {"people": people, "records": records})
    args = ("report", "--by", "team", "--from", "2025-01-01", "--to",
            "2026-01-01")
    r = d.spanctl(*args, "--format", "json")
    doc = json.loads(r.stdout)
    nv = doc["view"]["vertices"]
    t.eq(nv, 25, "the view has 25 people (the untied one is not a vertex)")
    r = d.spanctl(*args, "--format", "html")
    t.eq(r.returncode, 0, "report --format html exits 0")
    html = r.stdout
    path = os.path.join(d.dir, "report.html")
    with open(path, "w") as f:
        f.write(html)
    static_checks(html, "small view")
    shot = os.path.join(ART, "report-html.png")
    dom, height = browser_checks(path, "small view", shot)
    t.eq(dom["people"], nv, "one dot per person of the view")
    t.eq(dom["groups"], 0, "no group-level drawing for a small view")
    t.eq([li.split(" (")[0] for li in dom["legend"]], list(GROUPS),
         "the legend lists every group")
    t.ok(any(tt.startswith("Xena Broker (x)") and " A " in tt
             and "4 ties" in tt and "3 to other groups" in tt
             for tt in dom["titles"]),
         "hovering x shows her name, group and ties (4, 3 across)",
         dom["titles"][:3])
    t.eq(dom["observed"], len(GROUPS), "one E-I dot per group")
    t.eq(dom["svgs_unlabelled"], 0, "every figure has a text alternative")
    t.ok("Xena Broker" in dom["text"], "the top spanner is named on the page")
    not_blank(shot, "small view")
    t.diag(f"screenshot kept: {shot} ({height} px tall)")

    # Sorting: click the cross_betweenness header of the spanners table.
    with Browser() as b:
        page = b.open("file://" + path)
        got = page.eval("""(() => {
            const table = [...document.querySelectorAll('table.sortable')]
                .find(tb => tb.caption.textContent == 'Boundary spanners');
            const heads = [...table.tHead.rows[0].cells];
            const i = heads.findIndex(h => h.textContent
                                           == 'cross_betweenness');
            heads[i].click();
            const col = [...table.tBodies[0].rows]
                .map(r => parseFloat(r.cells[i].textContent));
            return {sort: heads[i].getAttribute('aria-sort'), col: col};
        })()""")
    t.eq(got["sort"], "ascending", "a click sorts the column ascending")
    t.eq(got["col"], sorted(got["col"]), "rows are in ascending order")

# --within site: the comparison table, then one small network per site.
# Three sites: North (two rings of 4, one per group, and n0-e0 across),
# South (a path of 5 across both groups), West (one tie, P-Q). A tie
# n1-s1 crosses sites: the within view leaves it out, so no figure may
# draw it (North has 9 ties drawn, South 4, West 1, 14 in all).
site_people, site_recs = [], []


def tie(a, b):
    site_recs.append({"ts": "2025-03-01", "from": a, "to": b,
                      "kind": "advice", "directed": False})


for g, ring in (("A", [f"n{i}" for i in range(4)]),
                ("B", [f"e{i}" for i in range(4)])):
    for i, pid in enumerate(ring):
        site_people.append({"id": pid, "team": g, "site": "North",
                            "name": f"North {pid}"})
        tie(pid, ring[(i + 1) % 4])
tie("n0", "e0")
south = ["s0", "s1", "s2", "s3", "s4"]
for i, pid in enumerate(south):
    site_people.append({"id": pid, "team": "AB"[i % 2], "site": "South"})
    if i:
        tie(south[i - 1], pid)
site_people += [{"id": "w0", "team": "C", "site": "West"},
                {"id": "w1", "team": "A", "site": "West"}]
tie("w0", "w1")
tie("n1", "s1")

with Daemon() as d:
    d.start()
    d.call("ingest", {"people": site_people, "records": site_recs})
    args = ("report", "--by", "team", "--within", "site")
    doc = json.loads(d.spanctl(*args, "--format", "json").stdout)
    want = {s["scope"]: s["vertices"] for s in doc["scopes"]}
    t.eq(want, {"North": 8, "South": 5, "West": 2},
         "the within view: North 8, South 5, West 2 people")
    r = d.spanctl(*args, "--format", "html")
    t.eq(r.returncode, 0, "report --within site --format html exits 0")
    path = os.path.join(d.dir, "within.html")
    with open(path, "w") as f:
        f.write(r.stdout)
    static_checks(r.stdout, "within")
    shot = os.path.join(ART, "report-html-within.png")
    dom, height = browser_checks(path, "within", shot)
    w = None
    with Browser() as b:
        page = b.open("file://" + path)
        w = page.eval("""(() => {
            const secs = [...document.querySelectorAll('section.scope')];
            const cmp = [...document.querySelectorAll('table.sortable')]
                .find(tb => tb.caption.textContent == 'Each site compared');
            const fill = {};
            secs.forEach(s => s.querySelectorAll('circle.person')
                .forEach(c => {
                    const g = c.querySelector('title').textContent
                        .split(' \u00b7 ')[1];
                    (fill[g] = fill[g] || new Set()).add(c.getAttribute('fill'));
                }));
            const first = document.querySelector('h2');
            return {
              scopes: secs.map(s => s.dataset.scope),
              figures: secs.map(s => s.querySelectorAll('svg.network').length),
              dots: secs.map(s => s.querySelectorAll('circle.person').length),
              lines: secs.map(s => s.querySelectorAll('.ties line').length),
              eidots: secs.map(s =>
                  s.querySelectorAll('.eiplot circle.observed').length),
              rows: cmp ? [...cmp.tBodies[0].rows]
                  .map(r => r.cells[0].textContent) : null,
              people: cmp ? [...cmp.tBodies[0].rows]
                  .map(r => r.cells[1].textContent) : null,
              colours: Object.fromEntries(Object.entries(fill)
                  .map(([g, s]) => [g, s.size])),
              first: first ? first.textContent : null,
              ids: [...document.querySelectorAll('[id]')].map(e => e.id)};
        })()""")
    t.eq(w["scopes"], ["North", "South", "West"], "one section per site")
    t.eq(w["figures"], [1, 1, 1], "one network figure per site")
    t.eq(w["dots"], [want["North"], want["South"], want["West"]],
         "each site's figure has one dot per vertex of that site")
    t.eq(w["lines"], [9, 4, 1],
         "each site's ties drawn (9, 4, 1), the cross-site tie not at all")
    t.eq(w["eidots"], [2, 2, 2], "an E-I dot per group of each site")
    t.eq(w["rows"], ["North", "South", "West"],
         "the comparison table has one row per site")
    t.eq(w["people"], ["8", "5", "2"], "with each site's people")
    t.eq(w["first"], "Each site compared", "the comparison comes first")
    t.eq(w["colours"], {"A": 1, "B": 1, "C": 1},
         "a group has one colour in every site's figure")
    t.eq(sorted(set(w["ids"])), sorted(w["ids"]), "element ids are unique")
    t.eq(dom["svgs_unlabelled"], 0, "every figure has a text alternative")
    t.eq([li.split(" (")[0] for li in dom["legend"]], ["A", "B", "C"],
         "one legend lists every group of every site")
    not_blank(shot, "within")
    t.diag(f"screenshot kept: {shot} ({height} px tall)")

# Past 40 sites only the 40 with most people are drawn, and the page says
# how many were left out. 42 sites of two tied people; S40 and S41 have a
# third, so they are drawn although they come last; of the equal rest
# the first 38 in order are drawn, S38 and S39 are not.
with Daemon() as d:
    d.start()
    many, recs = [], []
    for k in range(42):
        ids = [f"s{k}a", f"s{k}b"] + ([f"s{k}c"] if k >= 40 else [])
        for i, pid in enumerate(ids):
            many.append({"id": pid, "team": "AB"[i % 2], "site": f"S{k:02d}"})
        for a, b in zip(ids, ids[1:]):
            recs.append({"ts": "2025-03-01", "from": a, "to": b,
                         "kind": "advice", "directed": False})
    d.call("ingest", {"people": many, "records": recs})
    r = d.spanctl("report", "--by", "team", "--within", "site",
                  "--format", "html")
    t.eq(r.returncode, 0, "42 sites: report --format html exits 0")
    secs = re.split(r'<section class="scope" data-scope="', r.stdout)[1:]
    drawn = [s.split('"')[0] for s in secs if 'class="network"' in s]
    t.eq(len(secs), 42, "42 sites: a section for every site")
    t.eq(len(drawn), 40, "42 sites: 40 networks drawn")
    t.eq(sorted(f"S{k:02d}" for k in range(42) if k not in (38, 39)),
         sorted(drawn), "the 40 with most people (then in order) drawn")
    t.ok(re.search(r'id="not-drawn">[^<]*the other 2 are left out',
                   r.stdout) is not None, "and the page says 2 were left out")
    path = os.path.join(d.dir, "many.html")
    with open(path, "w") as f:
        f.write(r.stdout)
    static_checks(r.stdout, "42 sites")

# A large view is drawn group by group.
with Daemon() as d:
    d.start()
    big = [{"id": f"p{i:05d}", "team": GROUPS[i % 4]} for i in range(3200)]
    recs = [{"ts": "2025-03-01", "from": f"p{i:05d}",
             "to": f"p{(i * 7 + 1) % 3200:05d}", "kind": "advice",
             "directed": False} for i in range(3200)]
    d.call("ingest", {"people": big, "records": recs})
    r = d.spanctl("report", "--by", "team", "--format", "html")
    t.eq(r.returncode, 0, "report --format html of 3,200 people exits 0")
    path = os.path.join(d.dir, "big.html")
    with open(path, "w") as f:
        f.write(r.stdout)
    static_checks(r.stdout, "large view")
    shot = os.path.join(ART, "report-html-groups.png")
    dom, _ = browser_checks(path, "large view", shot)
    t.eq((dom["people"], dom["groups"]), (0, 4),
         "over 2,000 people: the four groups are drawn, not the people")
    t.ok("Drawn group by group" in dom["text"] and "3200 people" in dom["text"],
         "and the page says why")
    not_blank(shot, "large view")
t.done()
