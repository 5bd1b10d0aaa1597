"""A minimal RFC 6455 WebSocket client on asyncio streams, for the hostile battery.

It does exactly what it is told, which a normal client library will not: send invalid
UTF-8 in text frames, frames of any size, never read, or ignore the close handshake.
Loopback only (the battery never targets another address).
"""
import asyncio
import base64
import os
import socket
import struct

TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


class Closed(Exception):
    """The server closed the connection (or it broke)."""


class RawWebSocket:
    def __init__(self, reader, writer, sock):
        self.reader = reader
        self.writer = writer
        self.sock = sock
        self.close_code = None

    @classmethod
    async def connect(cls, host, port, path, rcvbuf=None, timeout=10):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            # Before connect, so the advertised window stays small: a peer that never reads.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        await asyncio.wait_for(loop.sock_connect(sock, (host, port)), timeout)
        reader, writer = await asyncio.open_connection(sock=sock, limit=1 << 22)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status + b" ":
            writer.close()
            raise Closed(f"upgrade refused: {status.decode(errors='replace')}")
        return cls(reader, writer, sock)

    def frame(self, payload, opcode=TEXT, fin=True):
        if isinstance(payload, str):
            payload = payload.encode()
        n = len(payload)
        head = bytes([(0x80 if fin else 0) | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        # XOR with the mask through int arithmetic: fast enough for frames of a few MB.
        m = int.from_bytes((mask * (n // 4 + 1))[:n], "big") if n else 0
        body = (int.from_bytes(payload, "big") ^ m).to_bytes(n, "big") if n else b""
        return head + mask + body

    async def send(self, payload, opcode=TEXT, drain=True):
        if self.writer.is_closing():
            raise Closed("closed")
        try:
            self.writer.write(self.frame(payload, opcode))
            if drain:
                await self.writer.drain()
        except (ConnectionError, OSError) as error:
            raise Closed(str(error))

    async def recv(self, answer_close=True):
        """One frame: (opcode, payload). Answers pings; on close answers (unless told not to)
        and raises Closed."""
        while True:
            try:
                b0, b1 = await self.reader.readexactly(2)
                n = b1 & 0x7F
                if n == 126:
                    n = struct.unpack("!H", await self.reader.readexactly(2))[0]
                elif n == 127:
                    n = struct.unpack("!Q", await self.reader.readexactly(8))[0]
                payload = await self.reader.readexactly(n)
            except (asyncio.IncompleteReadError, ConnectionError, OSError) as error:
                raise Closed(f"connection ended: {error}")
            opcode = b0 & 0x0F
            if opcode == PING:
                await self.send(payload, PONG)
                continue
            if opcode == CLOSE:
                self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                if answer_close:
                    try:
                        await self.send(payload[:2], CLOSE)
                    except Closed:
                        pass
                    self.abort()
                raise Closed(f"close {self.close_code}")
            return opcode, payload

    async def wait_eof(self):
        """Reads and discards until the TCP connection ends (for a peer ignoring close)."""
        try:
            while await self.reader.read(65536):
                pass
        except (ConnectionError, OSError):
            pass

    def abort(self):
        try:
            self.writer.transport.abort()
        except Exception:
            pass
