#!/usr/bin/env bash
# tests/bench/ingest.sh - ingest benchmark: `spanctl load records.csv`
# against sqlite3's `.import` of the same file, on the same machine, in
# the same run. Run by `make bench` (never by `make check`); see README.md
# beside this file.
#
# Both sides are durable when they finish: spand answers an ingest only
# after the transaction holding it has committed (WAL, synchronous=FULL,
# the daemon's default), and sqlite3 commits its single .import
# transaction with its defaults (rollback journal, synchronous=FULL).
# spand's time includes spanctl reading and parsing the CSV, the JSON-RPC
# round trips and the daemon's validation: what a user waits for.
#
# Environment (all optional):
#   SPAND_BIN, SPANCTL_BIN  binaries (default: ./spand and ./spanctl of the
#                           build tree: the working directory, as under
#                           `make bench`, else the source tree's top)
#   BENCH_RECORDS  records in the data set (default 1000000)
#   BENCH_SITES    case sites of the demo generator (default 100)
#   BENCH_SEED     generator seed (default 1)
#   BENCH_REPS     repetitions of each side, fresh daemon/db each (default 3)
#   BENCH_CACHE    where generated data sets are kept and reused
#                  (default BUILDDIR/bench-cache)
#   BENCH_WORKDIR  where the databases go (default BUILDDIR/bench-work,
#                  so on the build tree's file system, not a tmpfs /tmp)
#   SPAND_START_TIMEOUT  seconds to wait for the daemon's socket (30)

# `make bench` runs this with $(SHELL), which is /bin/sh: re-run under bash.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail
export LC_ALL=C # a decimal point in $EPOCHREALTIME and in printf

prog=ingest.sh
say() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() {
    printf '%s: error: %s\n' "$prog" "$*" >&2
    exit 1
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=$(cd "$here/../.." && pwd)
demo="$srcdir/contrib/spand-demo.py"

RECORDS=${BENCH_RECORDS:-1000000}
SITES=${BENCH_SITES:-100}
SEED=${BENCH_SEED:-1}
REPS=${BENCH_REPS:-3}
for v in RECORDS SITES SEED REPS; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "BENCH_$v must be a whole number, not '${!v}'"
done
[ "$REPS" -ge 1 ] || die "BENCH_REPS must be at least 1"
[ "$RECORDS" -ge 1 ] || die "BENCH_RECORDS must be at least 1"

# --- binaries and directories --------------------------------------------
if [ -n "${SPAND_BIN:-}" ] || [ -n "${SPANCTL_BIN:-}" ]; then
    if [ -z "${SPAND_BIN:-}" ] || [ -z "${SPANCTL_BIN:-}" ]; then
        die "set both SPAND_BIN and SPANCTL_BIN, or neither"
    fi
    spand=$SPAND_BIN
    spanctl=$SPANCTL_BIN
    builddir=$PWD
elif [ -x "$PWD/spand" ] && [ -x "$PWD/spanctl" ]; then
    builddir=$PWD
elif [ -x "$srcdir/spand" ] && [ -x "$srcdir/spanctl" ]; then
    builddir=$srcdir
else
    die "no spand and spanctl in $PWD or $srcdir: build first (make)," \
        "or set SPAND_BIN and SPANCTL_BIN"
fi
spand=${spand:-$builddir/spand}
spanctl=${spanctl:-$builddir/spanctl}
for b in "$spand" "$spanctl"; do
    [ -x "$b" ] || die "$b is not an executable file"
done
command -v sqlite3 >/dev/null || die "sqlite3 not found (apt-get install sqlite3)"
command -v python3 >/dev/null || die "python3 not found (apt-get install python3)"
[ -f "$demo" ] || die "$demo not found"

cache=${BENCH_CACHE:-$builddir/bench-cache}
workroot=${BENCH_WORKDIR:-$builddir/bench-work}
mkdir -p "$cache" "$workroot"

# --- cleanup: stop only what this script started ---------------------------
daemon_pid=
work=
sockdir=
cleanup() {
    local rc=$?
    if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
        kill -TERM "$daemon_pid" 2>/dev/null || true
        wait_gone "$daemon_pid" 100 || kill -KILL "$daemon_pid" 2>/dev/null || true
        wait "$daemon_pid" 2>/dev/null || true
    fi
    if [ "$rc" -ne 0 ] && [ -n "$work" ]; then
        if [ -s "$work/spand.log" ]; then
            say "last lines of the daemon's log ($work/spand.log):"
            tail -n 20 "$work/spand.log" >&2
        fi
        say "the failed run's directory is kept: $work"
    elif [ -n "$work" ]; then
        rm -rf "$work"
    fi
    [ -z "$sockdir" ] || rm -rf "$sockdir"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_gone PID TENTHS: true once PID has exited within TENTHS x 0.1 s.
wait_gone() {
    local n=0
    while kill -0 "$1" 2>/dev/null; do
        [ "$n" -lt "$2" ] || return 1
        sleep 0.1
        n=$((n + 1))
    done
}

now() { printf '%s\n' "$EPOCHREALTIME"; }
# secs T0 T1: elapsed seconds with millisecond precision.
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
    END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# --- the data set, generated once and reused ------------------------------
# The stamp holds the flags and a hash of the generator, so that a changed
# generator or other flags never reuse a stale data set.
flags=(--seed "$SEED" --sites "$SITES" --records "$RECORDS")
data="$cache/demo-seed$SEED-sites$SITES-records$RECORDS"
stamp="flags: ${flags[*]}; generator sha256: $(sha256sum "$demo" | cut -d' ' -f1)"
if [ -f "$data/stamp" ] && [ "$(cat "$data/stamp")" = "$stamp" ] &&
    [ -f "$data/people.csv" ] && [ -f "$data/records.csv" ]; then
    say "reusing the data set in $data"
else
    say "generating the data set: spand-demo.py ${flags[*]}"
    rm -rf "$data" "$data.tmp"
    t0=$(now)
    python3 "$demo" -q "${flags[@]}" "$data.tmp" || die "spand-demo.py failed"
    t1=$(now)
    printf '%s\n' "$stamp" >"$data.tmp/stamp"
    mv "$data.tmp" "$data"
    say "generated in $(secs "$t0" "$t1") s"
fi
records_csv="$data/records.csv"
nrows=$(($(wc -l <"$records_csv") - 1))
[ "$nrows" -eq "$RECORDS" ] ||
    die "$records_csv has $nrows records, expected $RECORDS"

# --- spand ----------------------------------------------------------------
# The socket lives in a short directory under /tmp: a Unix socket path is
# limited to 107 bytes, and a build tree's path can be long.
start_daemon() {
    work=$(mktemp -d "$workroot/spand.XXXXXX")
    sockdir=$(mktemp -d /tmp/spand-bench.XXXXXX)
    sock="$sockdir/s"
    cat >"$work/spand.conf" <<EOF
# written by tests/bench/ingest.sh; [store] synchronous is left at its
# default (FULL), so an acknowledged ingest is on disk.
[daemon]
socket = $sock
database = $work/spand.db
EOF
    (cd "$work" && exec "$spand" -f -c "$work/spand.conf") \
        >"$work/spand.log" 2>&1 &
    daemon_pid=$!
    local timeout=${SPAND_START_TIMEOUT:-30} n=0
    until "$spanctl" -s "$sock" ping >/dev/null 2>&1; do
        kill -0 "$daemon_pid" 2>/dev/null ||
            die "spand exited during start-up (log: $work/spand.log)"
        [ "$n" -lt $((timeout * 10)) ] ||
            die "spand did not answer ping on $sock within $timeout s"
        sleep 0.1
        n=$((n + 1))
    done
}

stop_daemon() {
    "$spanctl" -s "$sock" shutdown >/dev/null || die "spanctl shutdown failed"
    wait_gone "$daemon_pid" 600 ||
        die "spand did not exit within 60 s of shutdown"
    local rc=0
    wait "$daemon_pid" || rc=$?
    daemon_pid=
    [ "$rc" -eq 0 ] || die "spand exited with status $rc after shutdown"
    rm -rf "$work" "$sockdir"
    work=
    sockdir=
}

# status_field NAME: a top-level number from `spanctl call status`.
status_field() {
    "$spanctl" -s "$sock" call status | python3 -c '
import json, sys
text = sys.stdin.read()
try:
    doc = json.loads(text)
    doc = doc.get("result", doc)   # the raw response or just its result
    print(doc[sys.argv[1]])
except (ValueError, AttributeError, KeyError):
    sys.exit("no %s in the output of spanctl call status: %.200r"
             % (sys.argv[1], text))' "$1"
}

# One spand run: sets elapsed to the seconds `spanctl load records.csv`
# took. (Not printed for $(...): a command substitution is a subshell, and
# a failure there would leave the daemon running behind the EXIT trap.)
run_spand() {
    start_daemon
    "$spanctl" -s "$sock" load "$data/people.csv" >"$work/load-people.out" 2>&1 ||
        die "spanctl load people.csv failed: $(tail -n 3 "$work/load-people.out")"
    local t0 t1
    t0=$(now)
    "$spanctl" -s "$sock" load "$records_csv" >"$work/load-records.out" 2>&1 ||
        die "spanctl load records.csv failed: $(tail -n 3 "$work/load-records.out")"
    t1=$(now)
    # A fast load that stored less is not a result: check the count.
    local stored
    stored=$(status_field records) || die "spanctl call status failed"
    [ "$stored" = "$RECORDS" ] ||
        die "spand stored $stored records, expected $RECORDS" \
            "(spanctl said: $(tail -n 3 "$work/load-records.out"))"
    if [ -z "$spand_version" ]; then
        spand_version=$("$spanctl" -s "$sock" call ping 2>/dev/null |
            python3 -c '
import json, sys
doc = json.load(sys.stdin)
print(doc.get("result", doc)["version"])' 2>/dev/null) || spand_version=unknown
    fi
    stop_daemon
    elapsed=$(secs "$t0" "$t1")
}

# --- sqlite3 --------------------------------------------------------------
# One sqlite3 run: sets elapsed to the seconds .import took.
run_sqlite() {
    local dir db t0 t1 stored
    dir=$(mktemp -d "$workroot/sqlite.XXXXXX")
    db="$dir/records.db"
    sqlite3 "$db" 'CREATE TABLE records(id TEXT PRIMARY KEY, ts, "from",
        "to", kind, weight, directed);'
    t0=$(now)
    sqlite3 "$db" ".import --csv --skip 1 '$records_csv' records" ||
        die "sqlite3 .import failed"
    t1=$(now)
    stored=$(sqlite3 "$db" 'SELECT count(*) FROM records;')
    [ "$stored" = "$RECORDS" ] ||
        die "sqlite3 stored $stored records, expected $RECORDS"
    rm -rf "$dir"
    elapsed=$(secs "$t0" "$t1")
}

# --- the runs ---------------------------------------------------------------
loadavg=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== ingest: $RECORDS records, $REPS runs each, fresh database each run =="
printf '%-4s %12s %14s %12s %14s\n' run spand_s spand_rec/s sqlite3_s sqlite3_rec/s
spand_version=
spand_rates=()
sqlite_rates=()
for i in $(seq "$REPS"); do
    run_spand
    s1=$elapsed
    run_sqlite
    s2=$elapsed
    r1=$(rate "$RECORDS" "$s1")
    r2=$(rate "$RECORDS" "$s2")
    spand_rates+=("$r1")
    sqlite_rates+=("$r2")
    printf '%-4s %12s %14s %12s %14s\n' "$i" "$s1" "$r1" "$s2" "$r2"
done
m1=$(median "${spand_rates[@]}")
m2=$(median "${sqlite_rates[@]}")
ratio=$(awk -v a="$m1" -v b="$m2" 'BEGIN { printf "%.3f", a / b }')
echo
# --- the machine, then the result ---------------------------------------------
echo "== machine =="
echo "cpu:        $(nproc) x $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
echo "memory:     $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
os=$(sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release 2>/dev/null) || os=
echo "os:         ${os:-unknown}, kernel $(uname -r)"
echo "spand:      $spand (version $spand_version)"
echo "sqlite3:    $(sqlite3 --version | cut -d' ' -f1,2)"
echo "python3:    $(python3 --version 2>&1 | cut -d' ' -f2)"
echo "databases:  $workroot ($(df --output=fstype "$workroot" | tail -n 1) file system)"
echo "load avg:   $loadavg (at start; other work on the machine skews the times)"
echo "data set:   $records_csv"
echo "            $RECORDS records, $(du -m "$records_csv" | cut -f1) MiB," \
    "flags ${flags[*]}"
echo
echo "spand (spanctl load):   median $m1 records/s"
echo "sqlite3 .import:        median $m2 records/s"
echo "ratio spand/sqlite3:    $ratio"
