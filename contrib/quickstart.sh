#!/usr/bin/env bash
# quickstart.sh - set up, build and run spand on a fresh Debian machine.
#
#   contrib/quickstart.sh          build, run the daemon on demo data in a
#                                  scratch directory and print what it holds
#   contrib/quickstart.sh test     build, run `make check`, then again in a
#                                  separate sanitizer build; prints
#                                  "N passed, N failed" last
#   contrib/quickstart.sh packages [test]
#                                  print the Debian packages the demo (or
#                                  the tests) need, one a line
#
# Missing Debian packages are installed first (needs root or sudo): for the
# demo only what building and running spand needs (DEMO_PACKAGES); for
# `test` also what only the tests use (R, networkx, igraph, clang...).
# The demo's build output goes to quickstart-build.log, not the screen.
# Environment: SPAND_WERROR=1 (treat compiler warnings as errors, as CI
# does), SPAND_START_TIMEOUT (seconds to wait for the daemon's
# socket, default 30), SPAND_FUZZ_SECONDS (how long `test` runs each
# libFuzzer harness, default 30; 0 skips fuzzing), TMPDIR (where the
# scratch directory goes).

# Run as `sh quickstart.sh`? This is a bash script: re-run it under bash.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

PACKAGES=(build-essential autoconf automake libtool pkg-config
    libigraph-dev libuv1-dev libsqlite3-dev libjansson-dev libinih-dev
    libcsv-dev check sqlite3 python3 r-cran-sna r-cran-jsonlite
    python3-networkx python3-igraph libsodium-dev clang libfuzzer-14-dev
    chromium python3-pil)
# test_manpages (groff, man -l) and test_install (systemd-analyze).
PACKAGES+=(groff-base man-db systemd)
# What the demo needs: building spand (configure requires check) and
# running it and the Python demo scripts. Not R, networkx or igraph for
# Python, clang or libFuzzer: only the tests use those.
DEMO_PACKAGES=(build-essential autoconf automake libtool pkg-config
    libigraph-dev libuv1-dev libsqlite3-dev libjansson-dev libinih-dev
    libcsv-dev check python3 libsodium-dev)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
prog=quickstart.sh

say() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() {
    printf '%s: error: %s\n' "$prog" "$*" >&2
    exit 1
}

usage() {
    cat <<EOF
usage: contrib/quickstart.sh [test | packages [test] | build]

With no argument: install missing Debian packages (only those the demo
needs), build spand in the source tree (output in quickstart-build.log), start it on a scratch socket and database, load generated
demo data (contrib/spand-demo.py) and print status, boundaries and a
summary by sector, then shut it down. The scratch directory is kept.

test: install and build as above, run 'make check', then build again
with AddressSanitizer and UndefinedBehaviorSanitizer in build-san/ and
run 'make check' there; the last line is 'N passed, N failed'.

packages: print the Debian packages the demo needs (with test: those the
tests need too), one a line. build: only build, as the demo does.
EOF
}

# --- packages ----------------------------------------------------------

# install_packages PACKAGE...: install those of them that are missing.
install_packages() {
    if ! command -v dpkg-query >/dev/null 2>&1; then
        # Not Debian: carry on, configure names any library it cannot find.
        say "no dpkg-query: not a Debian system, not installing packages;" \
            "needed: $*"
        return 0
    fi
    local missing=() p
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
            grep -q 'install ok installed'; then
            missing+=("$p")
        fi
    done
    if [ ${#missing[@]} -eq 0 ]; then
        return 0
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null 2>&1; then
            die "these Debian packages are missing: ${missing[*]}." \
                "Installing them needs root: run this script as root," \
                "install sudo, or run: apt-get install ${missing[*]}"
        fi
        sudo=(sudo)
    fi
    say "installing missing packages: ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q ||
        die "apt-get update failed (see above)"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q "${missing[@]}" ||
        die "apt-get install failed for: ${missing[*]}"
}

# --- build -------------------------------------------------------------

# build [quiet]: autoreconf (if needed), configure (if needed) and make in
# the source tree. quiet (the demo): their output goes to
# quickstart-build.log and the user sees one line, or the log's last
# lines if a step fails; `test` shows it all, as CI wants.
build() {
    cd "$top"
    local log="" where="see above"
    if [ "${1-}" = quiet ]; then
        log="$top/quickstart-build.log"
        where="see $log"
        : >"$log" || die "cannot write $log"
        say "building spand (output in $log)"
    fi
    if [ ! -x configure ]; then
        step autoreconf -fi || build_failed "autoreconf ($where)"
    fi
    if [ ! -f Makefile ]; then
        # CI sets SPAND_WERROR=1: any compiler warning fails the build.
        local args=()
        [ "${SPAND_WERROR:-0}" = 1 ] && args+=(--enable-werror)
        step ./configure "${args[@]}" ||
            build_failed "configure ($where and config.log)"
    fi
    step make -j2 || build_failed "the build ($where)"
    [ -z "$log" ] || say "built spand"
}

# step COMMAND...: run a build step; its output goes to build's $log when
# quiet, else to the terminal after a line naming it.
step() {
    if [ -n "$log" ]; then
        "$@" >>"$log" 2>&1
    else
        say "$*"
        "$@"
    fi
}

# build_failed WHAT: the last lines of a quiet build's log, then die.
build_failed() {
    if [ -n "$log" ]; then
        say "the last lines of $log:"
        tail -n 30 "$log" >&2
    fi
    die "$1 failed"
}

# --- the demo: daemon on demo data -------------------------------------

daemon_pid=
scratch=

# wait_gone PID TENTHS: true once PID has exited, false if it is still
# running after TENTHS tenths of a second.
wait_gone() {
    local n=0
    while kill -0 "$1" 2>/dev/null; do
        [ "$n" -lt "$2" ] || return 1
        sleep 0.1
        n=$((n + 1))
    done
}

stop_daemon() {
    # Stop only the daemon this script started, by its pid.
    if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
        kill -TERM "$daemon_pid" 2>/dev/null || true
        if ! wait_gone "$daemon_pid" 50; then
            say "spand (pid $daemon_pid) ignored SIGTERM for 5 s; killing it"
            kill -KILL "$daemon_pid" 2>/dev/null || true
        fi
        wait "$daemon_pid" 2>/dev/null || true
    fi
    daemon_pid=
}

on_exit() {
    local rc=$?
    if [ -n "$daemon_pid" ]; then
        stop_daemon
    fi
    if [ "$rc" -ne 0 ] && [ -n "$scratch" ]; then
        if [ -s "$scratch/spand.log" ]; then
            say "last lines of the daemon's log ($scratch/spand.log):"
            tail -n 20 "$scratch/spand.log" >&2
        fi
        say "failed; the scratch directory is kept: $scratch"
    fi
    exit "$rc"
}

section() { printf '\n== %s ==\n' "$*"; }

demo() {
    local spand="$top/spand" spanctl="$top/spanctl"
    [ -x "$spand" ] || die "$spand was not built"
    [ -x "$spanctl" ] || die "$spanctl was not built"

    scratch=$(mktemp -d "${TMPDIR:-/tmp}/spand-quickstart.XXXXXX")
    trap on_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    local sock="$scratch/spand.sock"
    # Relative paths in a config are taken from the config's directory,
    # so this keeps socket and database in the scratch directory.
    cat >"$scratch/spand.conf" <<EOF
# written by contrib/quickstart.sh
[daemon]
socket = spand.sock
database = spand.db
[plugins]
# the plugins built in this tree (make install puts them elsewhere)
builtin_dir = $top/plugins/.libs
EOF
    say "starting spand in $scratch"
    (cd "$scratch" && exec "$spand" -f -c "$scratch/spand.conf") \
        >"$scratch/spand.log" 2>&1 &
    daemon_pid=$!

    local timeout=${SPAND_START_TIMEOUT:-30}
    local deadline=$((SECONDS + timeout))
    until "$spanctl" -s "$sock" ping >/dev/null 2>&1; do
        if ! kill -0 "$daemon_pid" 2>/dev/null; then
            local rc=0
            wait "$daemon_pid" 2>/dev/null || rc=$?
            daemon_pid=
            die "spand exited during start-up (exit status $rc)"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            die "spand did not answer ping on $sock within ${timeout} s" \
                "(set SPAND_START_TIMEOUT to wait longer)"
        fi
        sleep 0.1
    done

    say "generating demo data"
    python3 "$top/contrib/spand-demo.py" "$scratch/data" ||
        die "the demo data generator failed"

    # People first, so that records and events name people who have
    # attributes (a record naming an unknown person creates a bare one).
    # spanctl load prints a one-line summary per file on stderr (shown)
    # and the per-kind counts on stdout (kept in load.log).
    local f
    for f in people records events; do
        "$spanctl" -s "$sock" load "$scratch/data/$f.csv" \
            >>"$scratch/load.log" ||
            die "spanctl load $scratch/data/$f.csv failed"
    done

    section "spanctl status"
    "$spanctl" -s "$sock" status || die "spanctl status failed"
    # Every person has a name of their own: listing the names would bury
    # the boundaries in 250 lines of personal data, so leave them out.
    section "spanctl boundaries (without the name attribute)"
    "$spanctl" -s "$sock" boundaries >"$scratch/boundaries.txt" ||
        die "spanctl boundaries failed"
    awk '$1 != "name"' "$scratch/boundaries.txt"
    section "spanctl summary --by sector"
    "$spanctl" -s "$sock" summary --by sector ||
        die "spanctl summary --by sector failed"
    section "boundary spanning: year one against year two"
    python3 "$top/contrib/demo-report.py" "$sock" ||
        die "the demo report failed"
    # The demo data starts on 2024-01-01 and covers two years. The last
    # word is the per-site report: each council's own network, which
    # boundary rests on one person there, and whose leaving would cut most.
    section "spanctl report --within site: each site in year two (2025)," \
        "against year one (2024) (synthetic data: no real people)"
    "$spanctl" -s "$sock" report --within site --top 5 \
        --from 2025-01-01 --to 2026-01-01 \
        --baseline-from 2024-01-01 --baseline-to 2025-01-01 ||
        die "spanctl report --within site failed"

    say "shutting down"
    "$spanctl" -s "$sock" shutdown >/dev/null || die "spanctl shutdown failed"
    wait_gone "$daemon_pid" 100 ||
        die "spand did not exit within 10 s of shutdown"
    local rc=0
    wait "$daemon_pid" || rc=$?
    daemon_pid=
    [ "$rc" -eq 0 ] || die "spand exited with status $rc after shutdown"

    printf '\nThe scratch directory %s holds the config, socket, database,\n' \
        "$scratch"
    printf 'daemon log (spand.log) and demo data (data/). Remove it with:\n'
    printf '  rm -rf %s\n' "$scratch"
}

# --- the tests: make check, plain and with sanitizers ------------------

# Prints "pass fail" from an automake test-suite.log; ERROR and XPASS
# count as failures.
count_log() {
    awk '$1 == "#" && $2 == "PASS:" { p += $3 }
         $1 == "#" && ($2 == "FAIL:" || $2 == "ERROR:" || $2 == "XPASS:") {
             f += $3 }
         END { print p + 0, f + 0 }' "$1"
}

# count_trs DIR MARKER: "pass fail" from the per-test .trs files under DIR
# written after MARKER (so a previous run's results never count). Used
# when make check stopped before writing test-suite.log, for example
# because a listed test is missing: the tests that did run still count.
count_trs() {
    # (build-san/ lies inside the source tree: leave it to its own count.)
    find "$1" -path "$1/build-san" -prune -o \
        -name '*.trs' -newer "$2" -exec cat {} + 2>/dev/null |
        awk '$1 == ":test-result:" && $2 == "PASS" { p++ }
             $1 == ":test-result:" &&
                 ($2 == "FAIL" || $2 == "ERROR" || $2 == "XPASS") { f++ }
             END { print p + 0, f + 0 }'
}

run_tests() {
    # A build that fails is a failed run: still end on the count line,
    # which is what CI reads. (build runs in a subshell so that its die
    # does not end this script before that line.)
    if ! (build); then
        say "the build failed; no tests ran"
        echo "0 passed, 1 failed"
        exit 1
    fi
    local failed_stages=()

    # 1. make check in the source tree (configured in-tree by build()).
    # VERBOSE=1 makes automake print the logs of failing tests.
    cd "$top"
    rm -f test-suite.log # never count a previous run's log
    local marker
    marker=$(mktemp "${TMPDIR:-/tmp}/quickstart-check.XXXXXX")
    say "make check"
    make -j2 check VERBOSE=1 || failed_stages+=("make check")

    # 1b. Each libFuzzer harness (tests/fuzz) for a short, bounded time
    # (8 harnesses: 4 minutes at the default 30 s, plus their build): a
    # crash, a sanitizer report or a disagreement with the slow path is
    # a failed test in the count below (fuzz-work/results).
    local fuzz_secs=${SPAND_FUZZ_SECONDS:-30} fuzz_pass=0 fuzz_fail=0
    if [ "$fuzz_secs" != 0 ]; then
        rm -f fuzz-work/results
        say "make fuzz FUZZ_SECONDS=$fuzz_secs"
        make fuzz FUZZ_SECONDS="$fuzz_secs" || failed_stages+=("make fuzz")
        if [ -f fuzz-work/results ]; then
            fuzz_pass=$(grep -c ':test-result: PASS' fuzz-work/results || true)
            fuzz_fail=$(grep -c ':test-result: FAIL' fuzz-work/results || true)
        else
            fuzz_fail=1 # the harnesses did not build
        fi
        say "fuzzing: $fuzz_pass passed, $fuzz_fail failed (fuzz-work/*.log)"
    fi

    # 2. The sanitizer build. The source tree is configured in-tree, and
    # automake refuses a VPATH build from a configured source tree (its
    # objects would shadow the build directory's). Rather than
    # `make distclean` the user's tree, build from a fresh copy of it:
    # build-san/src is the source tree less .git and build directories,
    # made clean with `make distclean` (which removes exactly what
    # configure and make produced), and build-san/obj is a VPATH build of
    # that copy, which also checks that the build works out of tree. Both
    # are made anew on every run so that nothing stale survives.
    local san="$top/build-san"
    say "sanitizer build in $san"
    rm -rf "$san/src" "$san/obj"
    mkdir -p "$san/src" "$san/obj"
    tar -C "$top" --exclude=./.git --exclude=./build-san \
        --exclude=./build --exclude=./bench-cache --exclude=./bench-work \
        --exclude=./fuzz-work -cf - . |
        tar -C "$san/src" -xf -
    if [ -f "$san/src/Makefile" ]; then
        make -C "$san/src" distclean >"$san/distclean.log" 2>&1 || true
    fi
    # If distclean could not run, configure would still refuse: say why.
    if [ -f "$san/src/config.status" ]; then
        local why="make distclean of the copy failed"
        failed_stages+=("sanitizer build: $why, see $san/distclean.log")
    else
        if (cd "$san/obj" &&
            ../src/configure --enable-sanitizers --enable-werror); then
            (cd "$san/obj" && make -j2 check VERBOSE=1) ||
                failed_stages+=("sanitizer make check")
        else
            failed_stages+=("sanitizer configure (see $san/obj/config.log)")
        fi
    fi

    # 3. Sum both logs.
    local pass=0 fail=0 p f dir name
    for dir in "$top" "$san/obj"; do
        case $dir in
        "$san"/*) name="sanitizer build" ;;
        *) name="source tree" ;;
        esac
        if [ -f "$dir/test-suite.log" ]; then
            read -r p f < <(count_log "$dir/test-suite.log")
            say "$name: $p passed, $f failed ($dir/test-suite.log)"
        else
            # No summary: make check stopped early (a test program did not
            # build, or a listed test is missing). Count the tests that
            # ran, plus one failure so that the total cannot look clean.
            read -r p f < <(count_trs "$dir" "$marker")
            f=$((f + 1))
            say "$name: make check stopped before test-suite.log;" \
                "$p passed and $((f - 1)) failed in the tests that ran," \
                "counting the stop as 1 more failure"
        fi
        pass=$((pass + p))
        fail=$((fail + f))
    done
    rm -f "$marker"
    pass=$((pass + fuzz_pass))
    fail=$((fail + fuzz_fail))
    local s
    for s in "${failed_stages[@]}"; do
        say "failed: $s"
    done
    echo "$pass passed, $fail failed"
    if [ "$fail" -ne 0 ] || [ ${#failed_stages[@]} -ne 0 ]; then
        exit 1
    fi
}

case ${1-} in
"")
    install_packages "${DEMO_PACKAGES[@]}"
    build quiet
    demo
    ;;
test)
    install_packages "${PACKAGES[@]}"
    run_tests
    ;;
build)
    # For test_quickstart: the demo's quiet build alone.
    build quiet
    ;;
packages)
    if [ "${2-}" = test ]; then
        printf '%s\n' "${PACKAGES[@]}"
    else
        printf '%s\n' "${DEMO_PACKAGES[@]}"
    fi
    ;;
-h | --help | help)
    usage
    ;;
*)
    usage >&2
    die "unknown argument: $1"
    ;;
esac
