#!/usr/bin/env bash
# The Twilio, engine and worker test suites under ThreadSanitizer and AddressSanitizer
# (issue 13). Each sanitizer builds the whole package with its tests in its own scratch
# folder (.build-tsan, .build-asan: full debug builds, run one after the other, never at the
# same time), then runs the suites and counts the sanitizer reports in the output.
# Prints one line per sanitizer (build time, test closing line, reports) and exits non-zero
# when a sanitizer reported anything or a suite failed.
#   bash scripts/sanitize.sh                 # thread, then address
#   SANITIZERS=address bash scripts/sanitize.sh
#   SANITIZE_FILTER='TwilioCallAdapterTests' bash scripts/sanitize.sh
# Suites run serially (--no-parallel): in parallel under a sanitizer on 2 cores, wall-clock
# deadlines fire and one ASan run went idle with tests unfinished.
set -euo pipefail
cd "$(dirname "$0")/.."
SANITIZERS="${SANITIZERS:-thread address}"
FILTER="${SANITIZE_FILTER:-TwilioMediaStreamsTests|TwilioCallAdapterTests|CallEngineTests|CallWorkerTests}"
OUT="${SANITIZE_OUT:-$PWD/.build-sanitize-out}"
mkdir -p "$OUT"
# Some worker suites use the capacity registry's PostgreSQL.
# shellcheck source=../.ci/postgres.sh
source .ci/postgres.sh
pg_start
trap pg_stop EXIT
# Keep going after a ThreadSanitizer report so one run counts them all; write the reports
# to the output (AddressSanitizer always stops at its first report).
# The options reach the worker processes the suites start (their ChildProcess passes them on),
# so reports from a sanitized call-worker are symbolised and suppressed the same way.
symbolizer="$(dirname "$(command -v swift)")/llvm-symbolizer"
export TSAN_OPTIONS="halt_on_error=0:report_signal_unsafe=0:suppressions=$PWD/scripts/sanitize/tsan-suppressions.txt:external_symbolizer_path=$symbolizer:${TSAN_OPTIONS:-}"
export ASAN_OPTIONS="detect_leaks=0:external_symbolizer_path=$symbolizer:${ASAN_OPTIONS:-}"

status=0
summary=()
# Evidence for reading TSan's reports: the same exact counter under Synchronization.Mutex and
# under a pthread mutex (scripts/sanitize/mutex-repro.swift).
if [[ " $SANITIZERS " == *" thread "* ]]; then
    swiftc -sanitize=thread -O scripts/sanitize/mutex-repro.swift -o "$OUT/mutex-repro"
    for lock in mutex pthread; do
        # TSan exits 66 after reporting; the count is what matters here.
        total=$("$OUT/mutex-repro" "$lock" 2>"$OUT/mutex-$lock.log" || true)
        reports=$(grep -c 'WARNING: ThreadSanitizer' "$OUT/mutex-$lock.log" || true)
        summary+=("TSAN control: ${total}, TSan reports ${reports}")
    done
fi
for sanitizer in $SANITIZERS; do
    case "$sanitizer" in
        thread) scratch=.build-tsan; pattern='WARNING: ThreadSanitizer' ;;
        address) scratch=.build-asan; pattern='ERROR: AddressSanitizer' ;;
        *) echo "unknown sanitizer: $sanitizer" >&2; exit 2 ;;
    esac
    start=$(date +%s)
    if ! swift build --build-tests --scratch-path "$scratch" --sanitize="$sanitizer" >"$OUT/$sanitizer-build.log" 2>&1; then
        tail -20 "$OUT/$sanitizer-build.log"
        summary+=("SANITIZE $sanitizer: build failed")
        status=1
        continue
    fi
    built=$(( $(date +%s) - start ))
    start=$(date +%s)
    tests=0
    swift test --skip-build --scratch-path "$scratch" --sanitize="$sanitizer" --no-parallel --filter "$FILTER" \
        >"$OUT/$sanitizer-test.log" 2>&1 || tests=$?
    ran=$(( $(date +%s) - start ))
    reports=$(grep -c "$pattern" "$OUT/$sanitizer-test.log" || true)
    closing=$(grep -E 'Test run with|Executed [0-9]+ tests' "$OUT/$sanitizer-test.log" | tail -2 | tr '\n' ' ')
    summary+=("SANITIZE $sanitizer: build ${built} s, tests ${ran} s (exit ${tests}), reports ${reports}; ${closing}")
    if [ "$reports" -gt 0 ]; then
        python3 scripts/sanitize/report-summary.py "$OUT/$sanitizer-test.log"
        status=1
    fi
    [ "$tests" -eq 0 ] || status=1
done
printf '%s\n' "${summary[@]}"
exit "$status"
