#!/usr/bin/env python3
"""Development-only receiver for the worker's post-call result webhook.

Logs one line per delivery (call id, end reason, duration, turns, signature header if any),
answers 200, and keeps the last deliveries in memory for GET /results (a JSON list), so a
script can check that a call's result arrived. GET /health answers 200. Standard library only.

  webhook-receiver [--host 0.0.0.0] [--port 8090] [--dir DIR]
  RESULT_WEBHOOK_URL=http://webhook:8090/results  (the worker's setting)

With --dir, every delivery is also written to DIR/<idempotency key>.json. With
RESULT_WEBHOOK_SECRET set, the receiver reports whether a signature header was present; it
does not verify it (the signing scheme belongs to the worker; this is not a production sink).
"""
import argparse
import json
import os
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 4 * 1024 * 1024
received = []
lock = threading.Lock()


def log(message):
    print(f"webhook-receiver: {message}", flush=True)


class Handler(BaseHTTPRequestHandler):
    server_version = "webhook-receiver/1"
    directory = None

    def log_message(self, format, *args):  # access log off; one line per result instead
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            self.reply(200, {"ok": True})
        elif self.path == "/results":
            with lock:
                self.reply(200, list(received))
        else:
            self.reply(404, {"error": "not found"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAX_BODY:
            self.reply(400, {"error": "expected a JSON body up to 4 MiB"})
            return
        raw = self.rfile.read(length)
        try:
            result = json.loads(raw)
        except ValueError:
            self.reply(400, {"error": "not JSON"})
            return
        identity = result.get("identity", {}) if isinstance(result, dict) else {}
        signature = next((name for name in self.headers.keys() if "signature" in name.lower()), None)
        summary = {
            "path": self.path,
            "idempotency_key": self.headers.get("Idempotency-Key"),
            "call_id": identity.get("callID"),
            "bot_id": identity.get("botID"),
            "end_reason": result.get("endReason") if isinstance(result, dict) else None,
            "turns": len(result.get("turns", [])) if isinstance(result, dict) else 0,
            "signature_header": signature,
        }
        with lock:
            received.append(summary)
            del received[:-1000]
        if self.directory:
            name = re.sub(r"[^A-Za-z0-9_-]", "_", summary["idempotency_key"] or summary["call_id"] or "result")[:128]
            with open(os.path.join(self.directory, name + ".json"), "wb") as file:
                file.write(raw)
        log(" ".join(f"{key}={value}" for key, value in summary.items()))
        self.reply(200, {"ok": True})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("WEBHOOK_HOST", "0.0.0.0"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("WEBHOOK_PORT", "8090")))
    parser.add_argument("--dir", default=os.environ.get("WEBHOOK_DIR"))
    args = parser.parse_args()
    if args.dir:
        os.makedirs(args.dir, exist_ok=True)
    Handler.directory = args.dir
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    log(f"listening on http://{args.host}:{server.server_port}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.exit(main())
