"""The out-of-tree plugin skeleton (contrib/plugin-skeleton), built the way
a user would: `make install DESTDIR=...` of this build tree, then the
skeleton's own Makefile with pkg-config pointed at the staged install only
(PKG_CONFIG_PATH and PKG_CONFIG_SYSROOT_DIR), so nothing of the source
tree is used. The plugin is installed into a running daemon's plugin
directory, picked up by `reload` and checked on a small graph."""
import glob
import os
import re
import shlex
import shutil
import subprocess
import tempfile

from spandtest import BUILDDIR, SRCDIR, TAP, Daemon, RpcError

t = TAP()
tmp = tempfile.mkdtemp(prefix="spand-skel-")
stage = os.path.join(tmp, "stage")


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=900,
                          **kw)


def diag_of(p):
    return (f"$ {shlex.join(p.args)}\nexit {p.returncode}\n"
            f"stdout:\n{p.stdout[-3000:]}\nstderr:\n{p.stderr[-3000:]}")


def done():
    shutil.rmtree(tmp, ignore_errors=True)
    t.done()


# a, b adults; c children; d nhs; e voluntary; f has no sector.
# Ties (either direction): a-b, a-c (both ways), a-d, b-c, d-e; f-a is out.
PEOPLE = [{"id": "a", "sector": "adults"}, {"id": "b", "sector": "adults"},
          {"id": "c", "sector": "children"}, {"id": "d", "sector": "nhs"},
          {"id": "e", "sector": "voluntary"}, {"id": "f"}]
RECORDS = [
    {"id": "r1", "ts": "2024-02-01", "from": "a", "to": "b", "kind": "advice"},
    {"id": "r2", "ts": "2024-02-02", "from": "a", "to": "c", "kind": "advice"},
    {"id": "r3", "ts": "2024-02-03", "from": "c", "to": "a", "kind": "advice"},
    {"id": "r4", "ts": "2024-02-04", "from": "a", "to": "d", "kind": "advice"},
    {"id": "r5", "ts": "2024-02-05", "from": "d", "to": "e", "kind": "meeting",
     "directed": False},
    {"id": "r6", "ts": "2024-02-06", "from": "f", "to": "a", "kind": "advice"},
    {"id": "r7", "ts": "2024-02-07", "from": "b", "to": "c", "kind": "advice"},
]
# person: (span, degree), span with other_only, as worked out by hand.
EXPECT = {"a": (3, 3), "b": (2, 2), "c": (1, 2), "d": (2, 2), "e": (1, 1)}
EXPECT_OTHER = {"a": 2, "b": 1, "c": 1, "d": 2, "e": 1}

# A make started by `make check` must not join its job server or inherit
# its command-line variables; nor may the compiler find headers elsewhere.
clean_env = {k: v for k, v in os.environ.items()
             if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "CPATH",
                          "C_INCLUDE_PATH", "CPPFLAGS", "CFLAGS",
                          "PKG_CONFIG_LIBDIR")}

# --- stage an install of this build tree ---------------------------------
p = run(["make", "-C", BUILDDIR, "install", f"DESTDIR={stage}"],
        env=clean_env)
t.ok(p.returncode == 0, "make install DESTDIR=... of the build tree",
     diag_of(p))
pcs = glob.glob(os.path.join(stage, "**", "spand-plugin.pc"), recursive=True)
headers = glob.glob(os.path.join(stage, "**", "spand", "plugin.h"),
                    recursive=True)
t.ok(len(pcs) == 1 and len(headers) == 1,
     "the install has spand-plugin.pc and spand/plugin.h", (pcs, headers))
if not pcs or not headers:
    done()
pcdir = os.path.dirname(pcs[0])
t.ok(pcdir.endswith(os.path.join("lib", "pkgconfig")),
     "spand-plugin.pc is in <prefix>/lib/pkgconfig", pcdir)

# PKG_CONFIG_SYSROOT_DIR prefixes the -I/-L paths of every package, igraph's
# too: give the staged root links to the system's igraph directories (what
# a real sysroot would contain).
p = run(["pkg-config", "--cflags-only-I", "--libs-only-L", "igraph"])
for flag in p.stdout.split():
    path = flag[2:]
    if flag[:2] in ("-I", "-L") and os.path.isabs(path) and \
            not os.path.exists(stage + path):
        os.makedirs(os.path.dirname(stage + path), exist_ok=True)
        os.symlink(path, stage + path)

env = dict(clean_env)
env["PKG_CONFIG_PATH"] = pcdir
env["PKG_CONFIG_SYSROOT_DIR"] = stage

p = run(["pkg-config", "--cflags", "spand-plugin"], env=env)
t.ok(p.returncode == 0 and f"-I{stage}" in p.stdout and
     SRCDIR not in p.stdout, "pkg-config --cflags spand-plugin names the "
     "staged include directory", diag_of(p))
p = run(["pkg-config", "--variable=plugindir", "spand-plugin"], env=env)
staged_plugindir = p.stdout.strip()
builtins = glob.glob(os.path.join(staged_plugindir, "*.so"))
t.ok(p.returncode == 0 and staged_plugindir.startswith(stage) and
     (builtins or staged_plugindir.endswith(os.path.join("spand",
                                                         "plugins"))),
     "plugindir is where the built-in plugins are installed", diag_of(p))
t.diag(f"built-in plugins installed there: "
       f"{sorted(os.path.basename(b) for b in builtins)}")

# --- build the skeleton out of tree ---------------------------------------
skel = os.path.join(tmp, "skel")
os.makedirs(skel)
for f in ("skeleton.c", "Makefile", "README.md"):
    shutil.copy(os.path.join(SRCDIR, "contrib", "plugin-skeleton", f), skel)
# -H lists every header the compiler opens, to prove where plugin.h came
# from.
p = run(["make", "-C", skel, "CFLAGS=-O2 -g -H -Werror"], env=env)
t.ok(p.returncode == 0 and os.path.exists(os.path.join(skel, "skeleton.so")),
     "make builds skeleton.so", diag_of(p))
opened = [line.lstrip(". ") for line in p.stderr.splitlines()
          if re.match(r"^\.+ ", line)]
plugin_h = [h for h in opened if h.endswith("spand/plugin.h")]
t.ok(len(plugin_h) == 1 and os.path.realpath(plugin_h[0]) ==
     os.path.realpath(headers[0]),
     "the installed spand/plugin.h is the one compiled against", plugin_h)
t.ok(not any(os.path.realpath(h).startswith(
    os.path.realpath(SRCDIR) + os.sep) for h in opened),
    "nothing from the source tree is included")
if shutil.which("nm"):
    p = run(["nm", "-D", "--defined-only",
             os.path.join(skel, "skeleton.so")])
    syms = sorted(line.split()[-1] for line in p.stdout.splitlines()
                  if line.split() and line.split()[-2] in "TDBRVW")
    t.eq(syms, ["spand_plugin_describe"],
         "skeleton.so exports only spand_plugin_describe")

# The default install target: the staged plugindir from pkg-config.
p = run(["make", "-C", skel, "install"], env=env)
t.ok(p.returncode == 0 and
     os.path.exists(os.path.join(staged_plugindir, "skeleton.so")),
     "make install (default PLUGINDIR from pkg-config)", diag_of(p))

# --- run it in a daemon ---------------------------------------------------
with Daemon() as d:
    d.start()
    d.call("ingest", {"people": PEOPLE, "records": RECORDS})
    p = run(["make", "-C", skel, "install", f"PLUGINDIR={d.plugin_dir}"],
            env=env)
    so = os.path.join(d.plugin_dir, "skeleton.so")
    t.ok(p.returncode == 0 and os.path.exists(so),
         "make install PLUGINDIR=<the daemon's plugin dir>", diag_of(p))
    t.eq(oct(os.stat(so).st_mode & 0o777) if os.path.exists(so) else None,
         "0o644", "installed 0644 (spand refuses files others may write)")
    p = d.spanctl("reload")
    t.ok(p.returncode == 0 and re.search(r"loaded:.*\bdegree_span\b",
                                         p.stdout),
         "spanctl reload loads degree_span", diag_of(p) + d.log()[-2000:])
    plugins = {x["name"]: x for x in d.call("plugins")["plugins"]}
    ds = plugins.get("degree_span", {})
    t.eq((ds.get("version"), ds.get("builtin"),
          os.path.basename(ds.get("file", ""))),
         ("1.0", False, "skeleton.so"), "plugins lists degree_span")
    t.eq([(c["table"], c["name"]) for c in ds.get("columns", [])],
         [("vertex", "span"), ("vertex", "degree"), ("network", "mean_span"),
          ("network", "mean_degree")], "its columns")
    t.eq([(x["name"], x["type"], x["default"]) for x in ds.get("params", [])],
         [("other_only", "bool", "false")], "its parameter")

    try:
        r = d.call("analyse", {"plugin": "degree_span"})
    except RpcError as e:
        r = None
        t.diag(f"analyse failed: {e} {e.data}")
    t.ok(r is not None, "analyse degree_span")
    if r:
        cols = [c["name"] for c in r["tables"]["vertex"]["columns"]]
        got = {row[0]: (row[cols.index("span")], row[cols.index("degree")])
               for row in r["tables"]["vertex"]["rows"]}
        t.eq(got, EXPECT, "span and degree of every person")
        net = dict(zip([c["name"] for c in r["tables"]["network"]["columns"]],
                       r["tables"]["network"]["rows"][0]))
        t.ok(abs(net["mean_span"] - 1.8) < 1e-9 and
             abs(net["mean_degree"] - 2.0) < 1e-9,
             "network means (1.8 groups, 2 contacts)", net)
        t.eq(r["view"]["excluded"], 1, "f (no sector) is left out")
    r = d.call("analyse", {"plugin": "degree_span",
                           "params": {"other_only": "true"}})
    cols = [c["name"] for c in r["tables"]["vertex"]["columns"]]
    got = {row[0]: row[cols.index("span")] for row in
           r["tables"]["vertex"]["rows"]}
    t.eq(got, EXPECT_OTHER, "other_only: the person's own group not counted")
    t.ok(any("own" in n for n in r.get("notes", [])),
         "other_only: the plugin's note", r.get("notes"))
    p = d.spanctl("analyse", "degree_span", "--sort", "span", "--top", "1")
    t.ok(p.returncode == 0 and
         re.search(r"^  a\s+adults\s+3\s+3$", p.stdout, re.M) and
         re.search(r"mean_span:\s+1\.800$", p.stdout, re.M),
         "spanctl analyse degree_span --sort span --top 1", diag_of(p))

done()
