#!/usr/bin/env bash
# tests/fuzz/fuzz.sh - build and run the libFuzzer harnesses (`make fuzz`).
#
#   fuzz.sh build            compile the harnesses into fuzz-work/bin
#   fuzz.sh run [NAME...]    build, then run each harness (all by default)
#                            for FUZZ_SECONDS seconds
#
# The code under test is compiled again here with clang and
# -fsanitize=fuzzer-no-link,address,undefined (the normal build may use
# gcc and no sanitizer), into fuzz-work/obj. Each harness starts from its
# seed corpus in the source tree (tests/fuzz/corpus/NAME, read only: it
# also holds the inputs of crashes found and fixed, as regression inputs,
# which libFuzzer runs first) and from what earlier runs found
# (fuzz-work/corpus/NAME, where new inputs go). A crash, a sanitizer
# report, a leak or a harness's own check is a failure: its input is kept
# as fuzz-work/NAME-crash-*, its log in fuzz-work/NAME.log.
#
# fuzz-work/results gets one line per harness run,
# ":test-result: PASS|FAIL fuzz_NAME", which contrib/quickstart.sh counts.
# Exit status: 0 when every harness passed.
#
# Environment (set by the Makefile): FUZZ_CC (a clang with libFuzzer),
# SRCDIR, FUZZ_CPPFLAGS, FUZZ_LIBS; optional FUZZ_SECONDS (default 60),
# FUZZ_JOBS (harnesses run at once, default 1), FUZZ_NICE (default 10).
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail

prog=fuzz.sh
say() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() {
    printf '%s: error: %s\n' "$prog" "$*" >&2
    exit 1
}

: "${SRCDIR:?}" "${FUZZ_CPPFLAGS:=}" "${FUZZ_LIBS:=}"
[ -n "${FUZZ_CC:-}" ] || die "no clang with libFuzzer was found by configure:" \
    "install the Debian packages clang and libfuzzer-14-dev, then re-run" \
    "./configure (or pass FUZZ_CC=clang-NN)"
SECONDS_EACH=${FUZZ_SECONDS:-60}
[[ $SECONDS_EACH =~ ^[0-9]+$ ]] || die "FUZZ_SECONDS must be a whole number"
JOBS=${FUZZ_JOBS:-1}
NICE=${FUZZ_NICE:-10}

# Every harness and the sources it needs besides its own file.
ALL=(jscan ingest frame ts result config csv jsonl)
COMMON="daemon/common/buf.c daemon/common/log.c daemon/common/ts.c
    daemon/common/utf8.c daemon/common/jscan.c daemon/common/jnum.c
    daemon/common/strmap.c"
sources() {
    case $1 in
    jscan | ts) echo "$COMMON" ;;
    ingest) echo "$COMMON daemon/ingest.c" ;;
    frame) echo "$COMMON daemon/frame.c" ;;
    result) echo "$COMMON daemon/result.c daemon/loader.c" ;;
    config) echo "$COMMON daemon/config.c" ;;
    csv | jsonl) echo "$COMMON daemon/ctl/ctl_fast.c" ;;
    *) die "unknown harness: $1 (one of: ${ALL[*]})" ;;
    esac
}

work=fuzz-work
FLAGS=(-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined
    -fno-sanitize-recover=undefined -I"$SRCDIR/include" -I"$SRCDIR/daemon"
    -I"$SRCDIR/daemon/common" -I"$SRCDIR/daemon/ctl")
# config.c's compiled-in defaults, as the Makefile gives them to spand.
FLAGS+=(-DSPAND_SYSCONFDIR="\"${FUZZ_SYSCONFDIR:-/etc}\""
    -DSPAND_PLUGINDIR="\"${FUZZ_PLUGINDIR:-/usr/lib/spand/plugins}\"")
# shellcheck disable=SC2206
FLAGS+=($FUZZ_CPPFLAGS)

# Rebuild everything when any source or header is newer than the last
# build: a dozen small files, simpler than tracking dependencies.
build() {
    mkdir -p "$work/obj" "$work/bin"
    local stamp="$work/obj/stamp"
    if [ -f "$stamp" ] && [ -z "$(find "$SRCDIR/daemon" "$SRCDIR/include" \
        "$SRCDIR/tests/fuzz" -name '*.[ch]' -newer "$stamp" -print -quit)" ]; then
        return 0
    fi
    rm -f "$stamp" "$work"/obj/*.o
    say "building the harnesses with $FUZZ_CC"
    local name src obj objs
    for name in "${ALL[@]}"; do
        objs=()
        for src in $(sources "$name") "tests/fuzz/fuzz_$name.c"; do
            obj="$work/obj/$(echo "$src" | tr / _).o"
            if [ ! -f "$obj" ]; then
                "$FUZZ_CC" "${FLAGS[@]}" -fsanitize=fuzzer-no-link \
                    -c "$SRCDIR/$src" -o "$obj" || die "cannot compile $src"
            fi
            objs+=("$obj")
        done
        # shellcheck disable=SC2086
        "$FUZZ_CC" "${FLAGS[@]}" -fsanitize=fuzzer -o "$work/bin/fuzz_$name" \
            "${objs[@]}" $FUZZ_LIBS || die "cannot link fuzz_$name"
    done
    touch "$stamp"
}

# run_one NAME: fuzz NAME for SECONDS_EACH seconds; true when it passed.
run_one() {
    local name=$1 seeds="$SRCDIR/tests/fuzz/corpus/$1"
    local found="$work/corpus/$1" log="$work/$1.log"
    mkdir -p "$found"
    [ -d "$seeds" ] || die "no seed corpus $seeds"
    # -timeout: one input taking 10 s is a hang, a failure too.
    # -rss_limit_mb: the harnesses need little; more is a leak or a bomb.
    if nice -n "$NICE" "$work/bin/fuzz_$name" -max_total_time="$SECONDS_EACH" \
        -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
        -artifact_prefix="$work/$name-" "$found" "$seeds" >"$log" 2>&1; then
        say "fuzz_$name: passed ($(ls "$found" | wc -l) inputs in $found;" \
            "$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | cut -d' ' -f2) runs)"
        return 0
    fi
    say "fuzz_$name: FAILED; its log: $log; the input: $(ls "$work/$name"-* 2>/dev/null | head -1)"
    grep -A12 -m1 'ERROR\|==ERROR\|runtime error\|abort\|deadly signal' "$log" >&2 || tail -20 "$log" >&2
    return 1
}

run() {
    build
    local names=("$@") name rc=0 pids=() i=0
    [ ${#names[@]} -gt 0 ] || names=("${ALL[@]}")
    : >"$work/results"
    for name in "${names[@]}"; do
        sources "$name" >/dev/null
        if [ "$JOBS" -le 1 ]; then
            if run_one "$name"; then
                echo ":test-result: PASS fuzz_$name" >>"$work/results"
            else
                echo ":test-result: FAIL fuzz_$name" >>"$work/results"
                rc=1
            fi
        else
            (if run_one "$name"; then
                echo ":test-result: PASS fuzz_$name" >>"$work/results"
            else
                echo ":test-result: FAIL fuzz_$name" >>"$work/results"
                exit 1
            fi) &
            pids+=($!)
            i=$((i + 1))
            if [ $((i % JOBS)) -eq 0 ]; then
                for p in "${pids[@]}"; do wait "$p" || rc=1; done
                pids=()
            fi
        fi
    done
    for p in "${pids[@]}"; do wait "$p" || rc=1; done
    say "$(grep -c PASS "$work/results") passed, $(grep -c FAIL "$work/results") failed"
    return $rc
}

case ${1-} in
build) build ;;
run)
    shift
    run "$@"
    ;;
*) die "usage: fuzz.sh build|run [NAME...]" ;;
esac
