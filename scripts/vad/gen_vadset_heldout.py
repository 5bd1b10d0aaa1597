#!/usr/bin/env python3
"""Generate the HELD-OUT VAD evaluation set (default: ./vadset-heldout, seed 20261123).

A copy of ../shared/vad-dev/gen_vadset.py with 30 other target sentences, 16 other
babble sentences and other noise slices; nothing in VoiceActivity was tuned on it.
It imports common.py from ../shared/vad-dev (or $VAD_DEV_DIR).

Pipeline (all deterministic: fixed seeds, `sox -R`, TTS engines are deterministic):
  1. Render every utterance with espeak-ng (several voices/speeds/pitches) or
     festival (kal_diphone, ked_diphone, cmu_us_slt_arctic_hts), convert with
     sox to 8 kHz mono 16-bit through a 300-3400 Hz telephone band-pass.
  2. Ground truth per utterance, on the clean utterance alone, at 10 ms:
     see GT_RULE below.
  3. Assemble 4 scripts (~30 s each): silence / sentence / short word ("yes",
     "no", "OK", ...) alternation, with short (<125 ms) non-speech bursts
     (clicks, cough-like noise bursts, thumps, crackle) inside the pauses.
  4. Mix noise at SNR 20/10/5/0 dB: white, pink, brown (sox synth), babble
     (6 TTS talkers summed), 50 Hz hum (+harmonics); plus clean and 3
     clipping cases.  Write vadset/audio/<id>.wav (PCM16) and
     vadset/ulaw/<id>.ul (headerless G.711 mu-law made by sox).
  5. Write vadset/manifest.json and vadset/labels/<script>.txt.

Usage: python gen_vadset.py [--out DIR] [--keep-work]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.environ.get(
    "VAD_DEV_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "vad-dev")))
from common import VADEVAL_DIR, environment, float_to_int16, read_wav_int16, write_wav_int16

SR = 8000
FRAME = 80  # 10 ms
REF_LEVEL_DBFS = -26.0  # nominal active speech level (ITU-T telephone reference)
SNRS = [20, 10, 5, 0]
NOISES = ["white", "pink", "brown", "babble", "hum"]
CLIP_CASES = [("clean", None), ("pink", 20), ("white", 10)]  # (noise, snr) before +20 dB gain and hard clipping
CLIP_GAIN_DB = 20.0
N_SCRIPTS = 4
SCRIPT_SLOT_S = 40.0  # noise/babble slice per script (no two scripts share noise samples)

GT_RULE = (
    "Per clean utterance (8 kHz, after the 300-3400 Hz band-pass, before level scaling and mixing): "
    "10 ms frames (80 samples, non-overlapping, aligned to the file's 10 ms grid); frame energy "
    "E = 10*log10(mean(x^2)) dBFS; a frame is speech when E >= max_frame(E) - 40 dB; non-speech gaps "
    "shorter than 300 ms between speech frames are filled (intra-utterance pauses); speech runs "
    "shorter than 30 ms are dropped. Each remaining run is one ground-truth speech segment. "
    "Bursts, noise, hum and babble never create speech labels."
)

TARGET_SENTENCES = [
    "Good morning, I'm calling about the leak under my kitchen sink.",
    "My internet has been dropping out every evening this week.",
    "Could you tell me when the next available appointment is?",
    "I paid the invoice twice by mistake and need one refunded.",
    "The package says delivered but nothing was left at my door.",
    "We're hoping to book a table for six people on Saturday.",
    "I'd like to cancel the subscription before it renews again.",
    "The technician never showed up during the promised window.",
    "My policy number starts with seven two and then four zeros.",
    "Is there any chance of getting a discount for paying annually?",
    "The new phone won't charge even with the original cable.",
    "Yes, the billing address is the same as the shipping one.",
    "I'm calling on behalf of my mother, she's hard of hearing.",
    "Can you send someone to check the boiler pressure tomorrow?",
    "The confirmation code you texted me doesn't seem to work.",
    "We moved house last month and the mail is still going there.",
    "I want to report a streetlight that has been out for weeks.",
    "Would a Tuesday morning be okay for the inspection visit?",
    "Our team needs twenty more licenses for the new hires.",
    "No thanks, I already have coverage through my employer.",
    "There's a charge on my statement I don't recognise at all.",
    "The garage door opener stopped responding after the storm.",
    "Please put me through to someone in the accounts department.",
    "I need to change the name on the reservation to my partner.",
    "My flight was cancelled and I'd like to rebook for Thursday.",
    "The water bill doubled even though we were away on holiday.",
    "Can I pick up the prescription from a different pharmacy?",
    "I have a question about the warranty on the washing machine.",
    "Let me check my calendar and call you back this afternoon.",
    "Okay, so what happens if I miss the payment deadline?",
]
BABBLE_SENTENCES = [
    "The library will stay open late during the exam period.",
    "Fresh snow fell overnight across most of the northern hills.",
    "A new bridge is planned to connect the two river districts.",
    "The orchestra rehearsed the final movement three times.",
    "Local farmers expect a good harvest after the warm summer.",
    "The museum reopened after a long period of renovation.",
    "Volunteers cleaned the beach early on Sunday morning.",
    "The train was delayed by a signal failure near the junction.",
    "Children played football in the park until it got dark.",
    "The council approved funding for more cycle lanes.",
    "An old lighthouse stands at the end of the rocky pier.",
    "The chef prepared a special menu for the anniversary.",
    "Several roads were closed for the marathon on Sunday.",
    "The bookshop on the corner is having a closing down sale.",
    "Heavy traffic slowed the journey home after the concert.",
    "The gardeners planted tulips along the main avenue.",
]
SHORT_WORDS = ["yes", "no", "OK", "yeah", "sure", "hi"]

# (engine, voice, speed_wpm or stretch, pitch)
VOICES = [
    ("espeak", "en-us", 165, 55),
    ("espeak", "en-us+f2", 170, 62),
    ("espeak", "en+f3", 155, 68),
    ("espeak", "en-gb", 180, 45),
    ("espeak", "en-us+m2", 195, 42),
    ("espeak", "en-gb-x-rp+m4", 150, 38),
    ("espeak", "en-us+f4", 205, 58),
    ("espeak", "en-us-nyc", 175, 48),
    ("festival", "kal_diphone", 0.95, None),
    ("festival", "cmu_us_slt_arctic_hts", 1.1, None),
]


def sh(cmd: list[str], **kw) -> None:
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"command failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr}")


class Renderer:
    def __init__(self, work: str):
        self.work = work
        self.cache: dict = {}
        self.have_festival = shutil.which("text2wave") is not None

    def voice_ok(self, v) -> bool:
        return v[0] == "espeak" or self.have_festival

    def render(self, text: str, voice) -> np.ndarray:
        """Return float64 samples (int16 units) at 8 kHz, band-passed 300-3400 Hz."""
        key = (text, voice)
        if key in self.cache:
            return self.cache[key]
        engine, name, speed, pitch = voice
        h = hashlib.sha1(repr(key).encode()).hexdigest()[:16]
        raw = os.path.join(self.work, f"{h}_raw.wav")
        out = os.path.join(self.work, f"{h}_8k.wav")
        if engine == "espeak":
            sh(["espeak-ng", "-v", name, "-s", str(speed), "-p", str(pitch), "-w", raw, text])
        else:
            txt = os.path.join(self.work, f"{h}.txt")
            with open(txt, "w") as f:
                f.write(text + "\n")
            ev = f"(begin (voice_{name}) (Parameter.set 'Duration_Stretch {speed}))"
            sh(["text2wave", "-eval", ev, "-o", raw, txt])
        sh(["sox", "-D", "-R", "-V1", raw, "-r", str(SR), "-c", "1", "-b", "16", out, "sinc", "300-3400"])
        x, sr = read_wav_int16(out)
        assert sr == SR
        y = x.astype(np.float64)
        self.cache[key] = y
        return y


# --------------------------------------------------------------------------
# ground truth
# --------------------------------------------------------------------------
def frame_energy_db(x: np.ndarray) -> np.ndarray:
    n = len(x) // FRAME
    f = x[: n * FRAME].reshape(n, FRAME) / 32768.0
    return 10 * np.log10(np.mean(f * f, axis=1) + 1e-20)


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index runs of True."""
    m = np.concatenate([[False], mask.astype(bool), [False]])
    d = np.diff(m.astype(np.int8))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)
    return list(zip(starts.tolist(), ends.tolist()))


def gt_frames(x: np.ndarray) -> np.ndarray:
    e = frame_energy_db(x)
    sp = e >= (e.max() - 40.0)
    r = runs(sp)
    # fill gaps < 300 ms between speech runs
    for (a0, a1), (b0, b1) in zip(r, r[1:]):
        if b0 - a1 < 30:
            sp[a1:b0] = True
    for a, b in runs(sp):
        if b - a < 3:
            sp[a:b] = False
    return sp


def prepare_utterance(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Trim to speech extent +-50 ms on the 10 ms grid; return (samples, gt mask per 10 ms frame)."""
    pad = len(x) % FRAME
    if pad:
        x = np.concatenate([x, np.zeros(FRAME - pad)])
    g = gt_frames(x)
    idx = np.flatnonzero(g)
    if len(idx) == 0:
        raise RuntimeError("TTS produced no speech")
    a = max(0, idx[0] - 5)
    b = min(len(g), idx[-1] + 1 + 5)
    xs = x[a * FRAME : b * FRAME]
    gs = g[a:b]
    # zero padding if the TTS output had no room for the 50 ms margins
    lead = 5 - (idx[0] - a)
    tail = 5 - (b - idx[-1] - 1)
    if lead > 0:
        xs = np.concatenate([np.zeros(lead * FRAME), xs]); gs = np.concatenate([np.zeros(lead, bool), gs])
    if tail > 0:
        xs = np.concatenate([xs, np.zeros(tail * FRAME)]); gs = np.concatenate([gs, np.zeros(tail, bool)])
    return xs, gs


def active_power(x: np.ndarray, g: np.ndarray) -> float:
    n = len(g)
    f = x[: n * FRAME].reshape(n, FRAME)
    return float(np.mean(f[g] ** 2))


# --------------------------------------------------------------------------
# bursts (< 125 ms, non-speech)
# --------------------------------------------------------------------------
def make_burst(kind: str, rng: np.random.Generator) -> np.ndarray:
    ref = 32768.0 * 10 ** (REF_LEVEL_DBFS / 20)
    if kind == "click":
        n = int(rng.integers(16, 80))  # 2-10 ms
        t = np.arange(n)
        x = rng.standard_normal(n) * np.exp(-t / (n / 5))
        x[0] += 6
        x *= 32768 * 10 ** (rng.uniform(-14, -6) / 20) / np.max(np.abs(x))
    elif kind == "cough":
        n = int(rng.integers(480, 960))  # 60-120 ms
        t = np.arange(n) / SR
        x = rng.standard_normal(n)
        # crude band-pass 300-2500 Hz via FFT mask
        X = np.fft.rfft(x)
        fr = np.fft.rfftfreq(n, 1 / SR)
        X[(fr < 300) | (fr > 2500)] = 0
        x = np.fft.irfft(X, n)
        env = (1 - np.exp(-t / 0.004)) * np.exp(-t / rng.uniform(0.02, 0.035))
        x *= env
        x *= ref * 10 ** (rng.uniform(0, 8) / 20) / (np.sqrt(np.mean(x[: n // 3] ** 2)) + 1e-9)
    elif kind == "thump":
        n = int(rng.integers(320, 800))  # 40-100 ms
        t = np.arange(n) / SR
        f0 = rng.uniform(90, 200)
        x = np.sin(2 * np.pi * f0 * t) * np.exp(-t / 0.02) + 0.2 * rng.standard_normal(n) * np.exp(-t / 0.005)
        x *= 32768 * 10 ** (rng.uniform(-16, -8) / 20) / np.max(np.abs(x))
    elif kind == "crackle":
        n = int(rng.integers(640, 960))  # 80-120 ms
        x = np.zeros(n)
        for _ in range(int(rng.integers(3, 7))):
            p = int(rng.integers(0, n - 40))
            m = int(rng.integers(8, 40))
            x[p : p + m] += rng.standard_normal(m) * np.exp(-np.arange(m) / (m / 4))
        x *= 32768 * 10 ** (rng.uniform(-16, -8) / 20) / (np.max(np.abs(x)) + 1e-9)
    else:
        raise ValueError(kind)
    assert len(x) < 0.125 * SR
    return x


# --------------------------------------------------------------------------
# noises
# --------------------------------------------------------------------------
def sox_noise(kind: str, seconds: float, work: str) -> np.ndarray:
    path = os.path.join(work, f"noise_{kind}.f32")
    sh(["sox", "-R", "-V1", "-n", "-r", str(SR), "-c", "1", "-t", "f32", path, "synth", f"{seconds}", f"{kind}noise"])
    x = np.fromfile(path, dtype="<f4").astype(np.float64)
    return x - x.mean()


def hum(seconds: float, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    x = np.zeros_like(t)
    for f, a in ((50, 1.0), (100, 0.3), (150, 0.5), (250, 0.25), (350, 0.12)):
        x += a * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
    return x


def babble(seconds: float, rend: Renderer, rng: np.random.Generator, n_talkers: int = 6) -> tuple[np.ndarray, list]:
    n = int(seconds * SR)
    total = np.zeros(n)
    talkers = []
    voices = [v for v in VOICES if rend.voice_ok(v)]
    picks = rng.choice(len(voices), size=n_talkers, replace=False)
    for vi in picks:
        v = voices[int(vi)]
        buf = [np.zeros(int(rng.integers(0, SR)))]  # random start offset
        length = len(buf[0])
        while length < n:
            for si in rng.permutation(len(BABBLE_SENTENCES)):
                x, g = prepare_utterance(rend.render(BABBLE_SENTENCES[si], v))
                x = x / np.sqrt(active_power(x, g))
                buf.append(x)
                gap = np.zeros(int(rng.integers(int(0.05 * SR), int(0.25 * SR))))
                buf.append(gap)
                length += len(x) + len(gap)
                if length >= n:
                    break
        tk = np.concatenate(buf)[:n]
        total += tk
        talkers.append(list(v))
    return total - total.mean(), talkers


# --------------------------------------------------------------------------
# script assembly
# --------------------------------------------------------------------------
def build_script(sid: int, rend: Renderer, rng: np.random.Generator, sentences: list[str]) -> dict:
    voices = [v for v in VOICES if rend.voice_ok(v)]
    items = [("sentence", s) for s in sentences] + [("short", w) for w in rng.choice(SHORT_WORDS, size=4, replace=False)]
    order = rng.permutation(len(items))
    items = [items[i] for i in order]
    pieces = []  # (start_sample, samples, "speech"|"burst")
    speech = []
    bursts = []
    burst_kinds = ["click", "cough", "thump", "crackle"]

    def place_bursts(lo: int, hi: int) -> None:
        """Put 0-2 bursts in [lo, hi) (sample indices), >= 300 ms apart."""
        if hi - lo <= int(0.125 * SR) or rng.uniform() >= 0.9:
            return
        nb = 1 + int(hi - lo > int(0.6 * SR) and rng.uniform() < 0.6)
        placed_end = lo
        for _ in range(nb):
            bk = burst_kinds[int(rng.integers(len(burst_kinds)))]
            bx = make_burst(bk, rng)
            if placed_end + len(bx) >= hi:
                break
            room_for_next = (hi - placed_end) // 2 if nb == 2 and placed_end == lo else hi - placed_end
            st = int(rng.integers(placed_end, max(placed_end + 1, placed_end + room_for_next - len(bx))))
            pieces.append((st, bx, "burst"))
            bursts.append({"start": st / SR, "end": (st + len(bx)) / SR, "label": "nonspeech", "kind": "burst",
                           "burst_type": bk, "duration_ms": round(len(bx) * 1000 / SR, 1)})
            placed_end = st + len(bx) + int(0.3 * SR)

    pos = int(round(rng.uniform(0.8, 1.5) * 100)) * FRAME
    # leading silence: bursts between 150 ms and 450 ms before the first speech frame
    # (the utterance piece starts with a 50 ms margin)
    place_bursts(int(0.15 * SR), pos + 5 * FRAME - int(0.45 * SR))
    for k, (kind, text) in enumerate(items):
        v = voices[int(rng.integers(len(voices)))]
        x, g = prepare_utterance(rend.render(str(text), v))
        lvl = REF_LEVEL_DBFS + rng.uniform(-6, 6)
        x = x * (32768 * 10 ** (lvl / 20)) / np.sqrt(active_power(x, g))
        pieces.append((pos, x, "speech"))
        f0 = pos // FRAME
        for a, b in runs(g):
            speech.append({"start": (f0 + a) / 100, "end": (f0 + b) / 100, "label": "speech", "kind": kind,
                           "text": str(text), "voice": f"{v[0]}:{v[1]}:{v[2]}" + (f":p{v[3]}" if v[3] is not None else "")})
        pos += len(x)
        gap_frames = int(round(rng.uniform(0.6, 1.8) * 100))
        # bursts >= 400 ms after the last speech frame and >= 450 ms before the next one
        # (each utterance piece carries 50 ms margins)
        place_bursts(pos + 35 * FRAME, pos + (gap_frames - 40) * FRAME)
        pos += gap_frames * FRAME
    total = pos + 50 * FRAME
    sp = np.zeros(total)
    bu = np.zeros(total)
    for st, x, kind in pieces:
        (bu if kind == "burst" else sp)[st : st + len(x)] += x
    gtf = np.zeros(total // FRAME, bool)
    for s in speech:
        gtf[int(round(s["start"] * 100)) : int(round(s["end"] * 100))] = True
    return {"id": f"s{sid}", "speech": sp, "bursts": bu, "gt_frames": gtf, "segments": speech, "burst_segments": bursts,
            "duration_s": total / SR}


def write_sums(out: str) -> None:
    """vadset/SHA256SUMS in `sha256sum -c` format (regeneration check)."""
    lines = []
    for sub in ("audio", "ulaw", "labels", "clean"):
        for name in sorted(os.listdir(os.path.join(out, sub))):
            rel = f"{sub}/{name}"
            with open(os.path.join(out, rel), "rb") as f:
                lines.append(f"{hashlib.sha256(f.read()).hexdigest()}  {rel}")
    with open(os.path.join(out, "SHA256SUMS"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.getcwd(), "vadset-heldout"))
    ap.add_argument("--keep-work", action="store_true")
    ap.add_argument("--seed", type=int, default=20261123)
    args = ap.parse_args()
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found (apt-get install espeak-ng sox libsox-fmt-all festival ...; see setup.sh)")
    out = args.out
    work = tempfile.mkdtemp(prefix="vadset_work_")
    try:
        rend = Renderer(work)
        if not rend.have_festival:
            print("WARNING: festival (text2wave) not found: espeak-ng voices only", file=sys.stderr)
        rng = np.random.default_rng(args.seed)
        sent_order = rng.permutation(len(TARGET_SENTENCES))
        per = 5
        scripts = []
        for s in range(N_SCRIPTS):
            sents = [TARGET_SENTENCES[i] for i in sent_order[s * per : (s + 1) * per]]
            sc = build_script(s, rend, np.random.default_rng(args.seed + 1 + s), sents)
            if sc["duration_s"] > SCRIPT_SLOT_S:
                raise RuntimeError(f"script {s} too long: {sc['duration_s']:.1f} s")
            scripts.append(sc)
            print(f"script s{s}: {sc['duration_s']:.1f} s, {len(sc['segments'])} speech segments, "
                  f"{len(sc['burst_segments'])} bursts", flush=True)
        noise_len = SCRIPT_SLOT_S * N_SCRIPTS * 2 + 1
        noise_src = {k: sox_noise(k, noise_len, work) for k in ("white", "pink", "brown")}
        noise_src["hum"] = hum(noise_len, np.random.default_rng(args.seed + 100))
        bab, bab_talkers = babble(noise_len, rend, np.random.default_rng(args.seed + 200))
        noise_src["babble"] = bab
        print("noises ready", flush=True)

        for sub in ("audio", "ulaw", "labels", "clean"):
            d = os.path.join(out, sub)
            if os.path.isdir(d):
                shutil.rmtree(d)
            os.makedirs(d)

        files = []
        for sc in scripts:
            sid = sc["id"]
            si = int(sid[1:])
            S, B, G = sc["speech"], sc["bursts"], sc["gt_frames"]
            n = len(S)
            ps = active_power(S, G)
            write_wav_int16(os.path.join(out, "clean", f"{sid}_speech_only.wav"), float_to_int16(S), SR)
            conds = [("clean", None, False)] + [(nk, snr, False) for nk in NOISES for snr in SNRS] + \
                    [(nk, snr, True) for nk, snr in CLIP_CASES]
            for nk, snr, clip in conds:
                mix = S + B
                noise_gain_db = None
                if nk != "clean":
                    off = int((N_SCRIPTS + si) * SCRIPT_SLOT_S * SR)
                    N = noise_src[nk][off : off + n]
                    g = np.sqrt(ps / (np.mean(N ** 2) * 10 ** (snr / 10)))
                    mix = mix + g * N
                    noise_gain_db = 20 * np.log10(g)
                post_gain_db = 0.0
                clipped_frac = 0.0
                if clip:
                    mix = mix * 10 ** (CLIP_GAIN_DB / 20)
                    post_gain_db = CLIP_GAIN_DB
                    clipped_frac = float(np.mean(np.abs(mix) > 32767))
                else:
                    peak = np.max(np.abs(mix))
                    if peak > 32767 * 0.99:
                        gg = 32767 * 0.99 / peak
                        mix = mix * gg
                        post_gain_db = 20 * np.log10(gg)
                fid = f"{sid}_{'clip_' if clip else ''}{nk}" + (f"_snr{snr}" if snr is not None else "")
                x16 = float_to_int16(mix)
                wav = os.path.join(out, "audio", fid + ".wav")
                ul = os.path.join(out, "ulaw", fid + ".ul")
                write_wav_int16(wav, x16, SR)
                sh(["sox", "-D", "-R", "-V1", wav, "-t", "ul", ul])
                files.append({
                    "id": fid, "script": sid, "wav": f"audio/{fid}.wav", "ulaw": f"ulaw/{fid}.ul",
                    "noise": nk, "snr_db": snr, "clipped": clip, "clipped_sample_fraction": round(clipped_frac, 5),
                    "post_gain_db": round(post_gain_db, 2), "duration_s": n / SR, "n_samples": n,
                    "n_frames_10ms": n // FRAME,
                    "group": ("clip" if clip else ("clean" if nk == "clean" else f"snr{snr}")),
                })
            # labels
            with open(os.path.join(out, "labels", f"{sid}.txt"), "w") as f:
                f.write("# start_s\tend_s\tlabel\tkind\tdetail\n")
                allseg = sorted(sc["segments"] + sc["burst_segments"], key=lambda d: d["start"])
                for d in allseg:
                    detail = d.get("text", d.get("burst_type", ""))
                    if "voice" in d:
                        detail += f" | {d['voice']}"
                    f.write(f"{d['start']:.3f}\t{d['end']:.3f}\t{d['label']}\t{d['kind']}\t{detail}\n")
            with open(os.path.join(out, "labels", f"{sid}.frames10ms"), "w") as f:
                f.write("".join("1" if v else "0" for v in G) + "\n")

        manifest = {
            "format_version": 1,
            "description": "Labelled VAD evaluation set for 8 kHz phone audio (HELD-OUT set: other sentences, babble text, noise slices, seed).",
            "sample_rate": SR, "frame_ms": 10,
            "gt_rule": GT_RULE,
            "snr_rule": "SNR = 10*log10(P_speech / P_noise); P_speech = mean power of the clean speech track over its "
                        "ground-truth speech frames (active level), P_noise = mean power of the noise slice over the "
                        "whole file, both full band 0-4 kHz. Bursts are not counted as speech or noise.",
            "levels": f"each utterance scaled to an active level of {REF_LEVEL_DBFS} dBFS +-6 dB (uniform); "
                      f"if a mix would exceed full scale it is scaled down as a whole (post_gain_db, SNR kept)",
            "clipping": f"clip cases: mix multiplied by +{CLIP_GAIN_DB} dB then hard-clipped to int16",
            "noises": {
                "white/pink/brown": "sox -R synth <len> {white,pink,brown}noise (f32), mean removed; script k uses the "
                                    f"slice starting at k*{SCRIPT_SLOT_S} s",
                "babble": f"6 TTS talkers (voices {bab_talkers}) reading babble-only sentences, each talker "
                          "normalised to equal active level, summed",
                "hum": "50 Hz mains hum: 50 (1.0), 100 (0.3), 150 (0.5), 250 (0.25), 350 (0.12) Hz sines, random phases",
            },
            "bursts": "short non-speech events < 125 ms in pauses, >= 400 ms from speech: click (2-10 ms), cough-like "
                      "band-passed noise burst (60-120 ms), thump (40-100 ms decaying 90-200 Hz sine), crackle "
                      "(80-120 ms click train); labelled nonspeech/burst",
            "short_speech": "single-word utterances (yes/no/OK/yeah/sure/hi) labelled speech, kind=short",
            "tts": "espeak-ng voices/speeds/pitches and festival voices; see labels/*.txt for voice per utterance",
            "generator": {"script": "gen_vadset.py", "seed": args.seed,
                          "environment": {k: v for k, v in environment().items() if k != "time_utc"}},
            "files": files,
            "scripts": {sc["id"]: {"duration_s": sc["duration_s"], "n_frames_10ms": int(len(sc["gt_frames"])),
                                    "speech_segments": sc["segments"], "bursts": sc["burst_segments"],
                                    "speech_frames": int(sc["gt_frames"].sum()),
                                    "labels": f"labels/{sc['id']}.txt", "frames": f"labels/{sc['id']}.frames10ms"}
                        for sc in scripts},
        }
        with open(os.path.join(out, "manifest.json"), "w") as f:
            json.dump(manifest, f, indent=1)
            f.write("\n")
        write_sums(out)
        print(f"wrote {len(files)} files to {out}")
    finally:
        if args.keep_work:
            print("work dir kept:", work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
