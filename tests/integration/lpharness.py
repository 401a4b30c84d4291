# lpharness.py: start lingma-sim and lingma-ipc-proxy on ephemeral ports and
# talk to them. Standard library only; run with /usr/bin/python3.
#
# SPDX-License-Identifier: GPL-3.0-or-later
"""Integration-test harness.

Binaries come from the environment: LP_SIM_BIN (lingma-sim) and LP_PROXY_BIN
(lingma-ipc-proxy), both set by tests/integration/meson.build.

    with Sim() as sim, Proxy(sim) as proxy:
        status, headers, body = post_json(proxy.port, "/v1/chat/completions", {...})
        sim.frames("session/prompt")
"""

import atexit
import base64
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

DEFAULT_TIMEOUT = 10.0

__all__ = [
    "DEFAULT_TIMEOUT", "ConnectionClosed", "WebSocket", "IpcClient", "Sim", "Proxy",
    "free_port", "wait_until", "http_request", "get_json", "post_json", "sse_request",
    "parse_sse",
]


def free_port():
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=DEFAULT_TIMEOUT, interval=0.02, what="condition"):
    """Polls predicate() until it returns a true value, which is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("timed out waiting for " + what)
        time.sleep(interval)


def _binary(env_name):
    path = os.environ.get(env_name)
    if not path:
        raise RuntimeError(env_name + " is not set (run through meson test)")
    return path


def _remove_workdir(path):
    # LP_KEEP_WORKDIRS=1 keeps logs and frame logs for a post-mortem.
    if os.environ.get("LP_KEEP_WORKDIRS") != "1":
        shutil.rmtree(path, ignore_errors=True)


class _Process:
    """A child process whose first stdout line announces where it listens.
    Its working directory (stderr log, frame log) goes away at exit."""

    def __init__(self, name):
        self.name = name
        self.process = None
        self.port = None
        self.workdir = tempfile.mkdtemp(prefix="lp-" + name + "-")
        atexit.register(_remove_workdir, self.workdir)
        self.stderr_path = os.path.join(self.workdir, "stderr.log")
        self._stderr_file = None

    def _spawn(self, argv, pattern, env=None, timeout=DEFAULT_TIMEOUT):
        self._stderr_file = open(self.stderr_path, "ab")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self._stderr_file,
                                        env=full_env, cwd=self.workdir)
        line = self._read_line(timeout)
        match = re.search(pattern, line)
        if not match:
            self.kill()
            raise RuntimeError("%s did not announce its port: %r\n%s"
                               % (self.name, line, self.stderr_text()))
        self.port = int(match.group(1))
        return match

    def _read_line(self, timeout):
        fd = self.process.stdout.fileno()
        data = b""
        deadline = time.monotonic() + timeout
        while not data.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                break
            chunk = os.read(fd, 1)
            if not chunk:
                break
            data += chunk
        return data.decode("utf-8", "replace")

    @property
    def pid(self):
        return self.process.pid

    def running(self):
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout=DEFAULT_TIMEOUT):
        """SIGTERM, then wait; returns the exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self._reap()

    def kill(self):
        """SIGKILL: no clean-up at all, as after a crash."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        return self._reap()

    def _reap(self):
        status = self.process.returncode
        self.process.stdout.close()
        if self._stderr_file:
            self._stderr_file.close()
            self._stderr_file = None
        return status

    def stderr_text(self):
        try:
            with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def fd_count(self):
        """Open file descriptors of the child (Linux /proc)."""
        return len(os.listdir("/proc/%d/fd" % self.pid))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.running():
            self.stop()


class Sim(_Process):
    """lingma-sim on an ephemeral port, with a frame log.

    args: extra command-line arguments, e.g. ["--behaviour", "think"].
    """

    LISTENING = r"^lingma-sim listening on ws://[^:]+:(\d+)/\s*$"

    def __init__(self, args=(), frame_log=True, start=True):
        super().__init__("sim")
        self.args = list(args)
        self.frame_log = os.path.join(self.workdir, "frames.jsonl") if frame_log else None
        if start:
            self.start()

    def start(self, port=0, timeout=DEFAULT_TIMEOUT):
        argv = [_binary("LP_SIM_BIN"), "--port", str(port)]
        if self.frame_log:
            argv += ["--frame-log", self.frame_log]
        self._spawn(argv + self.args, self.LISTENING, timeout=timeout)
        return self

    def restart(self, same_port=True, kill=False):
        """Stops (or kills) the simulator and starts it again, on the same
        port or a new one. The frame log keeps growing."""
        port = self.port if same_port else 0
        if kill:
            self.kill()
        else:
            self.stop()
        deadline = time.monotonic() + DEFAULT_TIMEOUT
        while True:
            try:
                return self.start(port)
            except RuntimeError:
                # The old socket may linger for a moment.
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    @property
    def url(self):
        return "ws://127.0.0.1:%d/" % self.port

    def read_frame_log(self):
        """Every frame received so far: a list of {"t": ms, "frame": message}."""
        if not self.frame_log or not os.path.exists(self.frame_log):
            return []
        with open(self.frame_log, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def frames(self, method=None):
        """The JSON-RPC messages received, optionally only those of one method."""
        messages = [entry["frame"] for entry in self.read_frame_log() if "frame" in entry]
        if method is None:
            return messages
        return [m for m in messages if isinstance(m, dict) and m.get("method") == method]

    def wait_for_frame(self, method, count=1, timeout=DEFAULT_TIMEOUT):
        """Waits until at least count frames of method arrived; returns them."""
        return wait_until(lambda: len(self.frames(method)) >= count and self.frames(method),
                          timeout, what="%d %s frame(s)" % (count, method))


class Proxy(_Process):
    """lingma-ipc-proxy on an ephemeral port.

    sim: a Sim to point the proxy at (adds --ws-url), or None to let it
    discover Lingma through an info file (see info_file_path()).
    args: extra command-line arguments; env: extra environment.

    HOME and XDG_CONFIG_HOME point into the proxy's own working directory,
    so that no real Lingma or user configuration leaks into a test.
    """

    LISTENING = r"lingma-ipc-proxy listening on http://[^:]+:(\d+)"

    def __init__(self, sim=None, args=(), env=None, start=True):
        super().__init__("proxy")
        self.sim = sim
        self.args = list(args)
        self.home = os.path.join(self.workdir, "home")
        os.makedirs(os.path.join(self.home, ".config"))
        self.env = {"HOME": self.home, "XDG_CONFIG_HOME": os.path.join(self.home, ".config")}
        self.env.update(env or {})
        if start:
            self.start()

    def info_file_path(self, legacy=False):
        """Where this proxy looks for Lingma's SharedClientCache info file
        first: pass it to Sim(["--info-file", path]) before start()."""
        return os.path.join(self.env["XDG_CONFIG_HOME"], "Lingma", "SharedClientCache",
                            ".info" if legacy else ".info.json")

    def start(self, timeout=DEFAULT_TIMEOUT):
        argv = [_binary("LP_PROXY_BIN"), "--port", "0"]
        if self.sim is not None:
            argv += ["--ws-url", self.sim.url]
        self._spawn(argv + self.args, self.LISTENING, env=self.env, timeout=timeout)
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout=DEFAULT_TIMEOUT):
        def healthy():
            try:
                status, _, _ = http_request(self.port, "GET", "/health", timeout=1.0)
                return status == 200
            except OSError:
                return False
        wait_until(healthy, timeout, what="proxy /health")

    @property
    def base_url(self):
        return "http://127.0.0.1:%d" % self.port


# ----- HTTP -----

def http_request(port, method, path, body=None, headers=None, timeout=DEFAULT_TIMEOUT):
    """One request; returns (status, headers dict with lower-case keys, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        conn.close()


def _decode_json(data):
    try:
        return json.loads(data.decode("utf-8"))
    except ValueError:
        return data.decode("utf-8", "replace")


def get_json(port, path, headers=None, timeout=DEFAULT_TIMEOUT):
    """GET; returns (status, headers, parsed JSON or the text when not JSON)."""
    status, response_headers, data = http_request(port, "GET", path, headers=headers, timeout=timeout)
    return status, response_headers, _decode_json(data)


def post_json(port, path, payload, headers=None, timeout=DEFAULT_TIMEOUT):
    """POST a JSON body; returns (status, headers, parsed JSON or text)."""
    all_headers = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    status, response_headers, data = http_request(port, "POST", path, body=body,
                                                  headers=all_headers, timeout=timeout)
    return status, response_headers, _decode_json(data)


def sse_request(port, path, payload, headers=None, timeout=DEFAULT_TIMEOUT):
    """POST a JSON body and read the whole (SSE) response as it arrives.

    Returns (status, headers, raw text). The raw text keeps comments and
    blank lines; parse it with parse_sse()."""
    all_headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
    all_headers.update(headers or {})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, body=json.dumps(payload), headers=all_headers)
        response = conn.getresponse()
        chunks = []
        while True:
            chunk = response.read1(65536)
            if not chunk:
                break
            chunks.append(chunk)
        return (response.status, {k.lower(): v for k, v in response.getheaders()},
                b"".join(chunks).decode("utf-8"))
    finally:
        conn.close()


def parse_sse(text):
    """SSE text → list of {"event": name or None, "data": str, "json": parsed or None}.
    Comment lines (": ping") are skipped."""
    events = []
    for block in re.split(r"\r?\n\r?\n", text):
        name, data = None, []
        for line in block.splitlines():
            if not line or line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
        if name is None and not data:
            continue
        joined = "\n".join(data)
        try:
            parsed = json.loads(joined)
        except ValueError:
            parsed = None
        events.append({"event": name, "data": joined, "json": parsed})
    return events


# ----- WebSocket (client side, RFC 6455, enough for tests) -----

class ConnectionClosed(Exception):
    """The peer closed the WebSocket (code is None when the TCP connection
    simply went away)."""

    def __init__(self, code=None, reason=""):
        super().__init__("connection closed (code %s) %s" % (code, reason))
        self.code = code
        self.reason = reason


class WebSocket:
    OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10

    def __init__(self, port, host="127.0.0.1", path="/", timeout=DEFAULT_TIMEOUT):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self._buffer = b""
        key = base64.b64encode(os.urandom(16)).decode()
        request = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n" % (path, host, port, key))
        self.sock.sendall(request.encode())
        while b"\r\n\r\n" not in self._buffer:
            self._fill()
        head, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        status_line = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status_line:
            raise RuntimeError("WebSocket handshake refused: %r" % status_line)

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionClosed()
        self._buffer += data

    def _take(self, n):
        while len(self._buffer) < n:
            self._fill()
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def settimeout(self, timeout):
        self.sock.settimeout(timeout)

    def send_frame(self, opcode, payload, fin=True):
        """Sends one masked frame (clients must mask)."""
        header = bytes([(0x80 if fin else 0) | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        self.sock.sendall(header + mask + _mask(payload, mask))

    def send_text(self, text):
        self.send_frame(self.OP_TEXT, text.encode("utf-8") if isinstance(text, str) else text)

    def recv_frame(self):
        """One raw frame: (fin, opcode, payload)."""
        b0, b1 = self._take(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._take(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._take(8))[0]
        mask = self._take(4) if b1 & 0x80 else None
        payload = self._take(n)
        if mask:
            payload = _mask(payload, mask)
        return bool(b0 & 0x80), b0 & 0x0F, payload

    def recv_message(self):
        """The next data message: (opcode, payload bytes). Answers pings;
        raises ConnectionClosed on a close frame or EOF."""
        opcode, parts = None, []
        while True:
            fin, op, payload = self.recv_frame()
            if op == self.OP_PING:
                self.send_frame(self.OP_PONG, payload)
                continue
            if op == self.OP_PONG:
                continue
            if op == self.OP_CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                try:
                    self.send_frame(self.OP_CLOSE, payload[:2])
                except OSError:
                    pass
                raise ConnectionClosed(code, payload[2:].decode("utf-8", "replace"))
            if op != self.OP_CONT:
                opcode = op
            parts.append(payload)
            if fin:
                return opcode, b"".join(parts)

    def close(self, code=1000):
        try:
            self.send_frame(self.OP_CLOSE, struct.pack("!H", code))
        except OSError:
            pass
        self.sock.close()


def _mask(payload, mask):
    n = len(payload)
    key = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
    return (int.from_bytes(payload, "big") ^ key).to_bytes(n, "big")


class IpcClient:
    """A Lingma IPC client over WebSocket: Content-Length frames inside
    WebSocket messages, JSON-RPC 2.0 with integer ids.

    Every message received is kept in self.received (in order), so tests can
    inspect notifications around the responses they waited for."""

    def __init__(self, port, path="/", timeout=DEFAULT_TIMEOUT):
        self.ws = WebSocket(port, path=path, timeout=timeout)
        self.next_id = 1
        self.received = []
        self.messages_received = 0   # WebSocket messages, to see frames split/joined
        self._pending = b""
        self._unread = []

    @staticmethod
    def encode(message):
        body = json.dumps(message).encode("utf-8")
        return b"Content-Length: %d\r\n\r\n" % len(body) + body

    def send(self, message):
        self.ws.send_text(self.encode(message))

    def send_raw(self, data):
        """Sends bytes as one WebSocket text message, framed or not."""
        self.ws.send_text(data)

    def request(self, method, params=None, send_only=False):
        """Sends a request; returns its id (send_only) or waits for the response."""
        request_id = self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": request_id, "method": method,
                   "params": {} if params is None else params})
        if send_only:
            return request_id
        return self.wait_response(request_id)

    def notify(self, method, params=None):
        self.send({"jsonrpc": "2.0", "method": method, "params": {} if params is None else params})

    def recv(self):
        """The next JSON-RPC message from the peer."""
        while not self._unread:
            self._decode()
            if self._unread:
                break
            _, payload = self.ws.recv_message()
            self.messages_received += 1
            self._pending += payload
        message = self._unread.pop(0)
        self.received.append(message)
        return message

    def _decode(self):
        while True:
            head_end = self._pending.find(b"\r\n\r\n")
            if head_end < 0:
                return
            match = re.search(rb"(?i)content-length:\s*(\d+)", self._pending[:head_end])
            if not match:
                raise ValueError("frame without Content-Length: %r" % self._pending[:head_end])
            length = int(match.group(1))
            start = head_end + 4
            if len(self._pending) < start + length:
                return
            body = self._pending[start:start + length]
            self._pending = self._pending[start + length:]
            self._unread.append(json.loads(body.decode("utf-8")))

    def wait_response(self, request_id):
        """Reads until the response to request_id; returns it (result or error)."""
        while True:
            message = self.recv()
            if message.get("id") == request_id and "method" not in message:
                return message

    def initialize(self):
        return self.request("initialize", {"protocolVersion": 1, "clientCapabilities": {},
                                           "timestamp": int(time.time() * 1000)})

    def new_session(self, cwd="/"):
        response = self.request("session/new", {"cwd": cwd, "mcpServers": [], "_meta": {}})
        return response["result"]["sessionId"]

    def prompt(self, session_id, text, request_id="test-req", images=(), meta=None):
        """Sends session/prompt without waiting; returns the JSON-RPC id."""
        items = [{"type": "text", "text": text}] + list(images)
        params = {"sessionId": session_id, "prompt": items,
                  "contextParams": list(images) or None,
                  "_meta": dict(meta or {}, **{"ai-coding/request-id": request_id})}
        return self.request("session/prompt", params, send_only=True)

    def collect_prompt(self, prompt_id):
        """Reads until the response to prompt_id; returns (updates, response),
        updates being the session/update params received meanwhile."""
        updates = []
        while True:
            message = self.recv()
            if message.get("method") == "session/update":
                updates.append(message["params"])
            elif message.get("id") == prompt_id and "method" not in message:
                return updates, message

    def close(self):
        self.ws.close()
