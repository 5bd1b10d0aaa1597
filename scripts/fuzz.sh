#!/usr/bin/env bash
# libFuzzer run of the network-input parsers (issue 13): builds the separate Fuzz/ package
# with libFuzzer + AddressSanitizer in release mode, then runs each target for SECONDS
# (default 60) from its checked-in seed corpus (Fuzz/Corpus/<target>, copied to a scratch
# corpus so the checked-in one stays small). Prints per target the executions, the corpus
# size reached and the findings (crash, leak, timeout or out-of-memory inputs), then a
# summary line; exits non-zero when any target has a finding. Finding inputs are kept in
# $FUZZ_OUT (default .build-fuzz-out/<target>/) to reproduce with `Fuzz/.build/release/<target> FILE`.
#   bash scripts/fuzz.sh            # 60 s each
#   bash scripts/fuzz.sh 600        # longer
#   FUZZ_TARGETS="FuzzWAV FuzzSSE" bash scripts/fuzz.sh 30
#
# Flags: SwiftPM's `--sanitize=fuzzer --sanitize=address` makes it link libFuzzer's main (and
# not rename the module's entry point), but the Swift 6.3 driver keeps only the last
# `-sanitize=` it is given, so the Swift code would get AddressSanitizer without coverage
# (libFuzzer then says "no interesting inputs"). `-Xswiftc -sanitize=fuzzer,address`, which
# comes last, gives both.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-60}"
TARGETS="${FUZZ_TARGETS:-FuzzTwilioMessage FuzzWAV FuzzSSE FuzzChatStream FuzzTwilioForm}"
OUT="${FUZZ_OUT:-$PWD/.build-fuzz-out}"
BIN=Fuzz/.build/release

build_start=$(date +%s)
# Product by product: a plain `swift build` here would also build the main package's
# executables, which do not compile with libFuzzer's flags (it supplies `main`).
for target in $TARGETS; do
    (cd Fuzz && swift build -c release --product "$target" \
        --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address 2>&1 | grep -E 'error|warning: unre|Compiling|complete' | tail -3)
done
echo "FUZZ build: $(( $(date +%s) - build_start )) s"

total_findings=0
printf '%-20s %12s %10s %8s %9s\n' target executions exec/s corpus findings
for target in $TARGETS; do
    work="$OUT/$target"
    rm -rf "$work" && mkdir -p "$work/corpus" "$work/findings"
    cp Fuzz/Corpus/"$target"/* "$work/corpus/"
    # -timeout: one input taking over 10 s is a finding; -rss_limit_mb: so is a 2 GiB process.
    # The Swift backtracer would stop a crashing input for seconds; libFuzzer reports it.
    SWIFT_BACKTRACE=enable=no "$BIN/$target" "$work/corpus" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$work/findings/" >"$work/log" 2>&1 || true
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
    per_second=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1)
    corpus=$(find "$work/corpus" -type f | wc -l)
    findings=$(find "$work/findings" -type f | wc -l)
    # A run that never printed its statistics died in a way libFuzzer did not catch: count it.
    if [ -z "$executions" ]; then findings=$((findings + 1)); executions=0; fi
    total_findings=$((total_findings + findings))
    printf '%-20s %12s %10s %8s %9s\n' "$target" "$executions" "${per_second:-0}" "$corpus" "$findings"
    if [ "$findings" -gt 0 ]; then
        grep -m1 -E 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|Fatal error|SUMMARY' "$work/log" || tail -5 "$work/log"
        ls "$work/findings"
    fi
done
echo "FUZZ: ${SECONDS_EACH} s per target, ${total_findings} findings"
[ "$total_findings" -eq 0 ]
