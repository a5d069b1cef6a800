"""The layout DESIGN.md and doc/map.md describe, checked on the source
and on the built objects, so that it stays true as the code grows:

- no two daemon modules include each other, directly or round a cycle;
- requests flow one way: the lower layers (store, view, engine, loader,
  ingest, export, and daemon/common) never include the upper ones
  (server, dispatch, rpc, methods), and rpc never includes the server;
- daemon/common includes nothing outside daemon/common;
- spanctl (daemon/ctl) includes nothing of the daemon but daemon/common;
- every symbol a daemon object exports carries its module's prefix
  (method_*.c: method_), so a name says where it lives.
"""
import glob
import os
import re
import subprocess

from spandtest import TAP, SRCDIR, BUILDDIR

t = TAP()
daemon = os.path.join(SRCDIR, "daemon")
INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def module(path):
    return os.path.splitext(os.path.basename(path))[0]


def where(path):
    rel = os.path.relpath(path, daemon)
    return rel.split(os.sep)[0] if os.sep in rel else "daemon"


files = sorted(glob.glob(os.path.join(daemon, "**", "*.[ch]"),
                         recursive=True))
t.ok(len(files) > 40, f"found the daemon's sources ({len(files)} files)")
folder_of = {module(f): where(f) for f in files}
graph = {}
for f in files:
    m = module(f)
    for inc in INC.findall(open(f, encoding="utf-8").read()):
        dep = module(inc)
        if dep != m and dep in folder_of:
            graph.setdefault(m, set()).add(dep)

# 1. No cycles (a mutual include is a cycle of two).
cycles = []


def visit(node, stack, done):
    for nxt in sorted(graph.get(node, ())):
        if nxt in stack:
            cycles.append(stack[stack.index(nxt):] + [nxt])
        elif nxt not in done:
            done.add(nxt)
            visit(nxt, stack + [nxt], done)


for m in sorted(graph):
    visit(m, [m], set())
t.ok(not cycles, "no include cycles between daemon modules",
     "\n".join(" -> ".join(c) for c in cycles[:10]))

# 2. One-way flow.
upper = {"server", "dispatch", "rpc", "methods", "params"}
lower = {"store", "view", "engine", "loader", "ingest", "export", "answer",
         "result", "cache", "pidcache", "config", "frame"}
bad = sorted(f"{m} includes {d}" for m in lower
             for d in graph.get(m, ()) if d in upper)
t.ok(not bad, "lower layers never include server, dispatch, rpc or "
     "the handlers", "\n".join(bad))
t.ok("server" not in graph.get("rpc", ()) and
     "server" not in graph.get("dispatch", ()) and
     not any("server" in graph.get(m, ()) for m in graph
             if m.startswith("method_")),
     "rpc, dispatch and the handlers do not include server.h")

# 3. daemon/common stands alone; spanctl uses only daemon/common.
bad = sorted(f"{m} includes {d}" for m in graph if folder_of[m] == "common"
             for d in graph[m] if folder_of.get(d) != "common")
t.ok(not bad, "daemon/common includes only daemon/common", "\n".join(bad))
bad = sorted(f"{m} includes {d}" for m in graph if folder_of[m] == "ctl"
             for d in graph[m] if folder_of.get(d) not in ("ctl", "common"))
t.ok(not bad, "spanctl includes only daemon/ctl and daemon/common",
     "\n".join(bad))

# 4. Exported symbols carry their module's prefix.
objs = glob.glob(os.path.join(BUILDDIR, "daemon", ".libs", "*.o")) + \
    glob.glob(os.path.join(BUILDDIR, "daemon", "common", ".libs", "*.o"))
t.ok(len(objs) > 20, f"found the daemon's objects ({len(objs)})")
bad = []
for o in objs:
    m = re.sub(r"^libspand[a-z]*_la-", "", module(o))
    prefix = "method_" if m.startswith("method_") else m + "_"
    out = subprocess.run(["nm", "-g", "--defined-only", o],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        sym = line.split()[-1]
        # Compiler-made symbols (AddressSanitizer's __odr_asan.NAME).
        if sym.startswith("__"):
            continue
        if not sym.startswith(prefix):
            bad.append(f"{m}: {sym}")
t.ok(not bad, "every exported daemon symbol has its module's prefix",
     "\n".join(sorted(bad)))
t.done()
