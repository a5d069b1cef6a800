"""The user documentation a checkout ships: the README points at
doc/metrics.md (users have no METRICS.md), every file it links exists,
doc/metrics.md defines every built-in plugin's measures with references,
and the README explains interactions, ties and arcs once."""
import os
import re

from spandtest import TAP, SRCDIR

t = TAP()
readme = open(os.path.join(SRCDIR, "README.md")).read()
metrics_path = os.path.join(SRCDIR, "doc", "metrics.md")
t.ok("METRICS.md" not in readme, "the README does not send users to "
     "METRICS.md, which they do not have")
t.ok("(doc/metrics.md)" in readme, "the README links doc/metrics.md")
links = re.findall(r"\]\(([^)#:]+)\)", readme)
t.eq([l for l in links if not os.path.exists(os.path.join(SRCDIR, l))], [],
     f"every file the README links exists ({len(links)} links)")
for word in ("interaction", "tie", "arc"):
    t.eq(len(re.findall(rf"\*\*{word}\*\*", readme)), 1,
         f"the README defines \"{word}\" once")

metrics = open(metrics_path).read() if os.path.exists(metrics_path) else ""
am = open(os.path.join(SRCDIR, "Makefile.am")).read()
builtin = re.findall(r"plugins/(\w+)\.la",
                     am[am.index("plugin_LTLIBRARIES"):].split("\n\n")[0])
t.ok(len(builtin) >= 8, f"found the built-in plugins ({builtin})")
heads = re.findall(r"(?m)^## .*\(`(\w+)`\)$", metrics)
t.eq(sorted(set(builtin) - set(heads)), [],
     "doc/metrics.md has a section for every built-in plugin")
for sec in re.split(r"(?m)^## ", metrics)[1:]:
    name = sec.splitlines()[0]
    if "(`" in name:
        t.ok(re.search(r"Sources?:", sec) and re.search(r"\(\d{4}\)", sec),
             f"metrics.md: {name} names its source with a year")
t.done()
