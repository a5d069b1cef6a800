#!/usr/bin/env bash
# tests/bench/run.sh - spand's benchmark suite (issue 5): every benchmark
# side by side with its peer in the same run, each figure the median of
# several repeats, the machine recorded, and a Markdown table of figures,
# ratios and targets written to bench-results.md in the build tree and to
# stdout. See README.md beside this file for what each row measures.
#
# Usage: tests/bench/run.sh [--quick | --full] [--reps N] [--only ROWS]
#                           [--no-install] [--output FILE] [--keep]
#   --quick       small sizes, one repeat: a smoke run of a few minutes
#   --full        the sizes of issue 5 (the default; takes an hour or more,
#                 most of it loading and rebuilding a 10M-record store)
#   --reps N      repeats of every measurement (default 3, --quick 1)
#   --only ROWS   comma-separated subset of: ingest, viewbuild, memory,
#                 incremental, brokerage, holes, betweenness, queries,
#                 latency, concurrency, concurrency_latency,
#                 bb_speed (issue 10: boundary_betweenness at small sizes
#                 and exact at 20k/200k), departure, qap (issue 11:
#                 change's QAP against sna::qaptest), within (issue 10:
#                 the report's analyses --within site, 150 sites)
#   --no-install  do not apt-get install missing peers (rows needing them
#                 are then marked failed)
#   --output FILE where to write the Markdown (default
#                 BUILDDIR/bench-results.md)
#   --keep        keep the run's work directory (databases, logs)
#
# Environment: SPAND_BIN, SPANCTL_BIN (both or neither; default ./spand and
# ./spanctl of the build tree: the working directory, else the source
# tree's top), BENCH_CACHE (generated data sets, default
# BUILDDIR/bench-cache), BENCH_WORKDIR (databases, default
# BUILDDIR/bench-work, on the build tree's file system rather than a tmpfs
# /tmp), BENCH_PEER_TIMEOUT (seconds any one peer command may take, default
# 3600), SPAND_START_TIMEOUT (seconds to wait for a daemon, default 60).
#
# The peers come from Debian's packages; missing ones are installed with
# apt-get when run as root (r-cran-sna python3-networkx python3-igraph
# sqlite3 redis-server redis-tools hyperfine). The Python peers run under
# Debian's /usr/bin/python3.
#
# Robustness: each row runs in its own subshell; a row that fails is
# marked "failed" in the table with its error, and the suite goes on. Every
# process the suite starts (daemons, redis-server, load generators) is
# recorded with its PID and stopped by that PID, never by name; the work
# directory is removed at the end.

# `make bench` runs this with $(SHELL), which is /bin/sh: re-run under bash.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -uo pipefail
shopt -s inherit_errexit
export LC_ALL=C

prog=run.sh
PY=/usr/bin/python3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=$(cd "$here/../.." && pwd)
demo="$srcdir/contrib/spand-demo.py"
PKGS=(r-cran-sna python3-networkx python3-igraph sqlite3 redis-server
      redis-tools hyperfine)

say() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() {
    printf '%s: error: %s\n' "$prog" "$*" >&2
    # inside a row: keep the reason for the table
    [ -z "${ROW_ERRFILE:-}" ] || printf '%s\n' "$*" >>"$ROW_ERRFILE"
    exit 1
}
usage() {
    sed -n '/^# Usage:/,/^#   --keep/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit "${1:-0}"
}

# --- options ----------------------------------------------------------------
MODE=full
REPS=
ONLY=
INSTALL=1
OUT=
KEEP=0
while [ $# -gt 0 ]; do
    case $1 in
    --quick) MODE=quick ;;
    --full) MODE=full ;;
    --reps) [ $# -ge 2 ] || usage 2; REPS=$2; shift ;;
    --reps=*) REPS=${1#*=} ;;
    --only) [ $# -ge 2 ] || usage 2; ONLY=$2; shift ;;
    --only=*) ONLY=${1#*=} ;;
    --no-install) INSTALL=0 ;;
    --output) [ $# -ge 2 ] || usage 2; OUT=$2; shift ;;
    --output=*) OUT=${1#*=} ;;
    --keep) KEEP=1 ;;
    -h | --help) usage 0 ;;
    *) say "unknown argument: $1"; usage 2 ;;
    esac
    shift
done
ALL_ROWS="ingest viewbuild memory incremental brokerage holes betweenness queries latency concurrency concurrency_latency"
ALL_ROWS+=" bb_speed" # issue 10
ALL_ROWS+=" departure" # issue 10: row_departure
ALL_ROWS+=" qap" # issue 11: row_qap
ALL_ROWS+=" within" # issue 10: row_within
if [ -n "$ONLY" ]; then
    for r in ${ONLY//,/ }; do
        [[ " $ALL_ROWS " == *" $r "* ]] || die "--only: unknown row '$r' (rows: $ALL_ROWS)"
    done
fi

# Sizes. People:ties for the synthetic graphs; records for the demo data.
if [ "$MODE" = quick ]; then
    REPS=${REPS:-1}
    INGEST_N=100000
    VB_SIZES=(100000 1000000)
    BIG_N=1000000            # incremental and memory
    BROK=20000:200000
    HOLES=(500:5000 2000:20000)
    HOLES_NX=500:5000
    BB_BIG=2000:20000
    BB_NX=500:5000
    BB_SAMPLE=200
    Q_N=20000
    LAT_GRAPH=20000:200000
    LAT_LOAD=100000
    LAT_PARAMS='{"sample":2000}'
    LAT_IDLE_S=3
    CONC_SAMPLE=40
else
    REPS=${REPS:-3}
    INGEST_N=1000000
    VB_SIZES=(1000000 10000000)
    BIG_N=10000000
    BROK=20000:200000
    HOLES=(2000:20000 20000:200000)
    HOLES_NX=2000:20000
    BB_BIG=20000:200000
    BB_NX=2000:20000
    BB_SAMPLE=1000
    Q_N=200000
    LAT_GRAPH=20000:200000
    LAT_LOAD=1000000
    LAT_PARAMS='{}'
    LAT_IDLE_S=10
    CONC_SAMPLE=100
fi
[[ $REPS =~ ^[0-9]+$ ]] && [ "$REPS" -ge 1 ] || die "--reps must be a whole number >= 1"
# Measurements of a few milliseconds (structural holes: spand and igraph)
# are noisy on a shared machine: they take the median of more runs.
FAST_REPS=$((REPS * 5))
PEER_TIMEOUT=${BENCH_PEER_TIMEOUT:-3600}
START_TIMEOUT=${SPAND_START_TIMEOUT:-60}
PROBE_US=5000  # the latency probe: one ping every 5 ms

# --- binaries and directories ------------------------------------------------
if [ -n "${SPAND_BIN:-}" ] || [ -n "${SPANCTL_BIN:-}" ]; then
    [ -n "${SPAND_BIN:-}" ] && [ -n "${SPANCTL_BIN:-}" ] ||
        die "set both SPAND_BIN and SPANCTL_BIN, or neither"
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
spand=$(realpath "${spand:-$builddir/spand}")
spanctl=$(realpath "${spanctl:-$builddir/spanctl}")
for b in "$spand" "$spanctl"; do
    [ -x "$b" ] || die "$b is not an executable file"
done
plugdir=$(dirname "$spand")/plugins/.libs
[ -d "$plugdir" ] || plugdir=$builddir/plugins/.libs
[ -f "$plugdir/mixing.so" ] ||
    die "no built-in plugins in $plugdir (build first: make)"
[ -f "$demo" ] || die "$demo not found"
[ -x "$PY" ] || die "$PY (Debian's python3) not found"
OUT=${OUT:-$builddir/bench-results.md}
LOG=${OUT%.md}.log
cache=${BENCH_CACHE:-$builddir/bench-cache}
workroot=${BENCH_WORKDIR:-$builddir/bench-work}
mkdir -p "$cache" "$workroot" || die "cannot create $cache or $workroot"
cache=$(realpath "$cache")
workroot=$(realpath "$workroot")

# --- the run's directories and cleanup ------------------------------------------
RUN=$(mktemp -d "$workroot/run.XXXXXX") || die "mktemp in $workroot failed"
# Unix socket paths are limited to 107 bytes: sockets live in a short dir.
SOCKROOT=$(mktemp -d /tmp/spb.XXXXXX) || die "mktemp in /tmp failed"
RESULTS=$RUN/results.tsv
: >"$RESULTS"
: >"$RUN/pids"
: >"$LOG"
# Everything said on stderr also goes to the log beside the results.
exec 2> >(tee -a "$LOG" >&2)

# kill_ours PID MARKER: stop PID if it is still the process we started
# (its command line contains MARKER, so a recycled PID is left alone).
kill_ours() {
    local pid=$1 marker=$2 n=0
    [ -r "/proc/$pid/cmdline" ] || return 0
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker" ||
        return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    while [ -d "/proc/$pid" ] && [ "$n" -lt 300 ]; do
        # a zombie child of ours is gone for our purposes
        [ "$(awk '/^State:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)" = Z ] && break
        sleep 0.1
        n=$((n + 1))
    done
    if [ -d "/proc/$pid" ] &&
        [ "$(awk '/^State:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)" != Z ]; then
        say "PID $pid did not stop on SIGTERM within 30 s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
}

# register PID MARKER: remember a process this suite started.
register() { printf '%s %s\n' "$1" "$2" >>"$RUN/pids"; }

final_cleanup() {
    local rc=$? pid marker n=0
    if [ -s "$RUN/pids" ]; then
        while read -r pid marker; do
            kill_ours "$pid" "$marker"
        done <"$RUN/pids"
    fi
    if [ -n "$ROW_PID" ]; then
        # the row's foreground work fails now that its processes are gone
        while kill -0 "$ROW_PID" 2>/dev/null && [ "$n" -lt 100 ]; do
            sleep 0.1
            n=$((n + 1))
        done
        kill -KILL "$ROW_PID" 2>/dev/null || true
    fi
    rm -rf "$SOCKROOT"
    if [ "$KEEP" = 1 ]; then
        say "work directory kept: $RUN"
    else
        rm -rf "$RUN"
    fi
    exit "$rc"
}
ROW_PID=
# on_signal STATUS: stop the running row (its own cleanup stops what it
# started), then leave; final_cleanup stops anything left.
on_signal() {
    trap '' INT TERM
    if [ -n "$ROW_PID" ] && kill -0 "$ROW_PID" 2>/dev/null; then
        say "interrupted: stopping the running row"
        kill -TERM "$ROW_PID" 2>/dev/null || true
    fi
    exit "$1"
}
trap final_cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

# --- small helpers ------------------------------------------------------------
now() { printf '%s\n' "$EPOCHREALTIME"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
    END { if (NR == 0) print "nan"; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# calc EXPR [name=value ...]: awk arithmetic, printed with %.6g.
calc() {
    local expr=$1
    shift
    local args=()
    for a in "$@"; do args+=(-v "$a"); done
    awk "${args[@]}" "BEGIN { printf \"%.6g\", ($expr) }"
}
# fmt_ms MS: a time in ms or s, 3 significant digits.
fmt_ms() {
    awk -v x="$1" 'BEGIN {
        if (x >= 10000) printf "%.1f s", x / 1000;
        else if (x >= 1000) printf "%.2f s", x / 1000;
        else if (x >= 100) printf "%.0f ms", x;
        else if (x >= 10) printf "%.1f ms", x;
        else printf "%.2f ms", x }'
}
fmt_x() { awk -v x="$1" 'BEGIN { if (x >= 100) printf "%.0f×", x;
    else if (x >= 10) printf "%.1f×", x; else printf "%.2f×", x }'; }
fmt_int() { awk -v x="$1" 'BEGIN { printf "%.0f", x }' | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
# mib KIB: "12.3 MiB"
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
# human N: 20000 -> 20k, 1000000 -> 1M
human() { awk -v n="$1" 'BEGIN {
    if (n >= 1e6 && n % 1e6 == 0) printf "%dM", n / 1e6;
    else if (n >= 1e3 && n % 1e3 == 0) printf "%dk", n / 1e3;
    else printf "%d", n }'; }
# jget JSON KEY...: a value from a JSON text ("a.b" paths; lists index).
jget() {
    "$PY" -c '
import json, sys
d = json.loads(sys.argv[1])
for k in sys.argv[2].split("."):
    d = d[int(k)] if isinstance(d, list) else d[k]
print(json.dumps(d) if isinstance(d, (dict, list)) else d)' "$1" "$2"
}
# jmedian JSON KEY: the median of a list of numbers in a JSON text.
jmedian() {
    local xs
    read -r -a xs <<<"$(jget "$1" "$2" | tr -d '[],')"
    median "${xs[@]}"
}
# kv LINE KEY: a value from loadgen's key=value line.
kv() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# result ORDER STEP SIZE SPAND PEER RATIO TARGET MET NOTE: one table row.
result() {
    local f
    local IFS=
    local line=$1
    shift
    for f in "$@"; do line+=$'\t'${f//$'\t'/ }; done
    printf '%s\n' "${line//$'\n'/ }" >>"$RESULTS"
}

# --- peers: Debian packages ------------------------------------------------------
pkg_ok() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
install_peers() {
    local missing=() p
    command -v dpkg-query >/dev/null || {
        say "dpkg-query not found: not a Debian system; the peers must be" \
            "installed by hand (${PKGS[*]})"
        return 0
    }
    for p in "${PKGS[@]}"; do pkg_ok "$p" || missing+=("$p"); done
    [ ${#missing[@]} -gt 0 ] || { say "peers installed: ${PKGS[*]}"; return 0; }
    if [ "$INSTALL" = 0 ]; then
        say "missing peers (not installing, --no-install): ${missing[*]}"
        return 0
    fi
    if [ "$(id -u)" != 0 ]; then
        say "*** missing Debian packages: ${missing[*]}"
        say "*** installing them needs root: run this suite as root, or first:"
        say "***   sudo apt-get install -y ${missing[*]}"
        say "*** the rows that need them will be marked failed"
        return 0
    fi
    say "installing the peers: apt-get install -y ${missing[*]}"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" \
        >"$RUN/apt.log" 2>&1; then
        say "apt-get install failed; trying apt-get update first"
        DEBIAN_FRONTEND=noninteractive apt-get update >>"$RUN/apt.log" 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" \
            >>"$RUN/apt.log" 2>&1 ||
            say "apt-get install failed (see below); rows needing the peers will fail:" \
                "$(tail -n 5 "$RUN/apt.log")"
    fi
}
need_pkg() {
    local p
    for p in "$@"; do pkg_ok "$p" || die "Debian package $p is missing" \
        "(apt-get install -y $p, as root)"; done
}

# --- the load generator (C) ----------------------------------------------------------
LOADGEN=$RUN/loadgen
build_loadgen() {
    local cc=${CC:-cc}
    command -v "$cc" >/dev/null || cc=gcc
    "$cc" -O2 -Wall -o "$LOADGEN" "$here/loadgen.c" 2>"$RUN/loadgen.cc.log" ||
        say "cannot build tests/bench/loadgen.c: $(tail -n 3 "$RUN/loadgen.cc.log")"
}

# --- data sets (generated once, kept in the cache) ---------------------------------------
# demo_data SITES RECORDS: sets DATA to a spand-demo.py data set (the same
# directory and stamp as ingest.sh, so each reuses the other's).
demo_data() {
    local sites=$1 records=$2 t0 t1
    local flags=(--seed 1 --sites "$sites" --records "$records")
    DATA="$cache/demo-seed1-sites$sites-records$records"
    local stamp
    stamp="flags: ${flags[*]}; generator sha256: $(sha256sum "$demo" | cut -d' ' -f1)"
    if [ -f "$DATA/stamp" ] && [ "$(cat "$DATA/stamp")" = "$stamp" ] &&
        [ -f "$DATA/people.csv" ] && [ -f "$DATA/records.csv" ]; then
        return 0
    fi
    say "generating demo data: spand-demo.py ${flags[*]}"
    rm -rf "$DATA" "$DATA.tmp.$$"
    t0=$(now)
    "$PY" "$demo" -q "${flags[@]}" "$DATA.tmp.$$" || die "spand-demo.py failed"
    t1=$(now)
    printf '%s\n' "$stamp" >"$DATA.tmp.$$/stamp"
    mv "$DATA.tmp.$$" "$DATA"
    say "generated in $(secs "$t0" "$t1") s"
}

# graph_data PEOPLE:TIES: sets GRAPH to a gengraph.py data set.
graph_data() {
    local p=${1%:*} t=${1#*:}
    GRAPH="$cache/graph-p$p-t$t-seed1"
    local stamp
    stamp="people $p ties $t seed 1; generator sha256: $(sha256sum "$here/gengraph.py" | cut -d' ' -f1)"
    if [ -f "$GRAPH/stamp" ] && [ "$(cat "$GRAPH/stamp")" = "$stamp" ]; then
        return 0
    fi
    say "generating a graph of $p people and $t ties"
    rm -rf "$GRAPH" "$GRAPH.tmp.$$"
    "$PY" "$here/gengraph.py" --people "$p" --ties "$t" --seed 1 \
        "$GRAPH.tmp.$$" || die "gengraph.py failed"
    printf '%s\n' "$stamp" >"$GRAPH.tmp.$$/stamp"
    mv "$GRAPH.tmp.$$" "$GRAPH"
}

# --- spand daemons ------------------------------------------------------------------------
# start_spand NAME [DB [RESULT_CACHE_MB]]: a daemon in a new directory under
# the run (database DB, default a new one there). Sets SP_PID, SP_SOCK,
# SP_DIR, SP_CONF. RESULT_CACHE_MB 0 turns the result cache off, so that a
# repeated analyse is computed again (the view cache stays on).
SP_PID=
start_spand() {
    local name=$1 db=${2:-} cmb=${3:-256} n=0
    SP_DIR=$(mktemp -d "$RUN/$name.XXXXXX")
    db=${db:-$SP_DIR/spand.db}
    SP_SOCK="$SOCKROOT/$(basename "$SP_DIR").sock"
    SP_CONF=$SP_DIR/spand.conf
    cat >"$SP_CONF" <<EOF
# written by tests/bench/run.sh; store settings are the defaults
# (WAL, synchronous = FULL).
[daemon]
socket = $SP_SOCK
database = $db
log_level = notice
[analysis]
timeout_ms = 86400000
cache_mb = $cmb
[plugins]
dir = $SP_DIR/plugins
builtin_dir = $plugdir
EOF
    (cd "$SP_DIR" && exec "$spand" -f -c "$SP_CONF") >"$SP_DIR/spand.log" 2>&1 &
    SP_PID=$!
    register "$SP_PID" "$SP_CONF"
    ROW_PIDS+=("$SP_PID $SP_CONF")
    until "$spanctl" -s "$SP_SOCK" ping >/dev/null 2>&1; do
        kill -0 "$SP_PID" 2>/dev/null ||
            die "spand exited during start-up: $(tail -n 3 "$SP_DIR/spand.log")"
        [ "$n" -lt $((START_TIMEOUT * 10)) ] ||
            die "spand did not answer ping within $START_TIMEOUT s"
        sleep 0.1
        n=$((n + 1))
    done
}

stop_spand() {
    [ -n "$SP_PID" ] || return 0
    local n=0
    "$spanctl" -s "$SP_SOCK" shutdown >/dev/null 2>&1 || true
    while kill -0 "$SP_PID" 2>/dev/null && [ "$n" -lt 3000 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    if kill -0 "$SP_PID" 2>/dev/null; then
        say "spand (PID $SP_PID) did not stop within 300 s of shutdown"
        kill_ours "$SP_PID" "$SP_CONF"
    fi
    wait "$SP_PID" 2>/dev/null || true
    SP_PID=
}

# rpc METHOD [PARAMS] [rpc.py options]: one timed call (see rpc.py).
rpc() { "$PY" "$here/rpc.py" "$SP_SOCK" "$@"; }

# hwm_kb / rss_kb: the daemon's peak and current resident set, KiB.
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$SP_PID/status"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$SP_PID/status"; }

# load_files FILE...: spanctl load into the running daemon; sets LOAD_S.
load_files() {
    local t0 t1
    t0=$(now)
    "$spanctl" -s "$SP_SOCK" load "$@" >"$SP_DIR/load.out" 2>&1 ||
        die "spanctl load failed: $(tail -n 3 "$SP_DIR/load.out")"
    t1=$(now)
    LOAD_S=$(secs "$t0" "$t1")
}

status_json() { "$spanctl" -s "$SP_SOCK" --json status; }

# ensure_store RECORDS: a store holding the demo data set of RECORDS
# records (sites = RECORDS / 10000), loaded once per run and shared by the
# view-build, memory and incremental rows. Sets STORE (its directory:
# spand.db and info, with the load's time and the loading daemon's peak
# RSS).
ensure_store() {
    local n=$1 sites=$(($1 / 10000))
    [ "$sites" -ge 1 ] || sites=1
    STORE=$RUN/stores/demo-$n
    [ -f "$STORE/info" ] && return 0
    demo_data "$sites" "$n"
    rm -rf "$STORE"
    mkdir -p "$STORE"
    say "loading $(human "$n") records into a store (once for this run)"
    start_spand "load-$(human "$n")" "$STORE/spand.db"
    local files=("$DATA/people.csv" "$DATA/records.csv")
    [ -f "$DATA/events.csv" ] && files+=("$DATA/events.csv")
    load_files "${files[@]}"
    local st
    st=$(status_json)
    local records people events
    records=$(jget "$st" records)
    people=$(jget "$st" people)
    events=$(jget "$st" events)
    [ "$records" = "$n" ] || die "the store holds $records records, expected $n"
    printf 'load_s=%s load_hwm_kb=%s records=%s people=%s events=%s\n' \
        "$LOAD_S" "$(hwm_kb)" "$records" "$people" "$events" >"$STORE/info.tmp"
    stop_spand
    mv "$STORE/info.tmp" "$STORE/info"
    say "loaded in $LOAD_S s ($records records, $people people, $events events)"
}

# load_graph PEOPLE:TIES [CACHE_MB]: a new daemon holding a gengraph.py graph.
load_graph() {
    graph_data "$1"
    start_spand "graph-$(human "${1%:*}")" "" "${2:-0}"
    load_files "$GRAPH/people.csv" "$GRAPH/records.csv"
    local st
    st=$(status_json)
    [ "$(jget "$st" records)" = "${1#*:}" ] ||
        die "the daemon holds $(jget "$st" records) records, expected ${1#*:}"
}

# time_analyse PARAMS REPS SAVE: REPS analyses (not cached), after one that
# builds the view; sets WALL (median ms, client-measured), ELAPSED (median
# of the result's elapsed_ms), NOTES (the result's notes).
time_analyse() {
    local params=$1 reps=$2 save=$3 out walls=() els=() line
    rpc analyse '{"plugin":"mixing"}' >/dev/null || die "analyse mixing (view warm-up) failed"
    out=$(rpc analyse "$params" --repeat "$reps" --save "$save" \
        --expect-cached false) || die "analyse $params failed"
    while read -r line; do
        walls+=("$(jget "$line" wall_ms)")
        els+=("$(jget "$line" elapsed_ms)")
        NOTES=$(jget "$line" notes)
    done <<<"$out"
    WALL=$(median "${walls[@]}")
    ELAPSED=$(median "${els[@]}")
    say "  analyse $params: wall ${walls[*]} ms; elapsed_ms ${els[*]}"
}
view_desc() { printf '%s people, %s arcs' "$(fmt_int "$(jget "$1" vertices)")" \
    "$(fmt_int "$(jget "$1" edges)")"; }

# peer OUT CMD...: run a peer's command under the time limit, its stdout to
# OUT; die with its last words (or the time-out) when it fails.
peer() {
    local out=$1 rc=0 pid
    shift
    # in the background and waited for, so that a signal to the row is
    # handled at once (the row's cleanup then stops the peer)
    timeout --kill-after=10 "$PEER_TIMEOUT" "$@" >"$out" 2>"$out.err" &
    pid=$!
    register "$pid" "$RUN"
    ROW_PIDS+=("$pid $RUN")
    wait "$pid" || rc=$?
    [ "$rc" -eq 0 ] && return 0
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        die "$(basename "$2") timed out after $PEER_TIMEOUT s (BENCH_PEER_TIMEOUT)"
    fi
    die "$(basename "$2") failed (status $rc): $(tail -n 2 "$out.err" | tr '\n' ' ')"
}

# ==========================================================================
# The rows. Each runs in a subshell under set -e; ORDER numbers follow the
# table of issue 5.
# ==========================================================================

row_ingest() { # 1
    local out s1 s2 ratio met
    need_pkg sqlite3
    say "ingest: tests/bench/ingest.sh, $(human "$INGEST_N") records, $REPS run(s)"
    # ingest.sh's stdout is captured; its stderr (progress) streams through
    # and is kept for the error message.
    out=$({ BENCH_RECORDS=$INGEST_N BENCH_SITES=$((INGEST_N / 10000)) \
        BENCH_REPS=$REPS BENCH_CACHE=$cache BENCH_WORKDIR=$RUN \
        SPAND_BIN=$spand SPANCTL_BIN=$spanctl \
        bash "$here/ingest.sh" 2>&1 1>&3 | tee "$RUN/ingest.err" >&2; } 3>&1) ||
        die "ingest.sh failed: $(grep 'error:' "$RUN/ingest.err" | tail -n 1)"
    printf '%s\n' "$out" >&2
    s1=$(printf '%s\n' "$out" | sed -n 's/^spand (spanctl load): *median \([0-9.]*\).*/\1/p')
    s2=$(printf '%s\n' "$out" | sed -n 's/^sqlite3 .import: *median \([0-9.]*\).*/\1/p')
    [ -n "$s1" ] && [ -n "$s2" ] || die "cannot read ingest.sh's medians"
    ratio=$(calc "a / b" a="$s1" b="$s2")
    met=$(calc "r >= 1.0 ? 1 : 0" r="$ratio")
    result 1 ingest "$(human "$INGEST_N") records (durable)" \
        "$(fmt_int "$s1") rec/s" "$(fmt_int "$s2") rec/s (sqlite3 .import)" \
        "$(fmt_x "$ratio") of peer" "≥ 1.0× peer's rows/s" \
        "$([ "$met" = 1 ] && echo yes || echo no)" \
        "spanctl load of records.csv (WAL, synchronous=FULL, acknowledged after commit) vs sqlite3 .import into a TEXT PRIMARY KEY table; tests/bench/ingest.sh, $REPS run(s) each, fresh database each run"
}

row_viewbuild() { # 2
    local n rep a b c view_ms alt per_m first_per_m='' first_n='' first_arcs='' views alts
    for n in "${VB_SIZES[@]}"; do
        ensure_store "$n"
        views=()
        alts=()
        for rep in $(seq "$REPS"); do
            say "view build: $(human "$n") records, run $rep/$REPS (fresh daemon)"
            start_spand "vb-$(human "$n")" "$STORE/spand.db"
            a=$(rpc analyse '{"plugin":"mixing"}' --expect-cached false) ||
                die "first analyse failed"
            c=$(rpc analyse '{"plugin":"mixing"}' --expect-cached true) ||
                die "cached analyse failed"
            b=$(rpc analyse '{"plugin":"mixing","params":{"weighted":true}}' \
                --expect-cached false) || die "analyse on the built view failed"
            stop_spand
            # view build = first analyse - the same plugin on the built view
            views+=("$(calc "x - y" x="$(jget "$a" elapsed_ms)" y="$(jget "$b" elapsed_ms)")")
            # the brief's cruder estimate: first wall - cached wall
            alts+=("$(calc "x - y" x="$(jget "$a" wall_ms)" y="$(jget "$c" wall_ms)")")
            say "  first analyse $(jget "$a" elapsed_ms) ms, plugin on built view" \
                "$(jget "$b" elapsed_ms) ms, cached answer $(jget "$c" wall_ms) ms"
        done
        view_ms=$(median "${views[@]}")
        alt=$(median "${alts[@]}")
        per_m=$(calc "v / (n / 1e6)" v="$view_ms" n="$n")
        local vd arcs per_marc
        vd=$(view_desc "$(jget "$a" view)")
        arcs=$(jget "$(jget "$a" view)" edges)
        per_marc=$(calc "v / (e / 1e6)" v="$view_ms" e="$arcs")
        if [ -z "$first_per_m" ]; then
            first_per_m=$per_m
            first_n=$n
            first_arcs=$arcs
            result 2 "view build" "$(human "$n") records ($vd)" \
                "$(fmt_ms "$view_ms") = $(fmt_ms "$per_m")/M records" "—" "—" \
                "report ms/M records; linear growth" "reported" \
                "first analyse (mixing) on a fresh daemon minus the same plugin on the built view (view cache), elapsed_ms; first-analyse wall minus cached-answer wall gives $(fmt_ms "$alt"); $(fmt_ms "$per_marc") per M view arcs; $REPS run(s)"
        else
            local growth met
            growth=$(calc "b / a" a="$first_per_m" b="$per_m")
            met=$(calc "g <= 1.25 ? 1 : 0" g="$growth")
            result 2 "view build" "$(human "$n") records ($vd)" \
                "$(fmt_ms "$view_ms") = $(fmt_ms "$per_m")/M records" "—" \
                "$(fmt_x "$growth") the ms/M at $(human "$first_n")" \
                "report ms/M records; linear growth" \
                "$([ "$met" = 1 ] && echo "yes (linear or better)" || echo "no (superlinear)")" \
                "as above; linear means ms per M records at $(human "$n") within 1.25× of that at $(human "$first_n"); wall-clock estimate $(fmt_ms "$alt"); $(fmt_ms "$per_marc") per M view arcs (the arcs grew $(fmt_x "$(calc "a / b" a="$arcs" b="$first_arcs")") for $(fmt_x "$(calc "a / b" a="$n" b="$first_n")") the records)"
        fi
    done
}

row_memory() { # 9
    ensure_store "$BIG_N"
    # shellcheck disable=SC2034 # load_s is set by the eval
    local load_s load_hwm_kb records people events rss0 hwm a arcs
    # shellcheck disable=SC1090
    eval "$(tr ' ' '\n' <"$STORE/info" | sed 's/^/local /')"
    say "memory: fresh daemon on the $(human "$BIG_N")-record store, one view build"
    start_spand "mem" "$STORE/spand.db"
    rss0=$(rss_kb)
    a=$(rpc analyse '{"plugin":"mixing"}' --expect-cached false) || die "analyse failed"
    hwm=$(hwm_kb)
    stop_spand
    arcs=$(jget "$(jget "$a" view)" edges)
    local per_rec per_arc delta_arc met
    per_rec=$(calc "k * 1024 / r" k="$load_hwm_kb" r="$records")
    per_arc=$(calc "k * 1024 / e" k="$hwm" e="$arcs")
    delta_arc=$(calc "(k - s) * 1024 / e" k="$hwm" s="$rss0" e="$arcs")
    met=$(calc "x <= 100 ? 1 : 0" x="$per_arc")
    result 9 memory "$(human "$BIG_N") records, $(fmt_int "$arcs") view arcs" \
        "$(fmt_int "$per_rec") B/record (load); $(fmt_int "$per_arc") B/arc (view)" "—" "—" \
        "report bytes; ≤ 100 B per view arc" \
        "$([ "$met" = 1 ] && echo yes || echo no)" \
        "VmHWM of the loading daemon $(mib "$load_hwm_kb") over $(fmt_int "$records") records ($(fmt_int "$events") events, $(fmt_int "$people") people); VmHWM of a fresh daemon after building the view $(mib "$hwm") over $(fmt_int "$arcs") arcs (target judged on this); of that, $(mib "$((hwm - rss0))") came with the view build = $(fmt_int "$delta_arc") B/arc"
}

row_incremental() { # 3
    ensure_store "$BIG_N"
    demo_data "$((BIG_N / 10000))" "$BIG_N"
    local rep incs=() fulls=() ing=() a f i
    start_spand "inc" "$STORE/spand.db"
    a=$(rpc analyse '{"plugin":"mixing"}' --expect-cached false) || die "analyse failed"
    say "incremental: $(human "$BIG_N")-record store, first view built in $(jget "$a" elapsed_ms) ms"
    for rep in $(seq "$REPS"); do
        # The peer: a full build of an equivalent view (a window that
        # holds every record, new each run so that no view is reused) on
        # the same warm daemon, just before the records arrive.
        f=$(rpc analyse "{\"plugin\":\"mixing\",\"window\":{\"from\":\"1970-01-0$((rep % 9 + 1))\"}}" \
            --expect-cached false) || die "analyse (full build) failed"
        "$PY" - "$DATA/people.csv" "$rep" >"$SP_DIR/batch.json" <<'EOF2'
import csv, json, random, sys
ids = [r["id"] for r in csv.DictReader(open(sys.argv[1]))]
rnd = random.Random(int(sys.argv[2]))
recs = [{"id": f"bench-inc-{sys.argv[2]}-{k}", "ts": "2024-06-03T10:00:00Z",
         "from": rnd.choice(ids), "to": rnd.choice(ids), "kind": "advice"}
        for k in range(1000)]
print(json.dumps({"records": recs}))
EOF2
        i=$(rpc ingest "$(cat "$SP_DIR/batch.json")") || die "ingest of 1k records failed"
        ing+=("$(jget "$i" wall_ms)")
        # The next analysis after the 1k records: the view of the default
        # window, built before, must now take them in.
        i=$(rpc analyse '{"plugin":"mixing"}' --expect-cached false) || die "analyse failed"
        incs+=("$(jget "$i" elapsed_ms)")
        fulls+=("$(jget "$f" elapsed_ms)")
        say "  run $rep: full build $(jget "$f" elapsed_ms) ms; +1k records; next analyse $(jget "$i" elapsed_ms) ms"
    done
    stop_spand
    local mi mf ratio met
    mi=$(median "${incs[@]}")
    mf=$(median "${fulls[@]}")
    ratio=$(calc "a / b * 100" a="$mi" b="$mf")
    met=$(calc "r <= 5 ? 1 : 0" r="$ratio")
    result 3 incremental "+1k records on $(human "$BIG_N")" \
        "$(fmt_ms "$mi") (next analyse)" "$(fmt_ms "$mf") (full view build)" \
        "$(awk -v r="$ratio" 'BEGIN { printf "%.3g%%", r }') of full build" "≤ 5% of the full build" \
        "$([ "$met" = 1 ] && echo yes || echo no)" \
        "elapsed_ms of analyse mixing after an ingest of 1000 records (the ingest took $(fmt_ms "$(median "${ing[@]}")")) vs the same analysis over an equivalent new view (a window from 1970, holding every record) on the same warm daemon just before; $REPS run(s), each adding 1000 records"
}

row_brokerage() { # 4
    need_pkg r-cran-sna
    local p=${BROK%:*} t=${BROK#*:} check rt ratio met
    load_graph "$BROK"
    say "brokerage: spand on $(human "$p") people / $(human "$t") ties, $REPS run(s)"
    time_analyse '{"plugin":"brokerage"}' "$REPS" "$SP_DIR/brokerage.json"
    stop_spand
    say "brokerage: R sna::brokerage, $REPS run(s)"
    peer "$SP_DIR/r.log" Rscript "$here/sna_brokerage_bench.R" \
        "$GRAPH/graph.txt" "$REPS" "$SP_DIR/r.out"
    peer "$SP_DIR/check.json" "$PY" "$here/peers.py" brokerage "$GRAPH" \
        "$SP_DIR/r.out" "$SP_DIR/brokerage.json"
    check=$(cat "$SP_DIR/check.json")
    rt=$(jmedian "$check" times.sna_brokerage)
    rt=$(calc "s * 1000" s="$rt")
    say "  R: $(jget "$check" times.sna_brokerage) s; $(jget "$check" check)"
    ratio=$(calc "r / w" r="$rt" w="$WALL")
    met=$(calc "x >= 50 ? 1 : 0" x="$ratio")
    [ "$(jget "$check" ok)" = True ] || met=0
    result 4 brokerage "$(human "$p") people / $(human "$t") ties / 4 groups" \
        "$(fmt_ms "$WALL") (plugin $(fmt_ms "$ELAPSED"))" \
        "$(fmt_ms "$rt") (R sna::brokerage)" "$(fmt_x "$ratio") faster" \
        "≥ 50× faster, same numbers" \
        "$([ "$met" = 1 ] && echo yes || echo no)$([ "$(jget "$check" ok)" = True ] || echo ", numbers DIFFER")" \
        "spand: analyse wall (answer of all vertex rows received) on the built view; plugin elapsed ratio $(fmt_x "$(calc "r / e" r="$rt" e="$ELAPSED")"); R: brokerage() on an sna edge list, data already in R; check: $(jget "$check" check)"
}

row_holes() { # 5
    need_pkg python3-igraph python3-networkx
    local size p t nxflag check ig nxt ratio met okw
    for size in "${HOLES[@]}"; do
        p=${size%:*}
        t=${size#*:}
        load_graph "$size"
        say "structural holes: spand on $(human "$p") / $(human "$t"), $FAST_REPS run(s)"
        time_analyse '{"plugin":"structural_holes"}' "$FAST_REPS" "$SP_DIR/sh.json"
        stop_spand
        nxflag=()
        [ "$size" = "$HOLES_NX" ] && nxflag=(--nx)
        say "structural holes: python-igraph ($FAST_REPS runs)${nxflag:+ and networkx ($REPS run(s))}"
        peer "$SP_DIR/check.json" "$PY" "$here/peers.py" sh \
            "$GRAPH" --reps "$FAST_REPS" --nx-reps "$REPS" "${nxflag[@]}" \
            --spand "$SP_DIR/sh.json"
        check=$(cat "$SP_DIR/check.json")
        say "  $(jget "$check" times) ; $(jget "$check" check)"
        okw=$([ "$(jget "$check" ok)" = True ] || echo ", numbers DIFFER")
        ig=$(calc "s * 1000" s="$(jmedian "$check" times.igraph_constraint)")
        ratio=$(calc "w / i" w="$WALL" i="$ig")
        met=$(calc "x <= 1.5 ? 1 : 0" x="$ratio")
        result 5 "structural holes" "$(human "$p") / $(human "$t")" \
            "$(fmt_ms "$WALL") (plugin $(fmt_ms "$ELAPSED"))" \
            "$(fmt_ms "$ig") (igraph constraint)" "$(fmt_x "$ratio") igraph's time" \
            "≤ 1.5× igraph's constraint time" \
            "$([ "$met" = 1 ] && echo yes || echo no)$okw" \
            "spand computes constraint, effective size, efficiency, hierarchy and external constraint in one analyse (wall, answer received); plugin elapsed is $(fmt_x "$(calc "e / i" e="$ELAPSED" i="$ig")") igraph's; python-igraph Graph.constraint() on the same directed graph; both sides median of $FAST_REPS runs; check: $(jget "$check" check)"
        if [ ${#nxflag[@]} -gt 0 ]; then
            nxt=$(calc "s * 1000" s="$(jmedian "$check" times.networkx_constraint_effective_size)")
            ratio=$(calc "n / w" n="$nxt" w="$WALL")
            met=$(calc "x >= 1000 ? 1 : 0" x="$ratio")
            result 5 "structural holes" "$(human "$p") / $(human "$t")" \
                "$(fmt_ms "$WALL") (plugin $(fmt_ms "$ELAPSED"))" \
                "$(fmt_ms "$nxt") (networkx constraint + effective_size)" \
                "$(fmt_x "$ratio") faster" "≥ 1000× networkx" \
                "$([ "$met" = 1 ] && echo yes || echo no)$okw" \
                "networkx constraint() + effective_size() on the same DiGraph, $REPS run(s); plugin elapsed ratio $(fmt_x "$(calc "n / e" n="$nxt" e="$ELAPSED")")"
        fi
    done
}

row_betweenness() { # 6
    need_pkg python3-networkx
    local p t check nxt ratio met
    p=${BB_BIG%:*}
    t=${BB_BIG#*:}
    load_graph "$BB_BIG"
    say "cross-group betweenness: spand exact on $(human "$p") / $(human "$t"), $REPS run(s)"
    time_analyse '{"plugin":"boundary_betweenness"}' "$REPS" "$SP_DIR/bb.json"
    result 6 "cross-group betweenness" "$(human "$p") / $(human "$t"), exact" \
        "$(fmt_ms "$WALL") (plugin $(fmt_ms "$ELAPSED"))" "—" "—" \
        "≥ 50× networkx (at networkx's size)" "n/a (no peer at this size)" \
        "all $(fmt_int "$p") sources; networkx runs only at the smaller size below"
    say "cross-group betweenness: spand sampled ($BB_SAMPLE sources), $REPS run(s)"
    time_analyse "{\"plugin\":\"boundary_betweenness\",\"params\":{\"sample\":$BB_SAMPLE}}" \
        "$REPS" "$SP_DIR/bbs.json"
    stop_spand
    result 6 "cross-group betweenness" "$(human "$p") / $(human "$t"), sampled" \
        "$(fmt_ms "$WALL") (plugin $(fmt_ms "$ELAPSED"))" "—" "—" \
        "≥ 50× networkx (at networkx's size)" "n/a (no peer at this size)" \
        "$BB_SAMPLE random sources (Brandes & Pich 2007), seed 1; spand notes: $(jget "$NOTES" 0 2>/dev/null || echo none)"
    p=${BB_NX%:*}
    t=${BB_NX#*:}
    load_graph "$BB_NX"
    say "cross-group betweenness: spand exact on $(human "$p") / $(human "$t"), $REPS run(s)"
    time_analyse '{"plugin":"boundary_betweenness"}' "$REPS" "$SP_DIR/bbn.json"
    stop_spand
    say "cross-group betweenness: networkx betweenness_centrality_subset, $REPS run(s)"
    peer "$SP_DIR/check.json" "$PY" "$here/peers.py" bb \
        "$GRAPH" --reps "$REPS" --spand "$SP_DIR/bbn.json"
    check=$(cat "$SP_DIR/check.json")
    say "  $(jget "$check" times) ; $(jget "$check" check)"
    nxt=$(calc "s * 1000" s="$(jmedian "$check" times.networkx_subset)")
    ratio=$(calc "n / w" n="$nxt" w="$WALL")
    met=$(calc "x >= 50 ? 1 : 0" x="$ratio")
    [ "$(jget "$check" ok)" = True ] || met=0
    result 6 "cross-group betweenness" "$(human "$p") / $(human "$t"), exact" \
        "$(fmt_ms "$WALL") (plugin $(fmt_ms "$ELAPSED"))" \
        "$(fmt_ms "$nxt") (networkx subset)" "$(fmt_x "$ratio") faster" \
        "≥ 50× networkx" \
        "$([ "$met" = 1 ] && echo yes || echo no)$([ "$(jget "$check" ok)" = True ] || echo ", numbers DIFFER")" \
        "networkx betweenness_centrality_subset(sources=group, targets=the rest, normalized=False) summed over the 4 groups, undirected collapse; plugin elapsed ratio $(fmt_x "$(calc "n / e" n="$nxt" e="$ELAPSED")"); check: $(jget "$check" check)"
}

row_queries() { # 7
    need_pkg redis-server redis-tools
    [ -x "$LOADGEN" ] || die "the C load generator could not be built"
    local a bytes rep out rps=() p99=() rg3=() rgm=() rpid rsock line
    demo_data 6 9000
    start_spand "queries"
    load_files "$DATA/people.csv" "$DATA/records.csv" "$DATA/events.csv"
    local req='{"jsonrpc":"2.0","id":1,"method":"analyse","params":{"plugin":"mixing"}}'
    rpc analyse '{"plugin":"mixing"}' --expect-cached false >/dev/null || die "analyse failed"
    a=$(rpc analyse '{"plugin":"mixing"}' --expect-cached true) || die "cached analyse failed"
    bytes=$(jget "$a" bytes)
    for rep in $(seq "$REPS"); do
        say "queries: spand, 50 clients, $(human "$Q_N") cached analyse answers, run $rep/$REPS"
        out=$("$LOADGEN" -s "$SP_SOCK" -r "$req" -c 50 -n "$Q_N" -w 1000 \
            -m '"cached":true') || die "loadgen failed: $out"
        say "  $out"
        rps+=("$(kv "$out" rps)")
        p99+=("$(kv "$out" p99_ms)")
    done
    stop_spand
    rsock=$SOCKROOT/redis.sock
    mkdir -p "$RUN/redis"
    redis-server --port 0 --unixsocket "$rsock" --unixsocketperm 700 \
        --save '' --appendonly no --dir "$RUN/redis" --daemonize no \
        >"$RUN/redis/redis.log" 2>&1 &
    rpid=$!
    register "$rpid" "$rsock"
    ROW_PIDS+=("$rpid $rsock")
    local n=0
    until redis-cli -s "$rsock" ping >/dev/null 2>&1; do
        kill -0 "$rpid" 2>/dev/null || die "redis-server exited: $(tail -n 3 "$RUN/redis/redis.log")"
        [ "$n" -lt 100 ] || die "redis-server did not answer within 10 s"
        sleep 0.1
        n=$((n + 1))
    done
    for rep in $(seq "$REPS"); do
        say "queries: redis-benchmark GET, 50 clients, $(human "$Q_N") requests, run $rep/$REPS"
        for d in 3 "$bytes"; do
            out=$(redis-benchmark -s "$rsock" -t set,get -c 50 -n "$Q_N" -d "$d" --csv) ||
                die "redis-benchmark failed"
            line=$(printf '%s\n' "$out" | grep '^"GET"' | tr -d '"' | cut -d, -f2)
            [ -n "$line" ] || die "no GET line in redis-benchmark's output: $out"
            say "  GET -d $d: $line requests/s"
            if [ "$d" = 3 ]; then rg3+=("$line"); else rgm+=("$line"); fi
        done
    done
    kill_ours "$rpid" "$rsock"
    wait "$rpid" 2>/dev/null || true
    local s r3 rmatch ratio met
    s=$(median "${rps[@]}")
    r3=$(median "${rg3[@]}")
    rmatch=$(median "${rgm[@]}")
    ratio=$(calc "a / b" a="$s" b="$r3")
    met=$(calc "x >= 0.5 ? 1 : 0" x="$ratio")
    result 7 queries "50 clients, cached analyse ($bytes B answer)" \
        "$(fmt_int "$s") req/s" "$(fmt_int "$r3") req/s (redis GET)" \
        "$(fmt_x "$ratio") of Redis" "≥ 0.5× Redis requests/s" \
        "$([ "$met" = 1 ] && echo yes || echo no)" \
        "spand: tests/bench/loadgen.c (C, one thread, epoll, 50 connections, one request in flight each, like redis-benchmark), analyse mixing on the demo data (6 sites, 9000 records), every answer checked cached; p99 $(median "${p99[@]}") ms. redis-benchmark -t get -c 50 over a Unix socket (--save '' --appendonly no), 3-byte values; with $bytes-byte values (spand's answer size) $(fmt_int "$rmatch") req/s, ratio $(fmt_x "$(calc "a / b" a="$s" b="$rmatch")")"
}

row_latency() { # 8
    [ -x "$LOADGEN" ] || die "the C load generator could not be built"
    local p=${LAT_GRAPH%:*} t=${LAT_GRAPH#*:} rep out idle50=() idle99=() l50=() l99=()
    local apid gpid note=() ping='{"jsonrpc":"2.0","id":1,"method":"ping"}'
    demo_data "$((LAT_LOAD / 10000))" "$LAT_LOAD"
    for rep in $(seq "$REPS"); do
        load_graph "$LAT_GRAPH" 256
        say "latency: idle daemon, a ping every $((PROBE_US / 1000)) ms for $LAT_IDLE_S s (run $rep/$REPS)"
        out=$("$LOADGEN" -s "$SP_SOCK" -r "$ping" -c 1 -i "$PROBE_US" -d "$LAT_IDLE_S") ||
            die "loadgen (idle) failed"
        say "  $out"
        idle50+=("$(kv "$out" p50_ms)")
        idle99+=("$(kv "$out" p99_ms)")
        say "latency: pings while loading $(human "$LAT_LOAD") records and running boundary_betweenness $LAT_PARAMS on $(human "$p") / $(human "$t")"
        "$PY" "$here/rpc.py" "$SP_SOCK" analyse \
            "{\"plugin\":\"boundary_betweenness\",\"params\":$LAT_PARAMS}" \
            >"$SP_DIR/heavy.out" 2>&1 &
        apid=$!
        register "$apid" "$SP_SOCK"
        ROW_PIDS+=("$apid $SP_SOCK")
        sleep 0.5
        "$LOADGEN" -s "$SP_SOCK" -r "$ping" -c 1 -i "$PROBE_US" >"$SP_DIR/probe.out" 2>&1 &
        gpid=$!
        register "$gpid" "$SP_SOCK"
        ROW_PIDS+=("$gpid $SP_SOCK")
        load_files "$DATA/people.csv" "$DATA/records.csv"
        kill -TERM "$gpid" 2>/dev/null || true
        wait "$gpid" || die "loadgen (under load) failed: $(cat "$SP_DIR/probe.out")"
        out=$(cat "$SP_DIR/probe.out")
        say "  load took $LOAD_S s; $out"
        if kill -0 "$apid" 2>/dev/null; then
            note+=("run $rep: the analysis ran throughout the load")
            kill -TERM "$apid" 2>/dev/null || true # the daemon cancels it
        else
            note+=("run $rep: the analysis ended before the load did ($(head -c 200 "$SP_DIR/heavy.out"))")
        fi
        wait "$apid" 2>/dev/null || true
        stop_spand
        l50+=("$(kv "$out" p50_ms)")
        l99+=("$(kv "$out" p99_ms)")
    done
    local m50 m99 i50 i99 met
    m50=$(median "${l50[@]}")
    m99=$(median "${l99[@]}")
    i50=$(median "${idle50[@]}")
    i99=$(median "${idle99[@]}")
    met=$(calc "x <= 10 ? 1 : 0" x="$m99")
    result 8 "latency under load" "ping during a $(human "$LAT_LOAD")-record load + betweenness" \
        "p50 $(fmt_ms "$m50"), p99 $(fmt_ms "$m99")" \
        "idle: p50 $(fmt_ms "$i50"), p99 $(fmt_ms "$i99")" \
        "p99 $(fmt_x "$(calc "a / b" a="$m99" b="$i99")") idle" "p99 ≤ 10 ms" \
        "$([ "$met" = 1 ] && echo yes || echo no)" \
        "one ping every $((PROBE_US / 1000)) ms on its own connection (loadgen.c) while spanctl loads the demo data ($(human "$LAT_LOAD") records) and boundary_betweenness $LAT_PARAMS runs on a $(human "$p")-people graph (cancelled when the load ends); $(printf '%s; ' "${note[@]}" | sed 's/; $//')"
}

# The concurrency rows' pair: two sampled cross-group betweenness analyses
# with different source samples (seeds), each on one thread, so that each
# needs one core and both together two; and, shown beside them, brokerage
# with structural holes (top 100 rows each, so that the answers' size does
# not hide the computation).
conc_pair() {
    CONC_A="{\"plugin\":\"boundary_betweenness\",\"params\":{\"sample\":$CONC_SAMPLE,\"threads\":1,\"seed\":1}}"
    CONC_B="{\"plugin\":\"boundary_betweenness\",\"params\":{\"sample\":$CONC_SAMPLE,\"threads\":1,\"seed\":2}}"
    CONC_C='{"plugin":"brokerage","top":100}'
    CONC_D='{"plugin":"structural_holes","top":100}'
}

row_concurrency() { # 10
    local p=${BROK%:*} t=${BROK#*:} out line seq=() par=() seq2=() par2=() ratio met
    conc_pair
    load_graph "$BROK"
    rpc analyse '{"plugin":"mixing"}' >/dev/null || die "analyse mixing (view warm-up) failed"
    say "concurrency: two sampled boundary_betweenness ($CONC_SAMPLE sources each, one thread each) one after the other, then at once; $REPS run(s)"
    out=$("$PY" "$here/concurrent.py" "$SP_SOCK" "$CONC_A" "$CONC_B" --reps "$REPS") ||
        die "concurrent.py failed"
    while read -r line; do
        say "  $line"
        seq+=("$(jget "$line" seq_ms)")
        par+=("$(jget "$line" par_ms)")
    done <<<"$out"
    say "concurrency: brokerage and structural_holes, the same way; $REPS run(s)"
    out=$("$PY" "$here/concurrent.py" "$SP_SOCK" "$CONC_C" "$CONC_D" --reps "$REPS") ||
        die "concurrent.py failed"
    while read -r line; do
        say "  $line"
        seq2+=("$(jget "$line" seq_ms)")
        par2+=("$(jget "$line" par_ms)")
    done <<<"$out"
    stop_spand
    local s1 p1 s2 p2
    s1=$(median "${seq[@]}")
    p1=$(median "${par[@]}")
    s2=$(median "${seq2[@]}")
    p2=$(median "${par2[@]}")
    ratio=$(calc "a / b" a="$p1" b="$s1")
    met=$(calc "x <= 0.6 ? 1 : 0" x="$ratio")
    result 10 "two analyses at once" "$(human "$p") people / $(human "$t") ties" \
        "$(fmt_ms "$p1") at once" "$(fmt_ms "$s1") one after the other" \
        "$(fmt_x "$ratio") of sequential" "≤ 0.6× sequential" \
        "$([ "$met" = 1 ] && echo yes || echo no)" \
        "boundary_betweenness sample=$CONC_SAMPLE threads=1, seeds 1 and 2 (two different source samples), started together on two connections vs one after the other on one, wall from the first request to the last answer, on the built view (result cache off); the second runs in an analysis process of its own while the first holds the igraph lock (doc/design-notes.md, \"Analyses in parallel\"). brokerage + structural_holes (top 100): $(fmt_ms "$p2") at once vs $(fmt_ms "$s2") one after the other ($(fmt_x "$(calc "a / b" a="$p2" b="$s2")")); load average at the row's end $(cut -d' ' -f1-3 /proc/loadavg)"
}

row_concurrency_latency() { # 11
    [ -x "$LOADGEN" ] || die "the C load generator could not be built"
    local p=${LAT_GRAPH%:*} t=${LAT_GRAPH#*:} rep out l50=() l99=() cpid gpid note=()
    local ping='{"jsonrpc":"2.0","id":1,"method":"ping"}'
    conc_pair
    demo_data "$((LAT_LOAD / 10000))" "$LAT_LOAD"
    for rep in $(seq "$REPS"); do
        load_graph "$LAT_GRAPH"
        rpc analyse '{"plugin":"mixing"}' >/dev/null || die "analyse mixing (view warm-up) failed"
        say "concurrency latency: pings while two analyses run at once (again and again) and $(human "$LAT_LOAD") records load (run $rep/$REPS)"
        "$PY" "$here/concurrent.py" "$SP_SOCK" "$CONC_A" "$CONC_B" --loop 86400 \
            >"$SP_DIR/pairs.out" 2>&1 &
        cpid=$!
        register "$cpid" "$SP_SOCK"
        ROW_PIDS+=("$cpid $SP_SOCK")
        sleep 0.5
        "$LOADGEN" -s "$SP_SOCK" -r "$ping" -c 1 -i "$PROBE_US" >"$SP_DIR/probe.out" 2>&1 &
        gpid=$!
        register "$gpid" "$SP_SOCK"
        ROW_PIDS+=("$gpid $SP_SOCK")
        load_files "$DATA/people.csv" "$DATA/records.csv"
        kill -TERM "$gpid" 2>/dev/null || true
        wait "$gpid" || die "loadgen (under load) failed: $(cat "$SP_DIR/probe.out")"
        kill -TERM "$cpid" 2>/dev/null || true
        wait "$cpid" 2>/dev/null || true
        out=$(cat "$SP_DIR/probe.out")
        say "  load took $LOAD_S s; $out; analysis pairs: $(cat "$SP_DIR/pairs.out")"
        note+=("run $rep: load $LOAD_S s, $(cat "$SP_DIR/pairs.out" | tr -d '{}"')")
        stop_spand
        l50+=("$(kv "$out" p50_ms)")
        l99+=("$(kv "$out" p99_ms)")
    done
    local m50 m99 met
    m50=$(median "${l50[@]}")
    m99=$(median "${l99[@]}")
    met=$(calc "x <= 10 ? 1 : 0" x="$m99")
    result 11 "latency, two analyses at once" "ping during a $(human "$LAT_LOAD")-record load + two analyses" \
        "p50 $(fmt_ms "$m50"), p99 $(fmt_ms "$m99")" "—" "—" "p99 ≤ 10 ms" \
        "$([ "$met" = 1 ] && echo yes || echo no)" \
        "one ping every $((PROBE_US / 1000)) ms on its own connection (loadgen.c) while spanctl loads the demo data ($(human "$LAT_LOAD") records) and the pair of row 10 (boundary_betweenness sample=$CONC_SAMPLE threads=1, seeds 1 and 2) runs at once, again and again, on a $(human "$p")-people graph; $(printf '%s; ' "${note[@]}" | sed 's/; $//'); load average at the row's end $(cut -d' ' -f1-3 /proc/loadavg)"
}

# Issue 10: boundary_betweenness where fixed costs dominate (1k/5k and
# 2k/20k against networkx, target >= 50x) and exact at 20k/200k (target
# <= 8 s on 2 cores; python-igraph's one Brandes pass over all pairs,
# Graph.betweenness, is the peer: spand computes that column and
# cross_betweenness in one pass). The load average is given with each
# figure: the machine may be shared.
# bb_measure SIZE PEER-MODE TIMES-KEY PEER-TEXT: one size of row 13: spand's
# exact analyse, then the peer (peers.py PEER-MODE) on the same graph. Sets
# the caller's p, t, load, check, nxt (the peer's median ms, from
# TIMES-KEY) and ratio (peer / spand).
bb_measure() {
    p=${1%:*}
    t=${1#*:}
    load_graph "$1"
    say "boundary_betweenness speed: spand exact on $(human "$p") / $(human "$t"), $REPS run(s)"
    time_analyse '{"plugin":"boundary_betweenness"}' "$REPS" "$SP_DIR/bbq.json"
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    stop_spand
    say "boundary_betweenness speed: $4, $REPS run(s)"
    peer "$SP_DIR/check.json" "$PY" "$here/peers.py" "$2" \
        "$GRAPH" --reps "$REPS" --spand "$SP_DIR/bbq.json"
    check=$(cat "$SP_DIR/check.json")
    say "  $(jget "$check" times) ; $(jget "$check" check)"
    nxt=$(calc "s * 1000" s="$(jmedian "$check" "$3")")
    ratio=$(calc "n / w" n="$nxt" w="$WALL")
}

# bb_result MET PEER-LABEL TARGET HOW: the row of the size bb_measure took
# (MET 1 or 0; a peer whose numbers differ makes it "no").
bb_result() {
    local met=$1
    [ "$(jget "$check" ok)" = True ] || met=0
    result 13 "boundary_betweenness speed" "$(human "$p") / $(human "$t"), exact" \
        "$(fmt_ms "$WALL") (plugin $(fmt_ms "$ELAPSED"))" \
        "$(fmt_ms "$nxt") ($2)" "$(fmt_x "$ratio") faster" "$3" \
        "$([ "$met" = 1 ] && echo yes || echo no)$([ "$(jget "$check" ok)" = True ] || echo ", numbers DIFFER")" \
        "$4; load average $load during spand's runs; check: $(jget "$check" check)"
}

row_bb_speed() { # 13
    need_pkg python3-networkx python3-igraph
    local sizes big size p t check nxt ratio load
    if [ "$MODE" = quick ]; then
        sizes="500:2500 1000:5000"
        big=2000:20000
    else
        sizes="1000:5000 2000:20000"
        big=20000:200000
    fi
    for size in $sizes; do
        bb_measure "$size" bb times.networkx_subset \
            "networkx betweenness_centrality_subset"
        bb_result "$(calc "x >= 50 ? 1 : 0" x="$ratio")" "networkx subset" \
            "≥ 50× networkx" \
            "wall-clock of the analyse with all vertex rows against networkx betweenness_centrality_subset summed over the 4 groups (undirected collapse)"
    done
    bb_measure "$big" brandes times.igraph_betweenness \
        "python-igraph betweenness (one Brandes pass)"
    bb_result "$(calc "w <= 8000 ? 1 : 0" w="$WALL")" "igraph betweenness" \
        "≤ 8 s on 2 cores" \
        "all $(fmt_int "$p") sources, threads = one per processor ($(nproc)); the peer is python-igraph Graph.betweenness() on the undirected collapse (one Brandes pass, one column; spand computes betweenness and cross_betweenness together)"
}

# --- departure (issue 10): every person's cut pairs at once ---------------
# cut_data PEOPLE:TIES: sets GRAPH to a gencut.py data set (a graph with
# articulation points; gengraph.py's have none at 10 ties a person).
cut_data() {
    local p=${1%:*} t=${1#*:} stamp
    GRAPH="$cache/cut-p$p-t$t-seed1"
    stamp="people $p ties $t seed 1; generator sha256: $(cat "$here/gencut.py" "$here/gengraph.py" | sha256sum | cut -d' ' -f1)"
    if [ -f "$GRAPH/stamp" ] && [ "$(cat "$GRAPH/stamp")" = "$stamp" ]; then
        return 0
    fi
    say "generating a graph with articulation points: $p people, $t ties"
    rm -rf "$GRAPH" "$GRAPH.tmp.$$"
    "$PY" "$here/gencut.py" --people "$p" --ties "$t" --seed 1 \
        "$GRAPH.tmp.$$" || die "gencut.py failed"
    printf '%s\n' "$stamp" >"$GRAPH.tmp.$$/stamp"
    mv "$GRAPH.tmp.$$" "$GRAPH"
}

# departure against networkx removing each person in turn: in full at the
# size networkx finishes in about a minute (2k / 20k), and at 20k / 200k
# on a seeded sample of people, its time per person extrapolated to all.
row_departure() { # 12
    need_pkg python3-networkx
    local big nxsize sample size p t sflag what check nxs ratio met okw
    if [ "$MODE" = quick ]; then
        big=2000:20000 nxsize=500:5000 sample=20
    else
        big=20000:200000 nxsize=2000:20000 sample=100
    fi
    for size in "$nxsize" "$big"; do
        p=${size%:*}
        t=${size#*:}
        cut_data "$size"
        start_spand "cut-$(human "$p")" "" 0
        load_files "$GRAPH/people.csv" "$GRAPH/records.csv"
        [ "$(jget "$(status_json)" records)" = "$t" ] ||
            die "the daemon does not hold the $t records"
        say "departure: spand on $(human "$p") / $(human "$t"), $FAST_REPS run(s)"
        time_analyse '{"plugin":"departure"}' "$FAST_REPS" "$SP_DIR/dep.json"
        stop_spand
        if [ "$size" = "$nxsize" ]; then
            sflag=() what="every person removed in turn"
        else
            sflag=(--sample "$sample")
            what="$sample people (seed 1) removed in turn, the time per person extrapolated to all $(human "$p")"
        fi
        say "departure: networkx, $what"
        peer "$SP_DIR/check.json" "$PY" "$here/departure_peer.py" "$GRAPH" \
            "${sflag[@]}" --spand "$SP_DIR/dep.json"
        check=$(cat "$SP_DIR/check.json")
        say "  $(jget "$check" times) ; $(jget "$check" check)"
        okw=$([ "$(jget "$check" ok)" = True ] || echo ", numbers DIFFER")
        nxs=$(calc "s * 1000" s="$(jget "$check" extrapolated_s)")
        ratio=$(calc "n / w" n="$nxs" w="$WALL")
        met=$(calc "x >= 1000 ? 1 : 0" x="$ratio")
        [ -z "$okw" ] || met=0
        result 12 departure \
            "$(human "$p") / $(human "$t") ($(jget "$check" articulation_points) articulation points)" \
            "$(fmt_ms "$WALL") (plugin $(fmt_ms "$ELAPSED"))" \
            "$(fmt_ms "$nxs") (networkx removal loop${sflag:+, extrapolated})" \
            "$(fmt_x "$ratio") faster" "≥ 1000× networkx" \
            "$([ "$met" = 1 ] && echo yes || echo no)$okw" \
            "spand: analyse departure (cross_pairs_cut, pairs_cut, cross_share of everyone; wall, answer of all vertex rows received) on the built view, median of $FAST_REPS runs; plugin elapsed ratio $(fmt_x "$(calc "n / e" n="$nxs" e="$ELAPSED")"); networkx: $what (connected_components after each removal, on the undirected collapse, graph built beforehand); graph from gencut.py; check: $(jget "$check" check); load average at the row's end $(cut -d' ' -f1-3 /proc/loadavg)"
    done
}

# change_data N DEGREE: sets CHG to a gen_change.py data set (two windows).
change_data() {
    CHG="$cache/change-n$1-d$2-seed1"
    local stamp
    stamp="n $1 degree $2 seed 1; generator sha256: $(sha256sum "$here/gen_change.py" | cut -d' ' -f1)"
    [ -f "$CHG/stamp" ] && [ "$(cat "$CHG/stamp")" = "$stamp" ] && return 0
    rm -rf "$CHG" "$CHG.tmp.$$"
    "$PY" "$here/gen_change.py" "$1" "$2" 1 "$CHG.tmp.$$" || die "gen_change.py failed"
    printf '%s\n' "$stamp" >"$CHG.tmp.$$/stamp"
    mv "$CHG.tmp.$$" "$CHG"
}

row_qap() { # 16
    need_pkg r-cran-sna
    local n=2000 deg=10 perms=1000 params out walls=() line w p g rt rp rg se ratio met same
    change_data "$n" "$deg"
    start_spand qap "" 0
    load_files "$CHG/people.csv" "$CHG/records.csv"
    params='{"plugin":"change","window":{"from":"2025-01-01","to":"2026-01-01"},"baseline":{"from":"2024-01-01","to":"2025-01-01"},"params":{"permutations":'$perms',"seed":7}}'
    rpc analyse "$params" >/dev/null || die "analyse change (view warm-up) failed"
    out=$(rpc analyse "$params" --repeat "$REPS" --save "$SP_DIR/change.json" \
        --expect-cached false) || die "analyse change failed"
    while read -r line; do walls+=("$(jget "$line" wall_ms)"); done <<<"$out"
    w=$(median "${walls[@]}")
    line=$("$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
t = r["tables"]["network"]
row = dict(zip([c["name"] for c in t["columns"]], t["rows"][0]))
print(r["view"]["vertices"], row["gcor"], row["gcor_p"])' "$SP_DIR/change.json")
    read -r _ g p <<<"$line"
    stop_spand
    say "qap: R sna::qaptest(gcor), $perms permutations, $REPS run(s)"
    peer "$SP_DIR/r.log" Rscript "$here/sna_qap_bench.R" "$CHG/graph.txt" \
        "$REPS" "$perms" "$SP_DIR/r.out"
    rt=$(median $(sed -n 's/^times //p' "$SP_DIR/r.out"))
    rt=$(calc "s * 1000" s="$rt")
    rg=$(sed -n 's/^gcor //p' "$SP_DIR/r.out")
    rp=$(sed -n 's/^p //p' "$SP_DIR/r.out")
    se=$(calc "sqrt((a * (1 - a) + b * (1 - b)) / n)" a="$p" b="$rp" n="$perms")
    same=$(calc "(g - h < 1e-9 && h - g < 1e-9 && (p - q <= 3 * s + 0.0015) && (q - p <= 3 * s + 0.0015)) ? 1 : 0" \
        g="$g" h="$rg" p="$p" q="$rp" s="$se")
    ratio=$(calc "r / w" r="$rt" w="$w")
    met=$(calc "x >= 50 ? 1 : 0" x="$ratio")
    [ "$same" = 1 ] || met=0
    result 16 "QAP (change)" "$(human "$n") people, two windows of $(human $((n * deg / 2))) ties, $perms permutations" \
        "$(fmt_ms "$w")" "$(fmt_ms "$rt") (R sna::qaptest with gcor)" \
        "$(fmt_x "$ratio") faster" "≥ 50× faster, same p within Monte-Carlo error" \
        "$([ "$met" = 1 ] && echo yes || echo no)$([ "$same" = 1 ] || echo ", results DIFFER")" \
        "spand: analyse change wall (view built, result cache off); gcor $g vs sna $rg; p $p vs sna $rp (3 SE $(calc "3 * s" s="$se")); R: qaptest on dense 0/1 matrices already in R; load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

# --- per-site analysis (issue 10, "Scoped views"): --within site ----------
# The analyses `spanctl report --within site` asks for (ctl_report.c's
# suite without gate_opening, which needs a baseline), each timed cold (a
# fresh daemon: the first builds the scopes' view in one scan, the rest
# compute on it) and warm (the same requests again: cached answers), and
# the pooled view build on the same daemon after them; python-igraph on
# the 150 per-site induced subgraphs as the peer of mixing.
WITHIN_PLUGINS="ei mixing brokerage structural_holes diversity boundary_betweenness resilience departure"
row_within() { # 14
    need_pkg python3-igraph
    local sites=150 n=1000000 db rep pl out st cold warm
    local -A colds=() warms=()
    local sums_c=() sums_w=() pooled=() scoped=() mixc=() a b scopes vd check igt ratio
    [ "$MODE" = quick ] && n=100000
    demo_data "$sites" "$n"
    db=$RUN/within-store/spand.db
    mkdir -p "$(dirname "$db")"
    say "within: loading $(human "$n") records of $sites sites"
    start_spand within-load "$db"
    local files=("$DATA/people.csv" "$DATA/records.csv")
    [ -f "$DATA/events.csv" ] && files+=("$DATA/events.csv")
    load_files "${files[@]}"
    st=$(status_json)
    [ "$(jget "$st" records)" = "$n" ] ||
        die "the store holds $(jget "$st" records) records, expected $n"
    stop_spand
    for rep in $(seq "$REPS"); do
        say "within: run $rep/$REPS (fresh daemon)"
        start_spand within "$db"
        cold=0
        for pl in $WITHIN_PLUGINS; do
            out=$(rpc analyse '{"plugin":"'"$pl"'","within":"site"}' \
                --expect-cached false --save "$SP_DIR/$pl.json") ||
                die "analyse $pl --within site failed"
            colds[$pl]+=" $(jget "$out" wall_ms)"
            say "  $pl --within site cold: wall $(jget "$out" wall_ms) ms, elapsed_ms $(jget "$out" elapsed_ms), $(jget "$out" bytes) bytes"
            cold=$(calc "a + b" a="$cold" b="$(jget "$out" wall_ms)")
            [ "$pl" = mixing ] && mixc+=("$(jget "$out" wall_ms)")
        done
        warm=0
        for pl in $WITHIN_PLUGINS; do
            out=$(rpc analyse '{"plugin":"'"$pl"'","within":"site"}' \
                --expect-cached true) || die "cached analyse $pl --within site failed"
            warms[$pl]+=" $(jget "$out" wall_ms)"
            warm=$(calc "a + b" a="$warm" b="$(jget "$out" wall_ms)")
        done
        # the scopes' view build inside the cold ei: it minus ei (another
        # seed: not cached) on the built view
        out=$(rpc analyse '{"plugin":"ei","within":"site","params":{"seed":2}}' \
            --expect-cached false) || die "analyse ei --within site (seed 2) failed"
        scoped+=("$(calc "x - y" x="${colds[ei]##* }" y="$(jget "$out" wall_ms)")")
        # the pooled view build, as the view-build row measures it
        a=$(rpc analyse '{"plugin":"mixing"}' --expect-cached false) ||
            die "pooled analyse mixing failed"
        b=$(rpc analyse '{"plugin":"mixing","params":{"weighted":true}}' \
            --expect-cached false) || die "pooled analyse on the built view failed"
        pooled+=("$(calc "x - y" x="$(jget "$a" elapsed_ms)" y="$(jget "$b" elapsed_ms)")")
        sums_c+=("$cold")
        sums_w+=("$warm")
        say "  cold $cold ms, warm $warm ms, scopes' view build ${scoped[-1]} ms (in ei's cold wall), pooled view build ${pooled[-1]} ms"
        mv "$SP_DIR/mixing.json" "$RUN/within-mixing.json"
        stop_spand
    done
    local load pb cs ws per_c="" per_w="" met_c met_w
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    pb=$(median "${pooled[@]}")
    cs=$(median "${sums_c[@]}")
    ws=$(median "${sums_w[@]}")
    for pl in $WITHIN_PLUGINS; do
        # shellcheck disable=SC2086
        per_c+="$pl $(fmt_ms "$(median ${colds[$pl]})"), "
        # shellcheck disable=SC2086
        per_w+="$pl $(fmt_ms "$(median ${warms[$pl]})"), "
    done
    # (the saved answer is too long for a command line: jget cannot read it)
    scopes=$("$PY" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["scopes"]))' \
        "$RUN/within-mixing.json")
    vd=$(view_desc "$(jget "$a" view)")
    local what="the analyses of \`report --within site\` (${WITHIN_PLUGINS// /, }; gate_opening only runs with a baseline), each an \`analyse PLUGIN --within site\` with all rows, timed by the client; not the report's name look-ups nor spanctl's text rendering"
    met_w=$(calc "w <= 1000 ? 1 : 0" w="$ws")
    result 14 "per-site analysis (within)" "$(human "$n") records, $scopes sites (pooled: $vd), warm" \
        "$(fmt_ms "$ws") (sum of $(wc -w <<<"$WITHIN_PLUGINS") cached answers)" "—" "—" "≤ 1 s" \
        "$([ "$met_w" = 1 ] && echo yes || echo no)" \
        "$what; warm: the same requests again, answers from the result cache: ${per_w%, }; load average $load"
    met_c=$(calc "c <= 3 * p ? 1 : 0" c="$cs" p="$pb")
    result 14 "per-site analysis (within)" "$(human "$n") records, $scopes sites, cold" \
        "$(fmt_ms "$cs") (sum)" "$(fmt_ms "$pb") (pooled view build)" \
        "$(fmt_x "$(calc "c / p" c="$cs" p="$pb")") the pooled build" "≤ 3× the pooled view build" \
        "$([ "$met_c" = 1 ] && echo yes || echo no)" \
        "$what; cold: a fresh daemon on the loaded store, the first analysis (ei) builds the scopes' view (one store scan), the others compute on it: ${per_c%, }; of ei's, $(fmt_ms "$(median "${scoped[@]}")") is the scopes' view build (ei's cold wall minus ei with another seed on the built view); the pooled view build is the view-build row's (first pooled analyse mixing minus mixing weighted on the built view, elapsed_ms), on the same daemon afterwards; $REPS run(s): cold sums ${sums_c[*]} ms, pooled builds ${pooled[*]} ms; load average $load"
    say "within: python-igraph, $sites induced subgraphs, $REPS run(s)"
    peer "$RUN/within-check.json" "$PY" "$here/within.py" "$DATA" \
        --reps "$REPS" --spand "$RUN/within-mixing.json"
    check=$(cat "$RUN/within-check.json")
    say "  $(jget "$check" times) ; $(jget "$check" check)"
    igt=$(calc "s * 1000" s="$(jmedian "$check" times.igraph_within)")
    local mc
    mc=$(median "${mixc[@]}")
    ratio=$(calc "i / m" i="$igt" m="$mc")
    result 14 "per-site analysis (within)" "$(human "$n") records, $scopes sites, mixing" \
        "$(fmt_ms "$mc") (mixing --within site, view built)" \
        "$(fmt_ms "$igt") (python-igraph, $(jget "$check" sites) induced subgraphs)" \
        "$(fmt_x "$ratio") $([ "$(calc "r >= 1 ? 1 : 0" r="$ratio")" = 1 ] && echo faster || echo "(spand slower)")" \
        "report the ratio; same values" \
        "$([ "$(jget "$check" ok)" = True ] && echo "reported, values equal" || echo "no, numbers DIFFER")" \
        "spand: analyse mixing --within site (not cached; the scopes' view built by the ei before it), wall with every scope's tables; python-igraph: per site induced_subgraph, modularity, assortativity_nominal and the E-I index, on the undirected same-site collapse built beforehand ($(jget "$check" edges) edges; building it from the CSV took $(fmt_ms "$(calc "s * 1000" s="$(jget "$check" build_s)")"), not counted); check: $(jget "$check" check)"
}

# --- running the rows -------------------------------------------------------------------
row_order() {
    case $1 in
    ingest) echo 1 ;; viewbuild) echo 2 ;; incremental) echo 3 ;;
    brokerage) echo 4 ;; holes) echo 5 ;; betweenness) echo 6 ;;
    queries) echo 7 ;; latency) echo 8 ;; memory) echo 9 ;;
    concurrency) echo 10 ;; concurrency_latency) echo 11 ;;
    bb_speed) echo 13 ;;
    departure) echo 12 ;;
    qap) echo 16 ;;
    within) echo 14 ;;
    esac
}
row_title() {
    case $1 in
    ingest) echo ingest ;; viewbuild) echo "view build" ;;
    incremental) echo incremental ;; brokerage) echo brokerage ;;
    holes) echo "structural holes" ;; betweenness) echo "cross-group betweenness" ;;
    queries) echo queries ;; latency) echo "latency under load" ;;
    memory) echo memory ;;
    concurrency) echo "two analyses at once" ;;
    concurrency_latency) echo "latency, two analyses at once" ;;
    bb_speed) echo "boundary_betweenness speed" ;;
    departure) echo departure ;;
    qap) echo "QAP (change)" ;;
    within) echo "per-site analysis (within)" ;;
    esac
}

row_cleanup() {
    local rc=$? e pid marker
    for e in "${ROW_PIDS[@]}"; do
        pid=${e%% *}
        marker=${e#* }
        kill_ours "$pid" "$marker"
        wait "$pid" 2>/dev/null || true
    done
    exit "$rc"
}

# An unexpected failure (set -e) inside a row: say which command.
row_err() {
    local msg="command failed (line $1 of run.sh): $2"
    printf '%s: error: %s\n' "$prog" "$msg" >&2
    printf '%s\n' "$msg" >>"$ROW_ERRFILE"
}

run_row() {
    local name=$1 t0 t1 rc
    if [ -n "$ONLY" ] && [[ ",$ONLY," != *",$name,"* ]]; then
        return 0
    fi
    say "=== $(row_title "$name") ==="
    t0=$(now)
    # The row runs in the background and is waited for: a signal to the
    # suite is then handled at once (on_signal stops the row).
    (
        set -e
        ROW_PIDS=()
        ROW_ERRFILE=$RUN/$name.err
        set -E
        trap 'row_err "$LINENO" "$BASH_COMMAND"' ERR
        trap row_cleanup EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        "row_$name"
    ) &
    ROW_PID=$!
    rc=0
    wait "$ROW_PID" || rc=$?
    ROW_PID=
    t1=$(now)
    if [ "$rc" -ne 0 ]; then
        local why=
        [ -s "$RUN/$name.err" ] && why=$(tail -n 1 "$RUN/$name.err")
        why=${why:-"a command failed (exit status $rc): see $LOG"}
        [ "$rc" -ge 128 ] && why="interrupted (status $rc): $why"
        result "$(row_order "$name")" "$(row_title "$name")" "—" "—" "—" "—" "—" \
            failed "$why"
        say "$(row_title "$name") FAILED: $why"
        [ "$rc" -lt 128 ] || exit "$rc"
    fi
    say "$(row_title "$name") took $(secs "$t0" "$t1") s"
}

# --- the machine -------------------------------------------------------------------------
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "not installed"; }
machine() {
    local os spver sqlv rv nxv igv redv hfv ccv
    os=$(sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release 2>/dev/null) || os=
    spver=$("$spand" -V 2>&1 | head -n 1)
    sqlv=$(sqlite3 --version 2>/dev/null | cut -d' ' -f1,2) || sqlv="not installed"
    rv=$(Rscript -e 'cat(R.version.string, "; sna", format(packageVersion("sna")))' 2>/dev/null) ||
        rv="not installed"
    nxv=$("$PY" -c 'import networkx; print(networkx.__version__)' 2>/dev/null) || nxv="not installed"
    igv=$("$PY" -c 'import igraph; print(igraph.__version__)' 2>/dev/null) ||
        igv="not installed"
    redv=$(redis-server --version 2>/dev/null | sed -n 's/.*v=\([^ ]*\).*/\1/p') || true
    hfv=$(hyperfine --version 2>/dev/null) || hfv="not installed"
    ccv=$(${CC:-cc} --version 2>/dev/null | head -n 1) || ccv=unknown
    cat <<EOF
| | |
|---|---|
| CPU | $(nproc) × $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo) |
| memory | $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) |
| OS, kernel | ${os:-unknown}, Linux $(uname -r) ($(uname -m)) |
| load average | at start $LOADAVG0; at end $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the times) |
| databases on | $workroot ($(df --output=fstype "$workroot" | tail -n 1)) |
| spand | ${spver:-unknown} ($spand), plugins from $plugdir |
| sqlite3 | ${sqlv} (Debian $(pkgver sqlite3)); libsqlite3 $(pkgver libsqlite3-0) |
| R, sna | ${rv} (Debian r-cran-sna $(pkgver r-cran-sna)) |
| networkx | ${nxv} (Debian $(pkgver python3-networkx)) |
| python-igraph | ${igv} (Debian $(pkgver python3-igraph)) |
| python3 | $("$PY" --version 2>&1 | cut -d' ' -f2) ($PY) |
| redis | ${redv:-not installed} (Debian $(pkgver redis-server)) |
| hyperfine | ${hfv} |
| libigraph | $(pkgver libigraph3) |
| C compiler | $ccv (loadgen.c, -O2) |
EOF
}

# --- the report ---------------------------------------------------------------------------
render() {
    local step size sp peer ratio target met note k=0
    echo "# spand benchmarks (issue 5)"
    echo
    echo "Mode: $MODE, median of $REPS run(s) per figure; $(date -u '+%Y-%m-%d %H:%M UTC');" \
        "suite time $(awk -v s="$SUITE_S" 'BEGIN { printf "%d min %d s", s / 60, s % 60 }')."
    echo "spand times are wall-clock, measured by the client from the request to the"
    echo "last byte of the answer (the analyse's own elapsed_ms, view build plus plugin,"
    echo "is given as \"plugin\" where the view was already built); targets are judged on"
    echo "the wall-clock figure. Peers are timed around the library call alone, with"
    echo "their data already loaded."
    echo
    echo "| # | step | size | spand | peer | ratio | target | met |"
    echo "|---|---|---|---|---|---|---|---|"
    local notes=()
    while IFS=$'\t' read -r _ step size sp peer ratio target met note; do
        k=$((k + 1))
        echo "| $k | $step | $size | $sp | $peer | $ratio | $target | $met |" |
            sed 's/ | |/ | — |/g'
        notes+=("$k. **$step** ($size): $note")
    done < <(sort -t$'\t' -k1,1n -s "$RESULTS")
    echo
    echo "## Notes"
    echo
    local n
    for n in "${notes[@]}"; do echo "$n"; done
    echo
    echo "## Machine"
    echo
    machine
}

# ==========================================================================
LOADAVG0=$(cut -d' ' -f1-3 /proc/loadavg)
SUITE_T0=$(now)
say "mode $MODE, $REPS repeat(s); results to $OUT; log $LOG; work in $RUN"
install_peers
build_loadgen
for row in $ALL_ROWS; do
    run_row "$row"
done
SUITE_S=$(secs "$SUITE_T0" "$(now)")
render >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
echo
cat "$OUT"
say "results written to $OUT (log: $LOG)"
