"""The manual pages render without a warning, and every item's tag
(.TP) is whole: a tag whose brackets do not balance on its own line has
spilled into the item's body, as spanctl.1's `boundaries, summary
[--by attr]` once did without any warning from groff."""
import glob
import os
import re
import shutil
import subprocess

from spandtest import TAP, SRCDIR

t = TAP()
pages = sorted(glob.glob(os.path.join(SRCDIR, "doc", "*.[1-8]")))
t.ok(len(pages) >= 2, f"found the manual pages ({len(pages)})")
env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80")
TAG = re.compile(r"^ {7}(\S.*)$")  # an item's tag under a section heading

for page in pages:
    name = os.path.basename(page)
    r = subprocess.run(["groff", "-ww", "-z", "-man", "-Tutf8", page],
                       capture_output=True, text=True, env=env)
    t.ok(r.returncode == 0 and not r.stderr.strip(),
         f"{name}: groff -ww -man gives no warning", r.stderr)
    if shutil.which("man"):
        r = subprocess.run(["man", "--warnings", "-l", page],
                           capture_output=True, text=True, env=env)
        t.ok(r.returncode == 0 and not r.stderr.strip() and r.stdout,
             f"{name}: man -l renders it without a warning", r.stderr)
        text = r.stdout
    else:
        r = subprocess.run(["groff", "-man", "-Tutf8", page],
                           capture_output=True, text=True, env=env)
        text = r.stdout
    text = re.sub(r".\x08", "", text)  # overstrike bold and underline
    bad = [m.group(1) for m in map(TAG.match, text.splitlines())
           if m and m.group(1).count("[") != m.group(1).count("]")]
    t.eq(bad, [], f"{name}: every item's tag is whole on its line")

r = subprocess.run(["groff", "-man", "-Tutf8", "-P-cbou",
                    os.path.join(SRCDIR, "doc", "spanctl.1")],
                   capture_output=True, text=True, env=env)
t.ok("       boundaries, summary [--by attr]\n" in r.stdout,
     "spanctl.1: the boundaries/summary item's tag renders whole")
t.done()
