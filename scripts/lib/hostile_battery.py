"""Hostile-peer and hostile-provider battery against a running release call-worker (issue 13).

Run by scripts/hostile-battery.sh, which starts the worker(s) and the providers and passes
their addresses. Every phase runs beside one well-behaved control call, and prints one row.
All traffic goes to 127.0.0.1; every loop is bounded in count and time.
"""
import argparse
import asyncio
import base64
import json
import os
import random
import re
import sys
import time
import urllib.request
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from wsraw import BINARY, TEXT, Closed, RawWebSocket  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # noqa: E402  (Python 3.11: mu-law and resampling)

FRAME = 0.02
SILENCE = b"\xff" * 160
rng = random.Random(13)


def sid(prefix):
    return prefix + os.urandom(16).hex()


# ---------------------------------------------------------------- worker observation

class Worker:
    def __init__(self, http, pid):
        self.http = http
        self.pid = pid
        m = re.match(r"http://([^:/]+):(\d+)", http)
        self.host, self.port = m.group(1), int(m.group(2))

    def get(self, path, timeout=2):
        try:
            with urllib.request.urlopen(self.http + path, timeout=timeout) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        except Exception as e:  # noqa: BLE001
            return 0, str(e)

    def alive(self):
        try:
            os.kill(self.pid, 0)
            with open(f"/proc/{self.pid}/status") as f:
                return "zombie" not in f.read()
        except OSError:
            return False

    def rss_mb(self):
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def active_calls(self):
        status, body = self.get("/health/ready")
        try:
            if status == 200:
                return json.loads(body).get("active_calls", 0)
        except ValueError:
            pass
        # Not ready (a provider's breaker open, full): the engine's gauge says it.
        if "call_engine_active_calls" in self.get("/metrics")[1]:
            return int(self.metric("call_engine_active_calls"))
        return -1

    def metric(self, name):
        _, body = self.get("/metrics")
        total = 0.0
        for line in body.splitlines():
            if line.startswith(name) and not line.startswith("#"):
                try:
                    total += float(line.rsplit(" ", 1)[1])
                except ValueError:
                    pass
        return total

    async def wait_active(self, at_most, seconds):
        """Seconds until active calls <= at_most (None if not within `seconds`)."""
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            if 0 <= await asyncio.to_thread(self.active_calls) <= at_most:
                return time.monotonic() - start
            await asyncio.sleep(0.1)
        return None


# ---------------------------------------------------------------- Twilio messages

class Stream:
    def __init__(self):
        self.call, self.stream, self.account = sid("CA"), sid("MZ"), sid("AC")
        self.seq = 0
        self.chunk = 0

    def next_seq(self):
        self.seq += 1
        return str(self.seq)

    def connected(self):
        return json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"})

    def start(self):
        return json.dumps({"event": "start", "sequenceNumber": self.next_seq(), "streamSid": self.stream, "start": {
            "accountSid": self.account, "streamSid": self.stream, "callSid": self.call, "tracks": ["inbound"],
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}, "customParameters": {}}})

    def media(self, payload=SILENCE):
        self.chunk += 1
        return ('{"event":"media","sequenceNumber":"%s","media":{"track":"inbound","chunk":"%d","timestamp":"%d",'
                '"payload":"%s"},"streamSid":"%s"}' % (self.next_seq(), self.chunk, self.chunk * 20,
                                                       base64.b64encode(payload).decode(), self.stream))

    def mark(self, name):
        return json.dumps({"event": "mark", "sequenceNumber": self.next_seq(), "streamSid": self.stream, "mark": {"name": name}})

    def dtmf(self, digit="1"):
        return json.dumps({"event": "dtmf", "sequenceNumber": self.next_seq(), "streamSid": self.stream,
                           "dtmf": {"track": "inbound_track", "digit": digit}})

    def stop(self):
        return json.dumps({"event": "stop", "sequenceNumber": self.next_seq(), "streamSid": self.stream,
                           "stop": {"accountSid": self.account, "callSid": self.call}})


def load_speech(path):
    """A WAV (espeak-ng: 22,050 Hz PCM16 mono) as 8 kHz mu-law 20 ms frames."""
    import wave
    with wave.open(path) as w:
        pcm = w.readframes(w.getnframes())
        rate, width = w.getframerate(), w.getsampwidth()
    pcm, _ = audioop.ratecv(pcm, width, 1, rate, 8000, None)
    ulaw = audioop.lin2ulaw(pcm, width)
    return [ulaw[i:i + 160].ljust(160, b"\xff") for i in range(0, len(ulaw), 160)]


# ---------------------------------------------------------------- the control call

class Control:
    """A well-behaved caller: real-time media on an absolute schedule, marks echoed when
    their audio has played, one utterance per turn. Measures reply latency (end of the
    caller's speech to the first agent audio) and late frames (agent audio arriving after
    the caller's playout buffer ran dry in the middle of a reply)."""

    def __init__(self, worker, speech, bot="demo", agent_wait=15):
        self.worker, self.speech, self.bot, self.agent_wait = worker, speech, bot, agent_wait
        self.latencies = []
        self.late_frames = 0
        self.frames_in = 0
        self.replies = 0
        self.error = None
        self.speech_end = None
        self.in_reply = False
        self.dry_at = 0.0
        self.marks = []  # (due, name)
        self.audio_bytes = 0
        self.nonsilent_bytes = 0
        self.replies_before = 0

    def observe_media(self, payload, now):
        self.frames_in += 1
        self.audio_bytes += len(payload)
        self.nonsilent_bytes += sum(1 for b in payload if b not in (0xFF, 0x7F))
        if self.speech_end is not None:
            self.latencies.append((now - self.speech_end) * 1000)
            self.speech_end = None
            self.in_reply = True
            self.replies += 1
        elif not self.in_reply:
            self.in_reply = True
            self.replies += 1
        elif now > self.dry_at + 0.001:
            self.late_frames += 1
        self.dry_at = max(self.dry_at, now) + len(payload) / 8000

    async def receive(self, ws, stream):
        while True:
            opcode, payload = await ws.recv()
            now = time.monotonic()
            if opcode != TEXT:
                continue
            message = json.loads(payload)
            event = message.get("event")
            if event == "media":
                self.observe_media(base64.b64decode(message["media"]["payload"]), now)
            elif event == "mark":
                self.marks.append((max(now, self.dry_at), message["mark"]["name"]))
            elif event == "clear":
                self.dry_at = now
                self.marks = [(now, name) for _, name in self.marks]

    def agent_done(self, now, replies):
        return self.replies > replies and not self.marks and now - self.dry_at >= 0.3

    async def run(self, seconds, turns=None, stop=None):
        """Talks for at most `seconds` (or `turns` turns), or until `stop` is set."""
        stream = Stream()
        try:
            ws = await RawWebSocket.connect(self.worker.host, self.worker.port, f"/ws/{self.bot}")
        except (Closed, OSError) as error:
            self.error = f"connect: {error}"
            return self
        receiver = asyncio.create_task(self.receive(ws, stream))
        t0 = time.monotonic()
        n = 0

        async def frame(payload):
            nonlocal n
            n += 1
            due = t0 + n * FRAME
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            now = time.monotonic()
            while self.marks and self.marks[0][0] <= now:
                _, name = self.marks.pop(0)
                await ws.send(stream.mark(name))
            await ws.send(stream.media(payload))

        try:
            await ws.send(stream.connected())
            await ws.send(stream.start())
            done_turns = 0
            while (time.monotonic() - t0 < seconds and (turns is None or done_turns < turns)
                   and not (stop and stop.is_set())):
                # Wait for the agent (greeting or reply) to finish, at most 15 s.
                wait_start = time.monotonic()
                while not self.agent_done(time.monotonic(), self.replies_before):
                    if time.monotonic() - wait_start > self.agent_wait or receiver.done():
                        break
                    await frame(SILENCE)
                if receiver.done():
                    break
                self.replies_before = self.replies
                self.in_reply = False
                for payload in self.speech:
                    await frame(payload)
                self.speech_end = time.monotonic()
                done_turns += 1
            # Let the last reply play, then hang up.
            wait_start = time.monotonic()
            while (not self.agent_done(time.monotonic(), self.replies_before) and time.monotonic() - wait_start < self.agent_wait
                   and not receiver.done()):
                await frame(SILENCE)
            await ws.send(stream.stop())
        except Closed as error:
            self.error = f"closed by the worker: {error}"
        finally:
            receiver.cancel()
            ws.abort()
        if receiver.done() and not receiver.cancelled() and receiver.exception() and self.error is None:
            self.error = f"receive: {receiver.exception()}"
        return self

    def p95(self):
        if not self.latencies:
            return None
        values = sorted(self.latencies)
        return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


# ---------------------------------------------------------------- mutated messages

def mutations(stream):
    """Yields (label, payload bytes, opcode) for one mutated message."""
    base = rng.choice([stream.media(), stream.media(bytes(rng.randrange(256) for _ in range(160))), stream.mark("m1"),
                       stream.dtmf(), stream.start(), stream.connected(), stream.stop()]).encode()
    kind = rng.randrange(12)
    if kind == 0:
        return "truncated", base[:rng.randrange(len(base))], TEXT
    if kind == 1:
        b = bytearray(base)
        for _ in range(rng.randint(1, 8)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        # A text frame must be UTF-8: flipped high bits go as binary instead.
        data = bytes(b)
        try:
            data.decode()
            return "bit flip", data, TEXT
        except UnicodeDecodeError:
            return "bit flip (binary)", data, BINARY
    if kind == 2:
        # Around the 64 KiB message limit and the 128 KiB frame limit.
        # Past the frame limit the worker closes the connection: rarer, so calls last.
        size = rng.choice([65535, 65536, 65537] * 10 + [131071, 131072, 131073, 262144])
        head = b'{"event":"media","sequenceNumber":"9","media":{"track":"inbound","chunk":"1","timestamp":"1","payload":"'
        return f"huge {size}", (head + b"A" * max(0, size - len(head) - 3) + b'"}}')[:size], TEXT
    if kind == 3:
        # Decoded payloads at and around the 8,000-byte limit, and empty.
        n = rng.choice([0, 1, 7999, 8000, 8001, 16000])
        return f"payload {n}", stream.media(bytes(n)).encode(), TEXT
    if kind == 4:
        field = rng.choice(["sequenceNumber", "streamSid", "event"])
        value = rng.choice([1, -1, 1e308, None, [], {}, True, "x" * 70000, "9" * 40])
        m = json.loads(stream.media())
        m[field] = value
        return f"wrong type {field}", json.dumps(m).encode()[:200000], TEXT
    if kind == 5:
        m = json.loads(stream.media())
        m["media"][rng.choice(["chunk", "timestamp", "track"])] = rng.choice([12, "-1", "1e400", "99999999999999999999999", None])
        return "wrong media field", json.dumps(m).encode(), TEXT
    if kind == 6:
        bad = rng.choice(["!!!!", "AAA", "A===", "=" * 8, "\\u0000AAAA", "AAAA" * 10 + "*", "QUJD" * 3 + "="])
        return "bad base64", stream.media().replace(base64.b64encode(SILENCE).decode(), bad).encode(), TEXT
    if kind == 7:
        return "out of order", rng.choice([stream.start(), stream.connected(), stream.mark("never-sent"),
                                           stream.dtmf("Z"), stream.dtmf("")]).encode(), TEXT
    if kind == 8:
        return "random bytes", os.urandom(rng.randrange(1, 400)), BINARY
    if kind == 9:
        return "invalid utf-8 text", b'{"event":"media","x":"\xff\xfe\xc3"}', TEXT
    if kind == 10:
        return "deep nesting", (b"[" * 5000 + b"]" * 5000), TEXT
    m = json.loads(stream.media())
    m["streamSid"] = sid("MZ")
    return "other stream", json.dumps(m).encode(), TEXT


async def mutated_call(worker, budget, counters, deadline):
    """One connection after another until `budget` messages are sent: each call starts
    properly, then mixes mutated messages with valid media (2 of 3 mutated), 50 a second."""
    while counters["sent"] < budget and time.monotonic() < deadline:
        stream = Stream()
        try:
            ws = await RawWebSocket.connect(worker.host, worker.port, "/ws/demo")
        except (Closed, OSError):
            counters["refused"] += 1
            await asyncio.sleep(0.2)
            continue
        counters["calls"] += 1
        drain = asyncio.create_task(drain_frames(ws))
        try:
            await ws.send(stream.connected())
            await ws.send(stream.start())
            t0 = time.monotonic()
            k = 0
            while counters["sent"] < budget and time.monotonic() < deadline and not drain.done():
                if rng.random() < 0.67:
                    _, payload, opcode = mutations(stream)
                else:
                    payload, opcode = stream.media(), TEXT
                await ws.send(payload, opcode)
                counters["sent"] += 1
                k += 1
                delay = t0 + k * FRAME - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            if drain.done():
                counters["ended_by_worker"] += 1
        except Closed:
            counters["ended_by_worker"] += 1
        finally:
            drain.cancel()
            ws.abort()


async def drain_frames(ws, stream=None):
    """Reads (and discards) what the worker sends; with `stream`, echoes each mark at once as
    Twilio does once its audio has played, so the worker's mark deadline does not end the call."""
    try:
        while True:
            opcode, payload = await ws.recv()
            if stream is None or opcode != TEXT:
                continue
            try:
                message = json.loads(payload)
            except ValueError:
                continue
            if message.get("event") == "mark":
                await ws.send(stream.mark(message.get("mark", {}).get("name", "")))
    except Closed:
        return


# ---------------------------------------------------------------- floods and stuck peers

async def flood(worker, factor, seconds):
    """Valid media at `factor` times real time for `seconds`, then stop."""
    stream = Stream()
    ws = await RawWebSocket.connect(worker.host, worker.port, "/ws/demo")
    drain = asyncio.create_task(drain_frames(ws, stream))
    sent = 0
    await ws.send(stream.connected())
    await ws.send(stream.start())
    t0 = time.monotonic()
    tick = 0
    try:
        while time.monotonic() - t0 < seconds and not drain.done():
            for _ in range(factor):
                await ws.send(stream.media(), drain=False)
                sent += 1
            await ws.writer.drain()
            tick += 1
            delay = t0 + tick * FRAME - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        alive = not drain.done()
        await ws.send(stream.stop())
    except Closed:
        alive = False
    drain.cancel()
    ws.abort()
    return sent, time.monotonic() - t0, alive


async def stuck_peer(worker, kind):
    """Opens one stuck peer beside the control call; returns (seconds from its last action
    until the worker's active calls are back to the control call alone, or None if not
    within 30 s; whether it was counted as a call at all)."""
    stream = Stream()
    ws = await RawWebSocket.connect(worker.host, worker.port, "/ws/demo", rcvbuf=2048 if kind == "never reads" else None)
    await ws.send(stream.connected())
    keep = []
    if kind == "no media":
        await ws.send(stream.start())
    elif kind == "never reads":
        # Starts and streams silence in real time, but never reads what the worker sends.
        await ws.send(stream.start())

        async def talk():
            try:
                for _ in range(3000):
                    await asyncio.wait_for(ws.send(stream.media()), 1)
                    await asyncio.sleep(FRAME)
            except (Closed, asyncio.TimeoutError):
                return
        keep.append(asyncio.create_task(talk()))
    elif kind == "ignores close":
        # A normal call; the caller hangs up, then never answers the worker's close.
        await ws.send(stream.start())
        for _ in range(50):
            await ws.send(stream.media())
            await asyncio.sleep(FRAME)
        await ws.send(stream.stop())
        keep.append(asyncio.create_task(ws.wait_eof()))
    t0 = time.monotonic()
    counted = False
    freed = None
    while time.monotonic() - t0 < 30:
        active = await asyncio.to_thread(worker.active_calls)
        if active >= 2:
            counted = True
        elif counted and 0 <= active <= 1:
            freed = time.monotonic() - t0
            break
        elif not counted and time.monotonic() - t0 > 3:
            break  # never counted as a call: measure the connection instead
        await asyncio.sleep(0.1)
    if not counted and kind == "never start":
        # The slot is the pending upgrade: free when the worker closes the connection.
        try:
            while time.monotonic() - t0 < 30:
                await asyncio.wait_for(ws.recv(), 30)
        except (Closed, asyncio.TimeoutError) as error:
            freed = time.monotonic() - t0 if isinstance(error, Closed) else None
    for task in keep:
        task.cancel()
    ws.abort()
    return freed


# ---------------------------------------------------------------- phases

ROWS = []


def row(probe, control, baseline_p95, crashes, leaked, extra, rss_before, rss_after, verdict):
    p95 = control.p95() if control else None
    change = None if (p95 is None or baseline_p95 is None) else p95 - baseline_p95
    ROWS.append({
        "probe": probe, "crashes": crashes, "leaked": leaked, "extra": extra,
        "late": control.late_frames if control else None,
        "p95": p95, "p95_change": change, "rss": rss_after - rss_before,
        "control_error": control.error if control else None, "ok": verdict,
    })


async def beside_control(worker, speech, seconds, hostile):
    """Runs `hostile` (a coroutine function) beside a control call that talks until it is
    done (at most `seconds`), then finishes its turn and hangs up."""
    control = Control(worker, speech)
    stop = asyncio.Event()

    async def run_hostile():
        try:
            return await hostile()
        finally:
            stop.set()
    results = await asyncio.gather(control.run(seconds, stop=stop), run_hostile())
    return control, results[1]


async def main_battery(args):
    worker = Worker(args.worker, args.worker_pid)
    speech = load_speech(args.speech)
    rss0 = worker.rss_mb()

    base = await Control(worker, speech).run(args.control_seconds)
    baseline = base.p95()
    print(f"BATTERY baseline control call: {len(base.latencies)} replies, p95 {baseline and round(baseline)} ms, "
          f"late frames {base.late_frames}, error {base.error}", flush=True)
    await worker.wait_active(0, 15)

    # 100,000 mutated messages across 50 calls.
    counters = {"sent": 0, "calls": 0, "ended_by_worker": 0, "refused": 0}
    r0 = worker.rss_mb()

    async def mutated():
        deadline = time.monotonic() + args.mutated_seconds
        await asyncio.gather(*(mutated_call(worker, args.messages, counters, deadline) for _ in range(50)))
    control, _ = await beside_control(worker, speech, args.mutated_seconds + 10, mutated)
    leaked_after = await worker.wait_active(0, 15)
    leaked = 0 if leaked_after is not None else worker.active_calls()
    row(f"{counters['sent']:,} mutated messages, 50 at once", control, baseline, 0 if worker.alive() else 1, leaked,
        f"{counters['calls']} calls, {counters['ended_by_worker']} ended by the worker", r0, worker.rss_mb(),
        worker.alive() and leaked == 0 and counters["sent"] >= args.messages)

    for factor in (10, 50):
        dropped0 = worker.metric("media_frames_dropped_total")
        r0 = worker.rss_mb()
        out = {}

        async def flooding():
            out["sent"], out["seconds"], out["alive"] = await flood(worker, factor, args.flood_seconds)
        control, _ = await beside_control(worker, speech, args.flood_seconds + 10, flooding)
        dropped = worker.metric("media_frames_dropped_total") - dropped0
        freed = await worker.wait_active(0, 15)
        leaked = 0 if freed is not None else worker.active_calls()
        expected_drop = out["sent"] - (out["seconds"] + 1) * 50
        row(f"media at {factor}x for {args.flood_seconds} s", control, baseline, 0 if worker.alive() else 1, leaked,
            f"{out['sent']:,} frames sent, {int(dropped):,} dropped", r0, worker.rss_mb(),
            worker.alive() and leaked == 0 and dropped >= 0.95 * expected_drop)

    for kind in ("never start", "no media", "never reads", "ignores close"):
        r0 = worker.rss_mb()
        out = {}

        async def stuck():
            await asyncio.sleep(1)  # the control call is admitted first
            out["freed"] = await stuck_peer(worker, kind)
        control, _ = await beside_control(worker, speech, args.stuck_control_seconds, stuck)
        freed = await worker.wait_active(0, 15)
        leaked = 0 if freed is not None else worker.active_calls()
        seconds = out.get("freed")
        row(f"stuck peer: {kind}", control, baseline, 0 if worker.alive() else 1, leaked,
            "slot free after " + ("not within 30 s" if seconds is None else f"{seconds:.1f} s"), r0, worker.rss_mb(),
            worker.alive() and leaked == 0 and seconds is not None and seconds <= 10)

    print(f"BATTERY worker RSS {rss0:.0f} MB at start, {worker.rss_mb():.0f} MB at the end", flush=True)


async def provider_battery(args):
    """One worker per hostile provider mode (the script starts them): one call each."""
    speech = load_speech(args.speech)
    for spec in args.provider_worker:
        mode, http, pid = spec.split(",")
        worker = Worker(http, int(pid))
        r0 = worker.rss_mb()
        peak = [r0]

        async def sample():
            while True:
                peak[0] = max(peak[0], worker.rss_mb())
                await asyncio.sleep(0.1)
        sampler = asyncio.create_task(sample())
        control = await Control(worker, speech, agent_wait=8).run(args.provider_seconds, turns=2)
        sampler.cancel()
        freed = await worker.wait_active(0, 15)
        leaked = 0 if freed is not None else worker.active_calls()
        garbage = control.nonsilent_bytes if mode == "tts-html" else 0
        extra = f"{control.audio_bytes / 8000:.1f} s of agent audio, {garbage} garbage bytes played"
        row(f"provider: {mode}", None, None, 0 if worker.alive() else 1, leaked, extra, r0, peak[0],
            worker.alive() and leaked == 0 and garbage == 0 and peak[0] - r0 < 50)
        ROWS[-1]["control_error"] = control.error


def print_table():
    print()
    print("| probe | crashes | slots leaked | figures | control late frames | control p95 (change) ms | RSS change MB | pass |")
    print("|---|---|---|---|---|---|---|---|")
    failed = 0
    for r in ROWS:
        p95 = "n/a" if r["p95"] is None else f"{r['p95']:.0f} ({r['p95_change']:+.0f})" if r["p95_change"] is not None else f"{r['p95']:.0f}"
        late = "n/a" if r["late"] is None else str(r["late"])
        ok = r["ok"] and (r["late"] in (None, 0)) and (r["p95_change"] is None or r["p95_change"] < 50)
        failed += 0 if ok else 1
        print(f"| {r['probe']} | {r['crashes']} | {r['leaked']} | {r['extra']} | {late} | {p95} | {r['rss']:+.0f} | "
              f"{'yes' if ok else 'NO'} |")
        if r["control_error"]:
            print(f"|   (control call: {r['control_error']}) | | | | | | | |")
    print(f"\nhostile-battery: {len(ROWS) - failed} passed, {failed} failed")
    return failed


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--worker")
    p.add_argument("--worker-pid", type=int)
    p.add_argument("--speech", required=True)
    p.add_argument("--messages", type=int, default=100_000)
    p.add_argument("--mutated-seconds", type=float, default=120)
    p.add_argument("--control-seconds", type=float, default=40)
    p.add_argument("--flood-seconds", type=int, default=30)
    p.add_argument("--stuck-control-seconds", type=float, default=45)
    p.add_argument("--provider-worker", action="append", default=[], help="MODE,HTTP,PID")
    p.add_argument("--provider-seconds", type=float, default=25)
    args = p.parse_args()
    if args.worker:
        asyncio.run(main_battery(args))
    if args.provider_worker:
        asyncio.run(provider_battery(args))
    sys.exit(1 if print_table() else 0)


if __name__ == "__main__":
    main()
