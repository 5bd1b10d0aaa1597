#!/usr/bin/env python3
"""Fixture for scripts/crash-results.sh: one process, two local HTTP servers.

* An OpenAI-compatible wire server (transcriptions -> JSON, streamed chat -> SSE,
  speech -> PCM16 24 kHz), so the real call-worker can run calls offline.
* A post-call result webhook receiver that verifies X-Call-Signature
  (t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">) and records every delivery.
  Its behaviour is read from STATE/mode on each request: up (200), down (503),
  slow (sleeps past the worker's 5 s timeout, then answers 200).

usage: crash-results-fixture.py STATE_DIR OPENAI_PORT WEBHOOK_PORT SECRET
"""
import hashlib
import hmac
import json
import math
import os
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE, OPENAI_PORT, WEBHOOK_PORT, SECRET = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].encode()
LOCK = threading.Lock()


def mode():
    try:
        with open(os.path.join(STATE, "mode")) as f:
            words = f.read().split()
            return words[0] if words else "up"
    except OSError:
        return "up"


def speech(text):
    seconds = max(0.4, min(3.0, 0.04 * len(text)))
    samples = int(24000 * seconds)
    return b"".join(struct.pack("<h", int(3000 * math.sin(2 * math.pi * 220 * i / 24000))) for i in range(samples))


class OpenAI(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else b""
        if self.path.endswith("/audio/transcriptions"):
            self.reply(200, "application/json", json.dumps({"text": "I would like to book a table for two."}).encode())
        elif self.path.endswith("/chat/completions"):
            head = {"id": "chatcmpl-x", "object": "chat.completion.chunk", "created": 1, "model": "m"}
            events = []
            for delta, finish in [({"role": "assistant", "content": ""}, None), ({"content": "Sure, "}, None),
                                  ({"content": "for what time?"}, None), ({}, "stop")]:
                events.append(dict(head, choices=[{"index": 0, "delta": delta, "finish_reason": finish}]))
            data = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events) + b"data: [DONE]\n\n"
            self.reply(200, "text/event-stream", data)
        elif self.path.endswith("/audio/speech"):
            text = json.loads(body or b"{}").get("input", "")
            self.reply(200, "application/octet-stream", speech(text))
        else:
            self.reply(404, "application/json", b'{"error":{"message":"not found"}}')

    def reply(self, status, content_type, data):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class Webhook(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else b""
        current = mode()
        if current == "down":
            return self.reply(503)
        if current == "slow":
            time.sleep(7)
        verdict = "ok"
        header = self.headers.get("X-Call-Signature", "")
        try:
            parts = dict(p.split("=", 1) for p in header.split(","))
            t = int(parts["t"])
            expected = hmac.new(SECRET, str(t).encode() + b"." + body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, parts["v1"]):
                verdict = "bad_signature"
            elif abs(time.time() - t) > 300:
                verdict = "replayed"
        except (KeyError, ValueError):
            verdict = "unsigned"
        try:
            result = json.loads(body)
            call_id, reason = result["identity"]["callID"], result["endReason"]
        except (ValueError, KeyError):
            call_id, reason, verdict = "?", "?", "undecodable"
        with LOCK, open(os.path.join(STATE, "deliveries.txt"), "a") as f:
            f.write(f"{call_id} {reason} {verdict} {current} {self.headers.get('Idempotency-Key', '')}\n")
        self.reply(200 if verdict == "ok" else 401)

    def reply(self, status):
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


servers = [ThreadingHTTPServer(("127.0.0.1", OPENAI_PORT), OpenAI), ThreadingHTTPServer(("127.0.0.1", WEBHOOK_PORT), Webhook)]
for server in servers:
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
print("fixture ready", flush=True)
threading.Event().wait()
