"""`make install` puts a systemd unit with the configured paths and a
working config where the unit looks for it; the unit is hardened
(SystemCallFilter=@system-service, ProtectKernel*) and, where
systemd-analyze runs, scores "OK" or better."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

from spandtest import TAP, BUILDDIR, SPAND, SPANCTL

t = TAP()
tmp = tempfile.mkdtemp(prefix="spand-install-")
dest = os.path.join(tmp, "dest")


def install():
    return subprocess.run(["make", "-s", "-C", BUILDDIR, "install",
                           f"DESTDIR={dest}"], capture_output=True, text=True,
                          timeout=600)


r = install()
t.ok(r.returncode == 0, "make install DESTDIR=...", r.stderr[-2000:])
units = [os.path.join(d, f) for d, _, fs in os.walk(dest) for f in fs
         if f == "spand.service"]
t.eq([os.path.relpath(u, dest).split(os.sep)[-4:] for u in units],
     [["lib", "systemd", "system", "spand.service"]],
     "one unit, in PREFIX/lib/systemd/system")
unit = open(units[0]).read() if units else ""
t.eq(re.findall(r"@[a-z_]+@", unit), [], "no @placeholder@ left in the unit")
m = re.search(r"(?m)^ExecStart=(\S+) -f -c (\S+)$", unit)
t.ok(m is not None, "ExecStart runs spand -f -c CONFIG", unit)
exe, conf = m.groups() if m else ("", "")
t.ok(exe.endswith("/sbin/spand") and
     os.access(dest + exe, os.X_OK), f"ExecStart's {exe} is installed")
t.ok(conf.endswith("/spand/spand.conf") and os.path.isfile(dest + conf),
     f"the unit's config {conf} is installed")
t.ok(os.path.isdir(os.path.join(os.path.dirname(dest + conf), "plugins")),
     "its site plugin directory is made")
for key in ("SystemCallFilter=@system-service", "ProtectKernelTunables=yes",
            "ProtectKernelModules=yes", "ProtectKernelLogs=yes",
            "Type=notify", "StateDirectory=spand", "RuntimeDirectory=spand"):
    t.ok(f"\n{key}\n" in unit, f"the unit has {key}")

# The installed config works: with the directories systemd would make
# (/run/spand, /var/lib/spand) moved into tmp, spand starts and answers.
text = open(dest + conf).read() if conf else ""
t.ok("/run/spand/spand.sock" in text and "/var/lib/spand/spand.db" in text,
     "the config puts the socket and database where the unit lets it write")
run, lib = os.path.join(tmp, "run"), os.path.join(tmp, "lib")
os.makedirs(run)
os.makedirs(lib)
moved = os.path.join(os.path.dirname(dest + conf), "moved.conf")
with open(moved, "w") as f:
    f.write(text.replace("/run/spand", run).replace("/var/lib/spand", lib))
r = subprocess.run([SPAND, "-t", "-c", moved], capture_output=True,
                   text=True)
t.ok(r.returncode == 0 and "# configuration OK" in r.stdout,
     "spand -t: the installed config is OK", r.stdout[-500:] + r.stderr)
p = subprocess.Popen([SPAND, "-f", "-c", moved], stdout=subprocess.DEVNULL,
                     stderr=subprocess.PIPE, text=True)
sock = os.path.join(run, "spand.sock")
for _ in range(300):
    if os.path.exists(sock) or p.poll() is not None:
        break
    time.sleep(0.05)
r = subprocess.run([SPANCTL, "-s", sock, "ping"], capture_output=True,
                   text=True, timeout=60)
t.ok(r.returncode == 0, "spand runs with it and answers spanctl ping",
     r.stderr)
p.send_signal(signal.SIGTERM)
t.eq(p.wait(timeout=60), 0, "and stops cleanly")
os.unlink(moved)

# A second install keeps a config the administrator changed.
with open(dest + conf, "a") as f:
    f.write("; changed by the administrator\n")
r = install()
t.ok(r.returncode == 0 and open(dest + conf).read().endswith(
    "; changed by the administrator\n"), "make install keeps an edited config")

sa = shutil.which("systemd-analyze")
if not sa:
    t.ok(True, "# SKIP systemd-analyze not installed")
else:
    r = subprocess.run([sa, "security", "--offline=yes", units[0]],
                       capture_output=True, text=True, timeout=120)
    m = re.search(r"Overall exposure level for spand.service: ([\d.]+) (\w+)",
                  r.stdout)
    if r.returncode != 0 and not m:
        t.ok(True, "# SKIP systemd-analyze security --offline=yes does not "
             "run here: " + r.stderr.strip()[:200])
    else:
        t.ok(m and m.group(2) in ("PERFECT", "SAFE", "OK"),
             f"systemd-analyze security: {m.group(1) if m else '?'} "
             f"{m.group(2) if m else '?'} (OK or better)", r.stdout[-3000:])
shutil.rmtree(tmp, ignore_errors=True)
t.done()
