#!/usr/bin/env python3
"""Where a call-worker's CPU goes: reads `perf script` output (samples with call chains, from
`call-load --profile FILE`) and puts every sample in one category, chosen by the innermost
frame of its call chain that matches a category (so malloc called by the JSON parser counts
as JSON). Prints the share per category and, given the call-seconds of the run, the CPU
milliseconds per call-second.

    perf script -i FILE -F comm,tid,time,event,ip,sym,dso | scripts/profile/perf-breakdown.py --call-seconds 40
"""
import argparse
import re
import sys
from collections import Counter

# (category, regex on a frame's symbol or DSO), checked from the innermost frame outwards;
# the first category whose pattern matches any frame wins, in the order of the frames.
CATEGORIES = [
    ("logging", r"JSONLogHandler|Logging6Logger|swift-log|StreamLogHandler|LogHandler"),
    ("metrics", r"Prometheus|CoreMetrics|Metrics\d|CallWorkerStatistics|CallMetrics|ProviderMetrics"),
    ("base64", r"[Bb]ase64"),
    ("JSON (Twilio messages)", r"TwilioMediaStreams.*(Parser|Message|Decod|Encod|JSON)|JSONDecoder|JSONEncoder|JSONSerialization|_JSON|ZeroCopy"),
    ("mu-law / PCM conversion", r"G711|MuLaw|ALaw|InboundAudioConverter|OutboundAudioConverter|FrameAligner"),
    ("resampling (libsoxr)", r"soxr|libsoxr|Resampler"),
    ("VAD + segmentation", r"VoiceActivity"),
    ("engine decisions (state machine, ledger, timers)", r"CallStateMachine|PlaybackLedger|CallTimers|CallAccounting|SentenceChunker"),
    ("outbound pacing (TwilioCallTransport, OutboundPacer)", r"OutboundPacer|TwilioCallTransport|PlaybackTracker"),
    ("provider HTTP (AsyncHTTPClient, SSE, multipart)", r"AsyncHTTPClient|OpenAIServices|NIOHTTP1|HTTPClient|NIOSSL"),
    ("WebSocket framing (NIOWebSocket, WSCore)", r"WebSocket|WSCore|NIOWebSocket|HummingbirdWebSocket"),
    ("HTTP server (Hummingbird)", r"Hummingbird"),
    ("Swift concurrency (task switches, actor hops, continuations)", r"swift_task|swift::AsyncTask|swift_job|swift_continuation|Continuation|swift::runJob|TaskGroup|_dispatch|dispatch_|swift_asyncLet|DefaultActor|swift::Job|ExecutorRef|swift_defaultActor"),
    ("NIO event loop and socket I/O", r"NIOPosix|NIOCore|NIOAsync|epoll|__libc_read|__libc_write|writev|readv|recv|send"),
    ("engine (other CallEngine)", r"CallEngine"),
    ("Twilio adapter (other)", r"TwilioCallAdapter|TwilioMediaStreams"),
    ("allocation and reference counting", r"malloc|free|swift_retain|swift_release|swift_allocObject|swift_deallocObject|_int_malloc|_int_free"),
    ("Swift runtime (metadata, casts, generics)", r"swift_getWitnessTable|swift_getGenericMetadata|getCache|ConcurrentReadableHashMap|swift_dynamicCast|tryCast|swift_once|swift_getCanonical|instantiateConcreteType|MetadataCache|swift_conformsTo"),
    ("kernel scheduler (context switches)", r"finish_task_switch|schedule|__schedule|futex|_raw_spin_unlock|try_to_wake_up|pick_next"),
    ("clock and timers", r"clock_gettime|vdso|hrtimer|timerfd|nanosleep"),
]
COMPILED = [(name, re.compile(pattern)) for name, pattern in CATEGORIES]


def classify(frames):
    for frame in frames:
        for name, pattern in COMPILED:
            if pattern.search(frame):
                return name
    return "other"


def samples(stream):
    frames = []
    for line in stream:
        line = line.rstrip("\n")
        if not line.strip():
            if frames:
                yield frames
            frames = []
            continue
        if line.startswith((" ", "\t")):
            frames.append(line.strip())
        else:
            frames = []  # header line: comm tid time event
    if frames:
        yield frames


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--call-seconds", type=float, help="call-seconds the profile covers (calls x seconds)")
    parser.add_argument("--frequency", type=float, default=1999, help="perf sampling frequency (Hz)")
    arguments = parser.parse_args()
    counts = Counter()
    total = 0
    for frames in samples(sys.stdin):
        counts[classify(frames)] += 1
        total += 1
    if total == 0:
        sys.exit("no samples")
    cpu_seconds = total / arguments.frequency
    print(f"{total} samples = {cpu_seconds:.2f} CPU-s at {arguments.frequency:.0f} Hz")
    header = "| where | share | CPU ms per call-second |" if arguments.call_seconds else "| where | share |"
    print(header)
    print("|---|---:|---:|" if arguments.call_seconds else "|---|---:|")
    for name, count in counts.most_common():
        share = 100 * count / total
        if arguments.call_seconds:
            per = 1000 * count / arguments.frequency / arguments.call_seconds
            print(f"| {name} | {share:.1f} % | {per:.2f} |")
        else:
            print(f"| {name} | {share:.1f} % |")
    if arguments.call_seconds:
        print(f"| total | 100 % | {1000 * cpu_seconds / arguments.call_seconds:.2f} |")


if __name__ == "__main__":
    main()
