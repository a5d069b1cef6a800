"""Plugins that misbehave at run time (tests/plugins/hostile.c) cost one
failed analysis naming the plugin, never the daemon: each ends within its
time limit whatever it does (forks a process that keeps the result pipe,
writes to stdout, spams its result pipe or its progress, closes every
descriptor, allocates 30 GB, spins with every signal ignored, segfaults,
calls exit()); another client's pings are answered meanwhile; nothing it
started is left running; the only worker is free again afterwards.
Parameters never show on a child's command line. A built-in analysis runs
in a process of its own while another (a long built-in one, in a thread)
holds the igraph lock, with the same result as alone. The event loop never waits for the igraph lock, even to
free a view."""
import os
import threading
import time

from spandtest import TAP, Daemon, RpcError, uses_asan

t = TAP()

TIMEOUT_MS = 1500
MEMORY_MB = 128
PEOPLE = [{"id": f"p{i}", "sector": ("adults", "nhs", "children")[i % 3]}
          for i in range(30)]
RECORDS = [{"id": f"r{i}", "ts": 1700000000 + i, "from": f"p{i % 30}",
            "to": f"p{(i * 7 + 1) % 30}", "kind": "advice"}
           for i in range(200) if i % 30 != (i * 7 + 1) % 30]


def proc_stat(pid):
    """(comm, ppid) of pid, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    comm = stat[stat.find("(") + 1:stat.rfind(")")]
    return comm, int(stat[stat.rfind(")") + 2:].split()[1])


def pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def strays():
    """Processes a hostile plugin left behind (named hostile-stray)."""
    return [p for p in pids() if (proc_stat(p) or ("", 0))[0] ==
            "hostile-stray"]


def children(pid):
    return [p for p in pids() if (proc_stat(p) or ("", 0))[1] == pid]


def wait_for(pred, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    return pred()


class Background:
    """One analyse request on its own connection, answered in a thread."""

    def __init__(self, d, params):
        self.client = d.client(timeout=120)
        self.result = self.error = self.exc = None
        self.start = time.time()
        self.elapsed = None
        self.thread = threading.Thread(target=self._run, args=(params,),
                                       daemon=True)
        self.thread.start()

    def _run(self, params):
        try:
            self.result = self.client.call("analyse", params)
        except RpcError as e:
            self.error = e
        except Exception as e:  # noqa: BLE001 - reported as a failure
            self.exc = e
        self.elapsed = time.time() - self.start
        self.client.close()

    def wait(self, timeout):
        self.thread.join(timeout)
        return not self.thread.is_alive()


def ping_while(d, bg, budget):
    """Ping on another connection while bg runs; the slowest ping (s)."""
    slowest, n = 0.0, 0
    with d.client(timeout=30) as c:
        deadline = time.time() + budget
        while time.time() < deadline and (n == 0 or bg.thread.is_alive()):
            t0 = time.time()
            c.call("ping")
            slowest = max(slowest, time.time() - t0)
            n += 1
            time.sleep(0.01)
    return slowest, n


# do, expected reason (None: the analysis succeeds), most seconds
LIMIT = TIMEOUT_MS / 1000 + 3
CASES = [
    ("fork", None, LIMIT - 2),
    ("daemonize", None, LIMIT - 2),
    ("stdout", None, LIMIT),
    ("spam", "garbage", LIMIT),
    ("progress", ("garbage", "timeout"), LIMIT),
    ("closefds", "timeout", LIMIT),
    ("alloc", "memory", 30),
    ("signals", "timeout", LIMIT),
    ("segv", "crashed", LIMIT),
    ("exit", "crashed", LIMIT),
]

# One worker: a following analysis runs only if the worker was freed.
with Daemon({"analysis": {"timeout_ms": TIMEOUT_MS,
                          "memory_limit_mb": MEMORY_MB, "workers": 1}}) as d:
    d.add_plugin("hostile")
    d.start()
    d.call("ingest", {"people": PEOPLE, "records": RECORDS})
    pid = d.proc.pid
    for i, (what, reason, limit) in enumerate(CASES):
        bg = Background(d, {"plugin": "hostile", "params": {"do": what}})
        slowest, n = ping_while(d, bg, limit + 5)
        done = bg.wait(limit + 10)
        t.ok(done and bg.elapsed < limit,
             f"{what}: answered within {limit:g} s",
             f"took {bg.elapsed}, exception {bg.exc!r}")
        if reason is None:
            ok = bg.result is not None and \
                bg.result["tables"]["network"]["rows"][0][0] == 1
            t.ok(ok, f"{what}: the analysis succeeds",
                 f"result {bg.result!r} error {bg.error!r}")
        else:
            err = bg.error
            data = (err.data if err else None) or {}
            want = reason if isinstance(reason, tuple) else (reason,)
            if what == "alloc" and uses_asan(pid):
                # ASan's allocator refuses 30 GB and exits the child
                want = ("memory", "crashed")
            t.ok(err is not None and err.code == 1010 and
                 data.get("plugin") == "hostile" and
                 data.get("reason") in want and
                 "hostile" in (err.message or ""),
                 f"{what}: error 1010 naming the plugin, reason "
                 f"{'/'.join(want)}",
                 f"error {err!r} data {data!r} result {bg.result!r}")
            if what == "spam":
                t.ok("exceeds what the view can produce" in
                     data.get("detail", ""),
                     "spam: killed for output the view cannot produce",
                     data.get("detail"))
        t.ok(n >= 1 and slowest < 1.0,
             f"{what}: pings answered meanwhile ({n}, slowest "
             f"{slowest * 1000:.0f} ms)")
        t.ok(wait_for(lambda: not strays() and not children(pid), 5),
             f"{what}: nothing it started is left running",
             f"strays {strays()} children {children(pid)}")
        t.ok(d.proc.poll() is None, f"{what}: spand is still running",
             d.log()[-2000:])
        r = d.call("analyse", {"plugin": "hostile",
                               "params": {"do": "ok", "ms": i}})
        t.eq(r["tables"]["network"]["rows"][0][0], 1,
             f"{what}: the worker is free again (a following analysis runs)")

    # Parameters reach the child through a descriptor, not its arguments.
    secret = "s3cr3t-parameter-value"
    bg = Background(d, {"plugin": "hostile",
                        "params": {"do": "sleep", "ms": 1000,
                                   "secret": secret}})
    def cmdlines_of_children():
        """The children's command lines, once every one is the analysis
        child's: a child caught between its fork and its exec has an
        empty one, or still the daemon's."""
        lines = []
        for k in children(pid) or []:
            try:
                with open(f"/proc/{k}/cmdline", "rb") as f:
                    lines.append(f.read().replace(b"\0", b" ").decode())
            except OSError:
                return None
        ok = lines and all("analysis-child" in c for c in lines)
        return lines if ok else None

    cmdlines = wait_for(cmdlines_of_children, 5) or []
    t.ok(cmdlines and all("analysis-child" in c for c in cmdlines),
         "the analysis child is found", repr(cmdlines))
    t.ok(cmdlines and not any(secret in c or "sleep" in c for c in cmdlines),
         "no parameter on the child's command line", repr(cmdlines))
    bg.wait(10)
    t.ok(bg.result is not None, "... and the analysis got them",
         repr(bg.error))

# A trusted analysis (built in) while another holds the igraph lock for a
# long time (the holder: a built-in analysis in a thread) runs at once in
# a process of its own, with the same result, to the bit, as alone.
BIG_PEOPLE = [{"id": f"q{i}", "sector": ("adults", "nhs", "children")[i % 3]}
              for i in range(400)]
BIG_RECORDS = [{"ts": 1700000000 + i, "from": f"q{i % 400}",
                "to": f"q{(i * 37 + 11) % 400}", "kind": "advice",
                "weight": 1 + i % 5}
               for i in range(6000) if i % 400 != (i * 37 + 11) % 400]
# Exact weighted boundary_betweenness on one thread over 5,000 people and
# 150,000 ties holds the lock for about 20 s on a 2-core machine (the
# first use below needs it for about 5 s, the second for about 10 s; the
# unweighted run on 100,000 ties, used before, took 4.7 s once the plugin
# was made faster, too close); it is cancelled (its connection closed)
# when done with, so a longer hold costs nothing.
HOLD_PEOPLE = [{"id": f"h{i}", "sector": ("adults", "nhs", "children")[i % 3]}
               for i in range(5000)]
HOLD_RECORDS = [{"ts": 1600000000 + i, "from": f"h{i % 5000}",
                 "to": f"h{(i * 37 + 11 + i // 5000) % 5000}", "kind": "hold"}
                for i in range(150000)
                if i % 5000 != (i * 37 + 11 + i // 5000) % 5000]
HOLD = {"plugin": "boundary_betweenness", "kinds": ["hold"],
        "params": {"threads": 1, "weighted": True}}


def hold_lock(d):
    """Start the long built-in analysis; returns it once it runs, in a
    thread of the daemon (no analysis process runs it)."""
    h = Background(d, dict(HOLD))
    time.sleep(1.5)  # its view is built and it is running
    kids = []
    for k in children(d.proc.pid):
        try:
            with open(f"/proc/{k}/cmdline", "rb") as f:
                kids.append(f.read())
        except OSError:
            pass
    t.ok(h.thread.is_alive() and
         not any(b"boundary_betweenness" in c for c in kids),
         "the holder runs in a thread of the daemon", repr(kids))
    return h


with Daemon({"analysis": {"workers": 3, "cache_mb": 0,
                          "timeout_ms": 600000}}) as d:
    d.add_plugin("hostile")
    d.start()
    d.call("ingest", {"people": BIG_PEOPLE, "records": BIG_RECORDS})
    d.call("ingest", {"people": HOLD_PEOPLE})
    for k in range(0, len(HOLD_RECORDS), 10000):
        d.call("ingest", {"records": HOLD_RECORDS[k:k + 10000]})
    builtins = sorted(p["name"] for p in d.call("plugins")["plugins"]
                      if p["name"] != "hostile")
    t.ok(len(builtins) >= 8, "the built-in plugins are there", builtins)

    def answer(name):
        req = {"plugin": name, "boundary": "sector", "kinds": ["advice"]}
        if name in ("gate_opening", "change"):
            req["baseline"] = {"from": 1700000000, "to": 1700003000}
            req["window"] = {"from": 1700003000, "to": 1700006000}
        try:
            r = d.call("analyse", req)
        except RpcError as e:
            return {"error": e.code, "message": e.message}
        r.pop("elapsed_ms", None)
        r.pop("cached", None)
        return r

    alone = {name: answer(name) for name in builtins}
    t.ok(all("error" not in r for r in alone.values()),
         "every built-in answers alone",
         {k: v for k, v in alone.items() if "error" in v})
    holder = hold_lock(d)
    for name in builtins:
        t0 = time.time()
        meanwhile = answer(name)
        took = time.time() - t0
        t.ok(holder.thread.is_alive() and took < 2.0,
             f"{name} runs while the holder holds the igraph lock "
             f"({took:.2f} s)")
        t.eq(meanwhile, alone[name],
             f"{name}: the same answer as when run alone (every bit)")
    t.ok(holder.thread.is_alive(), "the holder still runs at the end",
         f"{holder.result!r} {holder.error!r}")
    holder.client.close()  # cancels it
    holder.wait(60)

    # The loop never waits for the igraph lock, not even to free a view.
    # A (isolated, 2.5 s) holds the only reference left to its view once
    # B has replaced it in the view cache (new data came); the holder then
    # holds the igraph lock while A ends: the loop drops A's view.
    window = {"from": 1700000000, "to": 1700005000}
    a = Background(d, {"plugin": "hostile", "window": window,
                       "params": {"do": "sleep", "ms": 2500}})
    time.sleep(0.5)
    d.call("ingest", {"records": [{"ts": 1700000001, "from": "q1",
                                   "to": "q2", "kind": "advice"}]})
    d.call("analyse", {"plugin": "hostile", "window": window,
                       "params": {"do": "ok"}})
    holder = hold_lock(d)
    slowest, n = ping_while(d, a, 8)
    t.ok(a.wait(10) and a.result is not None, "A ends well", repr(a.error))
    more, m = ping_while(d, holder, 1.5)
    slowest, n = max(slowest, more), n + m
    t.ok(n > 10 and slowest < 0.5,
         f"pings answered while the loop drops A's view and the lock is "
         f"held ({n}, slowest {slowest * 1000:.0f} ms)")
    t.ok(holder.thread.is_alive(), "the holder still held the lock then",
         f"{holder.elapsed} s: {holder.result and holder.result['view']} "
         f"{holder.error!r}")
    holder.client.close()
    holder.wait(60)
    t.ok(d.proc.poll() is None, "spand is still running")
    t.eq(d.stop(timeout=30), 0, "spand stops cleanly")

t.done()
