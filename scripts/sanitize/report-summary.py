#!/usr/bin/env python3
"""Groups sanitizer reports in a test log by where they happened.

For each report: its kind and the innermost frame of every stack it prints (the two
accesses of a race, or the faulting access of an AddressSanitizer error), demangled with
swift-demangle. Prints one line per distinct group with its count, most frequent first.
Usage: report-summary.py LOG
"""
import collections
import re
import subprocess
import sys

FRAME = re.compile(r"^\s+#(\d+) (\S+) (\S+)")
START = re.compile(r"WARNING: ThreadSanitizer: (.+?) \(pid|ERROR: AddressSanitizer: (\S+)")


def demangle(names):
    if not names:
        return {}
    try:
        out = subprocess.run(["swift", "demangle", "--simplified", "--compact"], input="\n".join(names),
                             capture_output=True, text=True, check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return {name: name for name in names}
    return dict(zip(names, out))


def main(path):
    reports = []
    current = None
    with open(path, errors="replace") as log:
        for line in log:
            start = START.search(line)
            if start:
                current = {"kind": start.group(1) or start.group(2), "frames": []}
                reports.append(current)
                continue
            if current is None:
                continue
            if line.startswith("SUMMARY:") or line.startswith("=================="):
                current = None
                continue
            frame = FRAME.match(line)
            if frame and frame.group(1) == "0":
                name, where = frame.group(2), frame.group(3)
                current["frames"].append(where if name == "<null>" else name)
    names = sorted({name for report in reports for name in report["frames"]})
    pretty = demangle(names)
    groups = collections.Counter(
        (report["kind"], " | ".join(pretty.get(name, name)[:120] for name in report["frames"][:2])) for report in reports)
    for (kind, frames), count in groups.most_common():
        print(f"{count:4d}  {kind}: {frames}")
    print(f"{len(reports)} report(s) in {len(groups)} group(s)")


if __name__ == "__main__":
    main(sys.argv[1])
