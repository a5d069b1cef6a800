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
