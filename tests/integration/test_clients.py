"""The client snippets in contrib/clients: Python (socket) and R (through
spanctl), against a real daemon."""
import os
import shutil
import subprocess
import sys

from spandtest import SPANCTL, SRCDIR, TAP, Daemon

sys.path.insert(0, os.path.join(SRCDIR, "contrib", "clients"))
from spand_client import Spand, SpandError  # noqa: E402

t = TAP()
with Daemon() as d:
    d.add_plugin("viewdump")
    d.start()
    with Spand(d.socket) as s:
        t.eq(s.call("ping")["abi"]["major"], 1, "python client: ping")
        s.call("ingest", {"people": [{"id": "a", "sector": "x"},
                                     {"id": "b", "sector": "y"}],
                          "records": [{"ts": 1, "from": "a", "to": "b",
                                       "kind": "k"}]})
        seen = []
        r = s.call("analyse", {"plugin": "viewdump", "progress": True},
                   on_progress=seen.append)
        t.eq(seen, [0.5], "python client: progress callback")
        rows = s.table(r, "vertex")
        t.eq([(x["id"], x["out"]) for x in rows], [("a", 1), ("b", 0)],
             "python client: table as dicts")
        try:
            s.call("person", {"id": "nobody"})
            t.ok(False, "python client raises on errors")
        except SpandError as e:
            t.eq(e.code, 1004, "python client: SpandError carries the code")

    rscript = shutil.which("Rscript")
    t.ok(rscript is not None, "Rscript is installed (r-base via r-cran-sna)")
    if rscript:
        prog = f"""
source("{SRCDIR}/contrib/clients/spand.R")
st <- spand_call("status", socket = "{d.socket}", spanctl = "{SPANCTL}")
cat("records", st$records, "\\n")
v <- spand_table(spand_call("analyse", list(plugin = "viewdump"),
                            socket = "{d.socket}", spanctl = "{SPANCTL}"))
cat("ids", paste(v$id, collapse = ","), "\\n")
r <- tryCatch(spand_call("person", list(id = "nobody"),
                         socket = "{d.socket}", spanctl = "{SPANCTL}"),
              error = function(e) "error")
cat("missing", r, "\\n")
"""
        out = subprocess.run([rscript, "-e", prog], capture_output=True,
                             text=True, timeout=120)
        t.ok("records 1" in out.stdout, "R client: status", out.stderr)
        t.ok("ids a,b" in out.stdout, "R client: analyse as a data frame",
             out.stdout + out.stderr)
        t.ok("missing error" in out.stdout, "R client: errors stop()",
             out.stdout)
t.done()
