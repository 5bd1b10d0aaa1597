#!/usr/bin/env bash
# Per-thread wake-ups and CPU of the call-worker during one call-load level: runs
#   call-load --calls N --turns T
# waits until the warm-up call is over, then reads every worker thread's voluntary and
# involuntary context switches and CPU ticks (/proc/<pid>/task/*/{status,stat}) at the start and
# the end of a window, and prints the difference per second. No tracer is attached (strace -f
# inflates context switches: each traced syscall is one).
#
#   scripts/profile/thread-wakeups.sh [--calls N] [--turns T] [--window S] [--skip S]
#
# Needs a release build of call-worker, provider-fake and call-load (see README, "Load test").
set -euo pipefail

calls=1 turns=3 window=20 skip=14
while [ $# -gt 0 ]; do
    case "$1" in
        --calls) calls=$2; shift 2 ;;
        --turns) turns=$2; shift 2 ;;
        --window) window=$2; shift 2 ;;
        --skip) skip=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

root=$(cd "$(dirname "$0")/../.." && pwd)
load="$root/.build/release/call-load"
[ -x "$load" ] || { echo "build call-load first: $load" >&2; exit 1; }
log=$(mktemp)
"$load" --calls "$calls" --turns "$turns" > "$log" 2>&1 &
driver=$!
trap 'kill "$driver" 2>/dev/null || true; rm -f "$log"' EXIT

worker=""
for _ in $(seq 150); do
    worker=$(pgrep -P "$driver" -x call-worker || true)
    [ -n "$worker" ] && break
    sleep 0.2
done
[ -n "$worker" ] || { echo "no call-worker started" >&2; cat "$log" >&2; exit 1; }
# The warm-up call and the ramp: the window should fall inside the measured calls.
sleep "$skip"

snapshot() {
    for task in /proc/"$worker"/task/*; do
        name=$(tr ' ' _ < "$task/comm")
        voluntary=$(awk '/^voluntary_ctxt_switches/ {print $2}' "$task/status")
        involuntary=$(awk '/^nonvoluntary_ctxt_switches/ {print $2}' "$task/status")
        ticks=$(awk '{print $14 + $15}' "$task/stat")
        echo "$(basename "$task") $name $voluntary $involuntary $ticks"
    done
}
before=$(snapshot)
sleep "$window"
after=$(snapshot)
hz=$(getconf CLK_TCK)

echo "call-worker pid $worker, $calls call(s), window ${window} s (after ${skip} s)"
printf '%-8s %-18s %12s %12s %14s\n' tid thread "wakes/s" "preempted/s" "CPU ms/s"
join <(echo "$before" | sort) <(echo "$after" | sort) | awk -v w="$window" -v hz="$hz" '
    { v = ($7 - $3) / w; i = ($8 - $4) / w; c = ($9 - $5) * 1000 / hz / w
      tv += v; ti += i; tc += c
      printf "%-8s %-18s %12.1f %12.1f %14.2f\n", $1, $2, v, i, c }
    END { printf "%-8s %-18s %12.1f %12.1f %14.2f\n", "", "total", tv, ti, tc }'
wait "$driver" || true
grep -E "CPU-s per call-minute|reply latency p50" "$log" || true
