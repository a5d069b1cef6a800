"""contrib/quickstart.sh: the demo installs only what it needs (not R,
networkx, igraph for Python, clang or libFuzzer, which only the tests use),
and its build's output goes to a log file with one line on the screen.
The build is tried in a scratch tree with a configure and a make that only
print, so the real tree is never touched."""
import os
import re
import shutil
import stat
import subprocess
import tempfile

from spandtest import TAP, SRCDIR

t = TAP()
QS = os.path.join(SRCDIR, "contrib", "quickstart.sh")


def packages(*args):
    r = subprocess.run(["bash", QS, "packages", *args], capture_output=True,
                       text=True)
    return r.returncode, r.stdout.split()


rc, demo = packages()
rc2, test = packages("test")
t.ok(rc == 0 and rc2 == 0 and demo and test, "quickstart.sh packages [test]")
TEST_ONLY = {"r-cran-sna", "r-cran-jsonlite", "python3-networkx",
             "python3-igraph", "clang", "libfuzzer-14-dev"}
t.eq(sorted(set(demo) & TEST_ONLY), [], "the demo installs no test-only "
     "package")
t.ok(TEST_ONLY <= set(test), "the tests install them")
t.eq(sorted(set(demo) - set(test)), [], "the test list holds the demo's")
# Every Debian package configure.ac names must be in the demo's list.
conf = open(os.path.join(SRCDIR, "configure.ac")).read()
needed = set(re.findall(r"SPAND_REQUIRE\(\[\w+\], \[[^]]*\], \[([\w.+-]+)\]",
                        conf)) | {"libcsv-dev", "python3", "build-essential"}
t.ok(len(needed) > 8 and needed <= set(demo), "the demo installs what "
     "configure and the demo scripts need", sorted(needed - set(demo)))

tmp = tempfile.mkdtemp(prefix="spand-qs-")
os.makedirs(os.path.join(tmp, "contrib"))
os.makedirs(os.path.join(tmp, "bin"))
shutil.copy(QS, os.path.join(tmp, "contrib", "quickstart.sh"))


def script(path, text):
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + text)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)


script(os.path.join(tmp, "configure"),
       'for i in $(seq 200); do echo "configure line $i"; done\n'
       "echo all: > Makefile\n")
script(os.path.join(tmp, "bin", "make"),
       'for i in $(seq 200); do echo "make line $i"; echo "make err $i" >&2;'
       ' done\nexit "${FAKE_MAKE_RC:-0}"\n')
env = dict(os.environ, PATH=os.path.join(tmp, "bin") + ":" +
           os.environ["PATH"])
log = os.path.join(tmp, "quickstart-build.log")


def build(**extra):
    return subprocess.run(["bash", os.path.join(tmp, "contrib",
                                                "quickstart.sh"), "build"],
                          capture_output=True, text=True,
                          env=dict(env, **extra), timeout=120)


r = build()
t.eq((r.returncode, r.stdout, r.stderr.splitlines()),
     (0, "", [f"quickstart.sh: building spand (output in {log})",
              "quickstart.sh: built spand"]),
     "a quiet build: one line to start, one when built, nothing else")
text = open(log).read() if os.path.exists(log) else ""
t.ok("configure line 200" in text and "make line 200" in text and
     "make err 200" in text, "configure's and make's output are in the log")

os.unlink(os.path.join(tmp, "Makefile"))
r = build(FAKE_MAKE_RC="2")
err = r.stderr
t.ok(r.returncode == 1 and
     f"error: the build (see {log}) failed" in err and
     "make err 200" in err and "make line 150" not in err and
     len(err.splitlines()) < 40,
     "a failed build shows the log's last lines and where the log is", err)
shutil.rmtree(tmp, ignore_errors=True)
t.done()
