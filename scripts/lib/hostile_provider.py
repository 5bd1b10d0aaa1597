"""A hostile OpenAI-wire provider for the battery (issue 13). Listens on 127.0.0.1; the
mode is the first path segment, so one server serves every mode:
OPENAI_BASE_URL=http://127.0.0.1:PORT/MODE/v1

Modes (every other endpoint answers like a normal provider):
  retry-inf       every endpoint: 429 with retry-after: inf, retry-after-ms: nan
  retry-huge      every endpoint: 429 with retry-after: 1e20, retry-after-ms: 1e13
  retry-date      every endpoint: 429 with retry-after: a date after 2262
  sse-50mb-line   chat: 200 text/event-stream, one 50 MB line without an end
  endless-deltas  chat: content deltas without end (until the client goes, at most 120 s)
  pcm-200mb       speech: 200 audio/pcm, 200 MB of PCM
  tts-html        speech: 200 text/html, an HTML page
  normal          nothing hostile
"""
import argparse
import asyncio
import json
import math
import struct
import time

STT_TEXT = "I would like to book a table for two tonight, please."
REPLY = "Of course. For what time would you like the table?"


def tone(seconds, rate=24000):
    n = int(seconds * rate)
    return b"".join(struct.pack("<h", int(6000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(n))


TONE_SECOND = tone(1.0)


def chunk(content=None, finish=None):
    delta = {} if content is None else {"content": content}
    return ("data: " + json.dumps({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
                                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}) + "\n\n").encode()


async def read_request(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    body = b""
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            body += await reader.readexactly(size + 2)
            if size == 0:
                break
    return method, path, headers, body


def response_head(status, content_type, extra=None, length=None):
    reason = {200: "OK", 429: "Too Many Requests", 404: "Not Found"}.get(status, "OK")
    head = f"HTTP/1.1 {status} {reason}\r\ncontent-type: {content_type}\r\n"
    head += f"content-length: {length}\r\n" if length is not None else "transfer-encoding: chunked\r\n"
    for k, v in (extra or {}).items():
        head += f"{k}: {v}\r\n"
    return (head + "\r\n").encode()


async def send_chunk(writer, data):
    writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
    await writer.drain()


async def handle(reader, writer):
    try:
        while True:
            method, path, headers, body = await read_request(reader)
            parts = path.split("/")
            mode = parts[1] if len(parts) > 1 else "normal"
            endpoint = path.split("?")[0].rsplit("/", 2)[-2:]
            endpoint = "/".join(endpoint)
            if mode.startswith("retry-"):
                extra = {"retry-inf": {"retry-after": "inf", "retry-after-ms": "nan"},
                         "retry-huge": {"retry-after": "1e20", "retry-after-ms": "1e13"},
                         "retry-date": {"retry-after": "Fri, 31 Dec 9999 23:59:59 GMT"}}[mode]
                payload = json.dumps({"error": {"message": "Rate limit", "type": "requests", "code": "rate_limit_exceeded"}}).encode()
                writer.write(response_head(429, "application/json", extra, len(payload)) + payload)
                await writer.drain()
                continue
            if endpoint == "audio/transcriptions":
                payload = json.dumps({"text": STT_TEXT}).encode()
                writer.write(response_head(200, "application/json", None, len(payload)) + payload)
                await writer.drain()
            elif endpoint == "chat/completions":
                writer.write(response_head(200, "text/event-stream"))
                if mode == "sse-50mb-line":
                    await send_chunk(writer, b"data: ")
                    block = b"a" * (1 << 20)
                    for _ in range(50):
                        await send_chunk(writer, block)
                    writer.close()
                    return
                if mode == "endless-deltas":
                    start = time.monotonic()
                    while time.monotonic() - start < 120:
                        await send_chunk(writer, chunk("la ") * 50)
                    writer.close()
                    return
                for word in REPLY.split(" "):
                    await send_chunk(writer, chunk(word + " "))
                await send_chunk(writer, chunk(None, "stop") + b"data: [DONE]\n\n")
                await send_chunk(writer, b"")
            elif endpoint == "audio/speech":
                text = json.loads(body or b"{}").get("input", "")
                if mode == "tts-html":
                    page = b"<!doctype html><html><head><title>502 Bad Gateway</title></head><body>" + b"<p>upstream error</p>" * 200 + b"</body></html>"
                    writer.write(response_head(200, "text/html; charset=utf-8", None, len(page)) + page)
                    await writer.drain()
                elif mode == "pcm-200mb":
                    writer.write(response_head(200, "audio/pcm"))
                    sent = 0
                    while sent < 200 * (1 << 20):
                        await send_chunk(writer, TONE_SECOND)
                        sent += len(TONE_SECOND)
                    await send_chunk(writer, b"")
                else:
                    seconds = min(10.0, 0.05 * len(text))
                    pcm = TONE_SECOND * int(seconds) + TONE_SECOND[: int((seconds % 1) * 24000) * 2]
                    writer.write(response_head(200, "audio/pcm", None, len(pcm)) + pcm)
                    await writer.drain()
            else:
                payload = b'{"error":{"message":"not found"}}'
                writer.write(response_head(404, "application/json", None, len(payload)) + payload)
                await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ValueError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    args = p.parse_args()
    server = await asyncio.start_server(handle, "127.0.0.1", args.port)
    print(f"hostile provider listening on {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        # Bounded: the battery ends it; it ends itself after an hour at the latest.
        await asyncio.wait_for(server.serve_forever(), 3600)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except (KeyboardInterrupt, asyncio.TimeoutError):
        pass
