"""Plugins that misbehave while being loaded, and what "built in" means
(issue 9). A plugin whose constructor, describe(), init() or fini()
segfaults or calls exit() costs that one file, refused with a reason
naming where it failed, never the daemon: at start, on reload and on
restart (no crash loop, no stale socket). Symlinked or world-writable
plugin files and plugin directories with a replaceable parent are
refused, naming the file or directory. A plugin log line cannot forge a
line of the daemon's log. "Built in" is decided by this build's id in the
file, not by its folder: the skeleton plugin and the hostile test plugins
installed in the built-in directory are third-party and run isolated; a
built-in copied elsewhere is still built in. A daemon with no plugin warns
and says where it looked; run from its build tree it finds the built-ins
when the configured builtin_dir does not exist, and only then."""
import os
import re
import shutil
import signal
import subprocess
import tempfile

from spandtest import (BUILTIN_PLUGINS, SPAND, SRCDIR, TAP, Daemon, RpcError,
                       TEST_PLUGINS, uses_asan)

t = TAP()


# Each hostile plugin and where its failure must be placed. Under
# AddressSanitizer a segfault becomes an exit status (its handler exits).
HOSTILE = {
    "ctor_segv": ("crashed", "a constructor"),
    "ctor_exit": ("exit7", "a constructor"),
    "describe_segv": ("crashed", "describe"),
    "init_segv": ("crashed", "init"),
    "init_exit": ("exit7", "init"),
    "fini_segv": ("crashed", "fini"),
}


def pattern(kind, phase, asan):
    if kind == "exit7":
        return rf"exited with status 7 in {phase}"
    if asan:
        return rf"(crashed in {phase} \(signal 11|exited with status \d+ " \
               rf"in {phase})"
    return rf"crashed in {phase} \(signal 11"


def listing(d):
    r = d.call("plugins")
    return ({p["name"]: p for p in r["plugins"]},
            {os.path.basename(x["file"]): x["reason"] for x in r["refused"]},
            r)


def alive(d, what):
    try:
        ok = d.call("ping") is not None and d.proc.poll() is None
    except (OSError, RpcError, EOFError, ValueError) as e:
        ok = False
        what += f" ({e!r})"
    t.ok(ok, f"the daemon still answers ping {what}", d.log()[-3000:])


def check_refusals(d, refused, asan, when):
    for name, (kind, phase) in HOSTILE.items():
        why = refused.get(name + ".so")
        t.ok(why is not None and re.search(pattern(kind, phase, asan), why),
             f"{when}: {name}.so refused: {why}", f"refused: {refused}")
    log = d.log()
    t.ok(all(re.search(rf"plugin \S*/{n}\.so refused: ", log)
             for n in HOSTILE),
         f"{when}: the log names each refused file")


# --- start with every hostile plugin present -----------------------------
with Daemon() as d:
    for name in HOSTILE:
        d.add_plugin(name)
    d.add_plugin("echo")
    d.add_plugin("init_log")
    d.start()
    asan = uses_asan(d.proc.pid)
    loaded, refused, _ = listing(d)
    alive(d, "after starting with six hostile plugins")
    check_refusals(d, refused, asan, "start")
    t.ok("echo" in loaded and "init_log" in loaded and
         not any(n in loaded for n in HOSTILE),
         "start: echo and init_log loaded, no hostile one", sorted(loaded))
    t.ok(loaded["echo"]["builtin"] is False and
         loaded["echo"]["isolated"] is True,
         "a test plugin is third-party and isolated", loaded["echo"])

    # A plugin's text cannot start a line of the daemon's log.
    log = d.log()
    t.ok(not re.search(r"^(<\d>)?FORGED", log, re.M),
         "no log line begins with what a plugin wrote",
         "\n".join(l for l in log.splitlines() if "FORGED" in l))
    t.ok(re.search(r"harmless\\n<3>FORGED-BY-INIT spand listening\\r"
                   r"\\x1b\[2J", log) and
         re.search(r"init_log\.so: .*FORGED-BY-CONSTRUCTOR", log),
         "what init() logged and the constructor wrote is kept, escaped, "
         "on one line naming the file",
         "\n".join(l for l in log.splitlines() if "FORGED" in l))

    # The same files on reload: removed, then back.
    for name in HOSTILE:
        os.unlink(os.path.join(d.plugin_dir, name + ".so"))
    rep = d.call("reload")["plugins"]
    t.eq(rep.get("refused"), [], "reload without them: nothing refused")
    for name in HOSTILE:
        d.add_plugin(name)
    rep = d.call("reload")["plugins"]
    alive(d, "after reloading six hostile plugins")
    t.eq(sorted(os.path.basename(x["file"]) for x in rep["refused"]),
         sorted(n + ".so" for n in HOSTILE), "reload reports each as refused")
    t.eq(rep["loaded"], [], "reload: none of them listed as loaded")
    check_refusals(d, listing(d)[1], asan, "reload")
    r = d.call("analyse", {"plugin": "echo"})
    t.ok("tables" in r, "echo still analyses after the reload")

    # Restart with the files still there: it stops cleanly, its socket is
    # gone, and it starts again (no crash loop).
    t.eq(d.stop(), 0, "SIGTERM: exit status 0")
    t.ok(not os.path.exists(d.socket), "no socket file left behind")
    d.start()
    alive(d, "after a restart with the hostile plugins still present")
    check_refusals(d, listing(d)[1], asan, "restart")

    # Symlinked and world-writable plugin files, each refused by name.
    link = os.path.join(d.plugin_dir, "linked.so")
    os.symlink(os.path.join(TEST_PLUGINS, "spin.so"), link)
    ww = d.add_plugin("garbage", mode=0o666)
    os.chmod(ww, 0o666)
    d.call("reload")
    loaded, refused, _ = listing(d)
    t.ok(re.search(r"symbolic link", refused.get("linked.so", "")) and
         "spin" not in loaded,
         "a symlinked plugin file is refused as such", refused)
    t.ok(re.search(r"writable by group or others",
                   refused.get("garbage.so", "")) and "garbage" not in loaded,
         "a world-writable plugin file is refused", refused)
    t.ok(re.search(r"plugin \S*/linked\.so refused: .*symbolic", d.log()) and
         re.search(r"plugin \S*/garbage\.so refused: .*writable", d.log()),
         "the log names the symlinked and the world-writable file")
    os.unlink(link)
    os.unlink(ww)

    # Two new files of one name in one reload: only one is loaded.
    for name in HOSTILE:
        os.unlink(os.path.join(d.plugin_dir, name + ".so"))
    os.unlink(os.path.join(d.plugin_dir, "echo.so"))
    d.call("reload")
    d.add_plugin("echo")
    twin = os.path.join(d.plugin_dir, "echo_twin.so")
    shutil.copyfile(os.path.join(TEST_PLUGINS, "echo.so"), twin)
    os.chmod(twin, 0o644)
    rep = d.call("reload")["plugins"]
    t.eq(rep["loaded"], ["echo"],
         "reload lists the name once as loaded, not the refused twin")
    t.ok([x for x in rep["refused"]
          if x["file"].endswith("/echo_twin.so") and "echo" in x["reason"]],
         "the twin is listed as refused", rep)
    os.unlink(twin)

    # Parent directories: writable by others (not sticky) refuses the
    # plugin directory, naming the parent; sticky (as /tmp) is accepted;
    # owned by another user is refused.
    os.chmod(d.dir, 0o777)
    try:
        d.call("reload")
        loaded, refused, _ = listing(d)
    finally:
        os.chmod(d.dir, 0o755)
    why = refused.get("plugins", "")
    t.ok("echo" not in loaded and d.dir in why and
         re.search(r"parent directory\) is writable", why),
         "a plugin directory under a world-writable parent is refused, "
         "naming the parent", refused)
    os.chmod(d.dir, 0o1777)
    try:
        d.call("reload")
        loaded, refused, _ = listing(d)
    finally:
        os.chmod(d.dir, 0o755)
    t.ok("echo" in loaded and not refused,
         "a sticky world-writable parent (as /tmp) is accepted", refused)
    if os.geteuid() == 0:
        os.chown(d.dir, 65534, -1)
        try:
            d.call("reload")
            loaded, refused, _ = listing(d)
        finally:
            os.chown(d.dir, 0, -1)
        why = refused.get("plugins", "")
        t.ok("echo" not in loaded and re.search(r"owned by another user",
                                                why),
             "a parent directory owned by another user is refused", refused)
    else:
        t.ok(True, "# SKIP parent owned by another user: needs root")
    d.call("reload")
    alive(d, "after the directory checks")

# --- "built in" is this build's id, not a folder --------------------------
work = tempfile.mkdtemp(prefix="spandtest-builtin-")
try:
    builtin = os.path.join(work, "builtin")
    os.makedirs(builtin)
    os.chmod(work, 0o755)
    os.chmod(builtin, 0o755)
    for f in os.listdir(BUILTIN_PLUGINS):
        if f.endswith(".so") and f != "ei.so":
            shutil.copy(os.path.join(BUILTIN_PLUGINS, f), builtin)
    # A test plugin that crashes in run(), placed among the built-ins.
    shutil.copy(os.path.join(TEST_PLUGINS, "segv.so"), builtin)
    # The skeleton, built the way its README says and installed with its
    # own `make install` into the built-in directory.
    skel = os.path.join(work, "skel")
    shutil.copytree(os.path.join(SRCDIR, "contrib", "plugin-skeleton"), skel)
    ig = subprocess.run(["pkg-config", "--cflags", "--libs", "igraph"],
                        capture_output=True, text=True).stdout.split()
    cflags = " ".join([f"-I{os.path.join(SRCDIR, 'include')}"] +
                      [x for x in ig if not x.startswith("-l")])
    libs = " ".join(x for x in ig if x.startswith("-l"))
    p = subprocess.run(["make", "-C", skel, "PKG_CONFIG=true",
                        f"SPAND_CFLAGS={cflags}", f"SPAND_LIBS={libs}",
                        f"PLUGINDIR={builtin}", "install"],
                       capture_output=True, text=True)
    t.ok(p.returncode == 0 and os.path.exists(
        os.path.join(builtin, "skeleton.so")),
        "the skeleton builds and installs into the built-in directory",
        p.stdout + p.stderr)
    with Daemon({"plugins": {"builtin_dir": builtin},
                 "isolation": {"segv": "thread"}}) as d:
        # A built-in copied into the site directory stays built in.
        shutil.copy(os.path.join(BUILTIN_PLUGINS, "ei.so"), d.plugin_dir)
        d.start()
        loaded, refused, res = listing(d)
        sk = loaded.get("degree_span", {})
        t.ok(sk.get("builtin") is False and sk.get("isolated") is True,
             "the skeleton in the built-in directory is third-party and "
             "isolated", sk)
        t.ok(loaded.get("brokerage", {}).get("builtin") is True and
             loaded.get("brokerage", {}).get("isolated") is False,
             "a plugin of this build is built in", loaded.get("brokerage"))
        t.ok(loaded.get("ei", {}).get("builtin") is True,
             "a plugin of this build in the site directory is built in",
             loaded.get("ei"))
        t.ok(loaded.get("segv", {}).get("builtin") is False,
             "segv in the built-in directory is not built in")
        d.call("ingest", {"people": [{"id": "a", "sector": "x"},
                                     {"id": "b", "sector": "y"}],
                          "records": [{"id": "r1", "ts": "2024-01-01",
                                       "from": "a", "to": "b",
                                       "kind": "advice"}]})
        try:
            d.call("analyse", {"plugin": "segv"})
            err = None
        except RpcError as e:
            err = e
        t.ok(err is not None and re.search(r"crash|signal|status",
                                           f"{err.message} {err.data}"),
             "segv from the built-in directory, even with an [isolation] "
             "thread rule, crashes only its analysis",
             err and (err.message, err.data))
        alive(d, "after segv crashed in the built-in directory")
        r = d.call("analyse", {"plugin": "degree_span"})
        t.ok("tables" in r, "the skeleton analyses (in a child)", r)
finally:
    shutil.rmtree(work, ignore_errors=True)

# --- where it looked, and the build tree ----------------------------------
empty = tempfile.mkdtemp(prefix="spandtest-empty-")
os.chmod(empty, 0o755)
try:
    with Daemon({"plugins": {"builtin_dir": empty}}) as d:
        d.start()
        loaded, _, res = listing(d)
        t.eq(loaded, {}, "no plugins: nothing loaded")
        t.ok(re.search(r"no analysis plugin loaded: looked in " +
                       re.escape(empty), d.log()),
             "a daemon without plugins warns, naming where it looked",
             d.log()[-2000:])
        t.eq([(x["dir"], x["kind"], x["status"]) for x in res["dirs"]],
             [(empty, "builtin", "scanned"),
              (d.plugin_dir, "site", "scanned")],
             "`plugins` says which directories it scanned")
        p = d.spanctl("plugins")
        t.ok(p.returncode == 0 and "no plugins loaded" in p.stdout and
             empty in p.stdout and d.plugin_dir in p.stdout,
             "spanctl plugins says where it looked", p.stdout + p.stderr)
finally:
    shutil.rmtree(empty, ignore_errors=True)

missing = "/nonexistent/spand-test/plugins"
with Daemon({"plugins": {"builtin_dir": missing}}) as d:
    d.start()
    loaded, _, res = listing(d)
    tree = os.path.realpath(BUILTIN_PLUGINS)
    t.ok(loaded.get("brokerage", {}).get("builtin") is True and
         res["dirs"][0]["dir"] == tree,
         "run from the build tree with no builtin_dir: the tree's "
         "plugins/.libs", res["dirs"])
    # The same binary copied out of the build tree does not look there.
    d.stop()
    copy = os.path.join(d.dir, "bin")
    os.makedirs(copy)
    shutil.copy(SPAND, copy)
    p = subprocess.Popen([os.path.join(copy, "spand"), "-f", "-c",
                          d.conf_path], stdout=open(d.log_path, "ab"),
                         stderr=subprocess.STDOUT)
    d.proc = p
    d.logf = open(os.devnull, "wb")
    d.wait_ready()
    loaded, _, res = listing(d)
    t.ok(loaded == {} and res["dirs"][0]["dir"] == missing,
         "a spand outside its build tree never scans the tree",
         (sorted(loaded), res["dirs"]))
    d.stop()

t.done()
