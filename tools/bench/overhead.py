#!/usr/bin/python3
# overhead.py: what lingma-ipc-proxy adds on top of talking to Lingma's IPC
# directly, measured against lingma-sim in the same run.
#
# SPDX-License-Identifier: GPL-3.0-or-later
"""Proxy overhead benchmark. Prints numbers; asserts nothing about timing.

    meson setup /tmp/b-bench --buildtype=release && meson compile -C /tmp/b-bench
    /usr/bin/python3 tools/bench/overhead.py --build-dir /tmp/b-bench           # ~30 s on a quiet machine
    /usr/bin/python3 tools/bench/overhead.py --build-dir /tmp/b-bench --quick   # < 1 min
    ... --json /tmp/bench.json     (raw samples and summaries as JSON as well)
    ... --profile 2MiB [--profiler callgrind]   (profile the proxy serving that size)

What it does (loopback only, every loop bounded in count and by --max-seconds):

1. Starts lingma-sim (--chunk-delay-ms 0, --chunk-size 64) with a frame log and the
   proxy (--port 0 --ws-url ...), sends each Claude-Code-like body (tools/bench/bodies.py:
   ~1 KiB minimal, ~47 KiB first turn, ~256 KiB and ~2 MiB long histories) through
   POST /v1/messages once, and keeps the session/new and session/prompt the proxy sent.
   That prompt is "the same prompt" for the direct baseline.
2. Restarts both without the frame log. For each size, after warm-up, runs N rounds of
   three requests in rotating order:
   - DIRECT: an IpcClient on the simulator (initialised once) sends session/new, then
     the captured session/prompt (same text, fresh session id); times the first
     agent_message_chunk and chat_finish. The client sends the frame with a zero mask
     key and a gathered write, so Python adds as little as it can.
   - PROXY, streaming: a fresh TCP connection (the proxy answers Connection: close) and
     POST /v1/messages with "stream": true; times the first byte of the response, the
     first byte of the first content_block_delta and the end of the chunked body.
   - PROXY, non-streaming: the same with "stream": false; times the end of the body.
   The timers start before session/new (direct) and before connect() (proxy).
   Outside the timed window the direct client also times one session/set_model round
   trip, the one IPC call the proxy makes that the direct client does not.
3. A soak of --soak 2 MiB requests (RSS growth), then one streaming request with and one
   without tools against a slow simulator ([[sim:slow=MS]]): when the first text arrives.
4. /health: a fixed number of GET requests from a few Python threads (one connection
   per request, as the proxy closes them), plus wrk if it is installed.
5. VmRSS/VmHWM of proxy and simulator from /proc/PID/status: idle after start, after the
   chat runs, after the /health load; on-CPU time of both from /proc/PID/task/*/schedstat.

Overhead = proxy p50 - direct p50 (and p95 - p95); ratio = proxy p50 / direct p50.
"""

import argparse
import gc
import json
import os
import resource
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.path.insert(0, HERE)

import bodies  # noqa: E402

SIZES = (("1KiB", 1024), ("47KiB", 47 * 1024), ("256KiB", 256 * 1024), ("2MiB", 2 * 1024 * 1024))
SOCKET_TIMEOUT = 60.0


class OutOfTime(Exception):
    pass


class Budget:
    def __init__(self, seconds):
        self.deadline = time.monotonic() + seconds

    def check(self):
        if time.monotonic() > self.deadline:
            raise OutOfTime("--max-seconds exceeded")


def now():
    return time.perf_counter_ns()


def ms(ns):
    return ns / 1e6


def percentile(values, p):
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def send_gather(sock, parts):
    """Writes the buffers without joining them (no copy of a 2 MiB body)."""
    views = [memoryview(p) for p in parts if len(p)]
    while views:
        sent = sock.sendmsg(views)
        while sent and views:
            if sent >= len(views[0]):
                sent -= len(views[0])
                views.pop(0)
            else:
                views[0] = views[0][sent:]
                sent = 0


def ws_header(length):
    """A client text frame header with a zero mask key: valid (RFC 6455 only
    asks for a key) and it spares masking the payload in Python."""
    if length < 126:
        head = struct.pack("!BB", 0x81, 0x80 | length)
    elif length < 65536:
        head = struct.pack("!BBH", 0x81, 0x80 | 126, length)
    else:
        head = struct.pack("!BBQ", 0x81, 0x80 | 127, length)
    return head + b"\0\0\0\0"


# ----- /proc -----

def proc_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                out[key] = int(value.split()[0])
    return out


def proc_cpu_ns(pid):
    """On-CPU time of all threads, in ns (schedstat has ns resolution)."""
    total = 0
    task_dir = "/proc/%d/task" % pid
    for tid in os.listdir(task_dir):
        try:
            with open(os.path.join(task_dir, tid, "schedstat")) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def machine_busy():
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    total = sum(fields[:8])
    return total - idle, total


def self_cpu_ns():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return int((r.ru_utime + r.ru_stime) * 1e9)


class LoadMeter:
    """How busy the machine was because of processes other than this script,
    the proxy and the simulator (other builds and tests share the 2 CPUs)."""

    def __init__(self, pids):
        self.pids = pids
        self.start()

    def _ours(self):
        return sum(proc_cpu_ns(pid) for pid in self.pids) + self_cpu_ns()

    def start(self):
        self.busy0, self.total0 = machine_busy()
        self.ours0 = self._ours()

    def other_share(self):
        """Other processes' CPU, as a share of all CPUs, since start()."""
        busy, total = machine_busy()
        hz = os.sysconf("SC_CLK_TCK")
        if total == self.total0:
            return 0.0
        busy_ns = (busy - self.busy0) * 1e9 / hz
        total_ns = (total - self.total0) * 1e9 / hz
        return max(0.0, (busy_ns - (self._ours() - self.ours0)) / total_ns)


def wait_quiet(max_wait, threshold=0.10):
    """Waits (at most max_wait s) for a 0.5 s window in which the machine
    is less than threshold busy; returns (seconds waited, last busy share)."""
    t0 = time.monotonic()
    share = 1.0
    while True:
        b0, t0_ = machine_busy()
        time.sleep(0.5)
        b1, t1_ = machine_busy()
        share = (b1 - b0) / max(1, t1_ - t0_)
        if share < threshold or time.monotonic() - t0 >= max_wait:
            return time.monotonic() - t0, share


# ----- the direct IPC client -----

class Direct:
    def __init__(self, harness, sim_port):
        self.ipc = harness.IpcClient(sim_port, timeout=SOCKET_TIMEOUT)
        self.ipc.ws.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reply = self.ipc.initialize()
        if "result" not in reply:
            raise RuntimeError("initialize failed: %r" % reply)

    def run(self, new_params, prompt_rest, set_model_params, budget):
        """One turn. prompt_rest: the session/prompt params as JSON bytes,
        without sessionId. Returns a sample dict (ns)."""
        ipc = self.ipc
        t0 = now()
        new_reply = ipc.request("session/new", new_params)
        t_new = now()
        sid = new_reply["result"]["sessionId"]
        prompt_id = ipc.next_id
        ipc.next_id += 1
        prefix = b'{"jsonrpc":"2.0","id":%d,"method":"session/prompt","params":{"sessionId":%s,' % (
            prompt_id, json.dumps(sid).encode())
        rest = memoryview(prompt_rest)[1:]
        payload_len = len(prefix) + len(rest) + 1
        frame_head = b"Content-Length: %d\r\n\r\n" % payload_len
        send_gather(ipc.ws.sock, [ws_header(len(frame_head) + payload_len), frame_head, prefix, rest, b"}"])
        t_sent = now()
        t_first = t_done = None
        text = []
        while True:
            budget.check()
            message = ipc.recv()
            if message.get("method") == "session/update":
                update = message["params"].get("update", {})
                kind = update.get("sessionUpdate")
                if kind == "agent_message_chunk":
                    if t_first is None:
                        t_first = now()
                    text.append(update.get("content", {}).get("text", ""))
                elif kind == "notification" and update.get("type") == "chat_finish":
                    t_done = now()
            elif message.get("id") == prompt_id and "method" not in message:
                if "error" in message:
                    raise RuntimeError("direct session/prompt failed: %r" % message)
                break
        if t_done is None:
            t_done = now()
        # Not timed: the extra round trip the proxy makes, then clean up.
        t1 = now()
        ipc.request("session/set_model", dict(set_model_params, sessionId=sid))
        t_set_model = now() - t1
        ipc.request("chat/deleteSessionById", {"sessionId": sid})
        ipc.received.clear()
        return {"first": t_first - t0, "done": t_done - t0, "new": t_new - t0, "sent": t_sent - t0,
                "set_model_rtt": t_set_model, "text": "".join(text)}

    def close(self):
        self.ipc.close()


# ----- raw HTTP client -----

def http_post(port, path, body, budget, stream):
    """One POST on a fresh connection; returns a sample dict (ns), the
    response body and whether it is chunked."""
    head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
            "Accept: application/json\r\nanthropic-version: 2023-06-01\r\nx-api-key: any\r\n"
            "Content-Length: %d\r\n\r\n" % (path, port, len(body))).encode()
    t0 = now()
    sock = socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        t_conn = now()
        send_gather(sock, [head, body])
        t_sent = now()
        buf = bytearray()
        t_byte = t_delta = t_done = None
        header_end = -1
        content_length = None
        chunked = False
        while True:
            budget.check()
            data = sock.recv(262144)
            t = now()
            if not data:
                break
            if t_byte is None:
                t_byte = t
            start = max(0, len(buf) - 32)
            buf += data
            if header_end < 0:
                header_end = buf.find(b"\r\n\r\n")
                if header_end >= 0:
                    head_text = bytes(buf[:header_end]).decode("latin-1").lower()
                    chunked = "transfer-encoding: chunked" in head_text
                    for line in head_text.split("\r\n"):
                        if line.startswith("content-length:"):
                            content_length = int(line.split(":", 1)[1])
            if stream and t_delta is None and buf.find(b"content_block_delta", start) >= 0:
                t_delta = t
            if header_end >= 0:
                if chunked and buf.endswith(b"\r\n0\r\n\r\n"):
                    t_done = t
                    break
                if content_length is not None and len(buf) - header_end - 4 >= content_length:
                    t_done = t
                    break
        if t_done is None:
            t_done = now()
    finally:
        sock.close()
    status_line = bytes(buf[:buf.find(b"\r\n")])
    if b" 200 " not in status_line:
        raise RuntimeError("proxy answered %r: %r" % (status_line, bytes(buf[:2000])))
    sample = {"conn": t_conn - t0, "sent": t_sent - t0, "byte": t_byte - t0, "done": t_done - t0}
    if stream:
        sample["first"] = (t_delta if t_delta is not None else t_done) - t0
    return sample, bytes(buf[header_end + 4:]), chunked


def reply_text(response_body, stream, chunked=True):
    """The assistant text in a proxy response (for the cross-check with direct)."""
    data = response_body
    if chunked:
        # De-chunk.
        out, pos = bytearray(), 0
        while pos < len(data):
            eol = data.find(b"\r\n", pos)
            if eol < 0:
                break
            n = int(data[pos:eol].split(b";")[0], 16)
            if n == 0:
                break
            out += data[eol + 2:eol + 2 + n]
            pos = eol + 2 + n + 2
        data = bytes(out)
    text = data.decode("utf-8", "replace")
    if not stream:
        message = json.loads(text)
        return "".join(b.get("text", "") for b in message.get("content", []) if b.get("type") == "text")
    pieces = []
    for line in text.splitlines():
        if line.startswith("data: "):
            try:
                event = json.loads(line[6:])
            except ValueError:
                continue
            if event.get("type") == "content_block_delta" and event["delta"].get("type") == "text_delta":
                pieces.append(event["delta"]["text"])
    return "".join(pieces)


# ----- /health -----

def health_load(port, total, threads, budget):
    """total GET /health over `threads` threads, one connection each (the
    proxy closes every connection). Returns (seconds, failures, latencies ns)."""
    request = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % port
    per_thread = [total // threads + (1 if i < total % threads else 0) for i in range(threads)]
    failures = [0] * threads
    latencies = [[] for _ in range(threads)]

    def worker(i):
        lat = latencies[i]
        for _ in range(per_thread[i]):
            if time.monotonic() > budget.deadline:
                failures[i] += 1
                return
            t0 = now()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT) as s:
                    s.sendall(request)
                    data = b""
                    while True:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                if not data.startswith(b"HTTP/1.1 200"):
                    failures[i] += 1
            except OSError:
                failures[i] += 1
            lat.append(now() - t0)

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    t0 = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - t0, sum(failures), [x for lat in latencies for x in lat]


def run_wrk(port, seconds, connections):
    try:
        out = subprocess.run(["wrk", "-t2", "-c%d" % connections, "-d%ds" % seconds, "--latency",
                              "http://127.0.0.1:%d/health" % port],
                             capture_output=True, text=True, timeout=seconds + 30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    result = {"raw": out}
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Requests/sec:"):
            result["rps"] = float(line.split()[1])
        elif line.startswith("50%"):
            result["p50"] = line.split()[1]
        elif line.startswith("99%"):
            result["p99"] = line.split()[1]
        elif "requests in" in line:
            result["requests"] = int(line.split()[0])
        elif line.startswith("Socket errors"):
            result["socket_errors"] = line
        elif line.startswith("Non-2xx"):
            result["non_2xx"] = line
    return result


# ----- the run -----

def capture_prompts(harness, sim_args, proxy_args, sizes, budget):
    """What the proxy sends Lingma for each body: {size: (new_params, prompt_params, set_model_params)}."""
    captured = {}
    with harness.Sim(sim_args) as sim, harness.Proxy(sim, proxy_args) as proxy:
        for name, target in sizes:
            body = json.dumps(bodies.body_for_size(target, stream=True)).encode()
            http_post(proxy.port, "/v1/messages", body, budget, stream=True)
            sim.wait_for_frame("chat/deleteSessionById", len(captured) + 1, timeout=30)
            new = sim.frames("session/new")[-1]["params"]
            set_model = sim.frames("session/set_model")[-1]["params"]
            prompt = sim.frames("session/prompt")[-1]["params"]
            captured[name] = (new, prompt, set_model)
    return captured


def summarise(samples, key):
    values = [s[key] for s in samples if s.get(key) is not None]
    return {"p50": ms(percentile(values, 50)), "p95": ms(percentile(values, 95)),
            "min": ms(min(values)) if values else float("nan"), "n": len(values)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", default=os.environ.get("LP_BUILD_DIR", os.path.join(REPO, "_build")))
    parser.add_argument("--quick", action="store_true", help="few iterations, finishes in under a minute")
    parser.add_argument("--iterations", type=int, default=50, help="rounds per size (default 50)")
    parser.add_argument("--iterations-large", type=int, default=20, help="rounds for 2 MiB (default 20)")
    parser.add_argument("--warmup", type=int, default=5, help="unrecorded rounds per size (default 5)")
    parser.add_argument("--sizes", default=",".join(n for n, _ in SIZES),
                        help="comma-separated subset of " + ",".join(n for n, _ in SIZES))
    parser.add_argument("--chunk-size", type=int, default=64, help="lingma-sim --chunk-size (default 64)")
    parser.add_argument("--health-requests", type=int, default=20000)
    parser.add_argument("--health-threads", type=int, default=4)
    parser.add_argument("--wrk-seconds", type=int, default=5, help="wrk run length if wrk is installed; 0: skip")
    parser.add_argument("--soak", type=int, default=100,
                        help="2 MiB non-streaming requests sent after the timed runs, for RSS growth (default 100)")
    parser.add_argument("--slow-chunk-ms", type=int, default=40,
                        help="chunk delay for the streaming-granularity check (default 40)")
    parser.add_argument("--quiet-wait", type=float, default=20,
                        help="before each size, wait up to this many seconds for the machine to be idle (default 20)")
    parser.add_argument("--max-other-load", type=float, default=0.15,
                        help="measure a size again when other processes used more than this share of the CPUs")
    parser.add_argument("--retries", type=int, default=2, help="how many times to measure a size again (default 2)")
    parser.add_argument("--max-seconds", type=float, default=900, help="give up after this long")
    parser.add_argument("--json", help="write raw samples and summaries here")
    parser.add_argument("--profile", metavar="SIZE",
                        help="instead of the benchmark: perf record the proxy serving SIZE, print perf report")
    parser.add_argument("--profiler", choices=("perf", "callgrind"), default="perf",
                        help="for --profile: perf record (default) or valgrind --tool=callgrind")
    parser.add_argument("--proxy-arg", action="append", default=[], help="extra lingma-ipc-proxy argument")
    args = parser.parse_args()

    if args.quick:
        args.iterations, args.iterations_large, args.warmup = 10, 4, 2
        args.health_requests, args.wrk_seconds, args.soak, args.quiet_wait = 3000, 2, 10, 2
        args.retries = 0

    os.environ.setdefault("LP_SIM_BIN", os.path.join(args.build_dir, "src", "sim", "lingma-sim"))
    os.environ.setdefault("LP_PROXY_BIN", os.path.join(args.build_dir, "src", "cli", "lingma-ipc-proxy"))
    for var in ("LP_SIM_BIN", "LP_PROXY_BIN"):
        if not os.access(os.environ[var], os.X_OK):
            sys.exit("%s: %s is not an executable (build first, or pass --build-dir)" % (var, os.environ[var]))
    import lpharness as harness

    budget = Budget(args.max_seconds)
    wanted = args.sizes.split(",")
    sizes = [(n, t) for n, t in SIZES if n in wanted]
    sim_args = ["--chunk-delay-ms", "0", "--chunk-size", str(args.chunk_size)]
    proxy_args = list(args.proxy_arg)

    if args.profile:
        return profile(harness, args, sim_args, proxy_args, budget)

    started = time.time()
    print("overhead.py: proxy %s" % os.environ["LP_PROXY_BIN"])
    print("machine: %s" % machine_info(args.build_dir))
    print("capturing the prompts the proxy sends ...", flush=True)
    captured = capture_prompts(harness, sim_args, proxy_args, sizes, budget)

    results = {"date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "argv": sys.argv, "sizes": {},
               "machine": machine_info(args.build_dir),
               "sim_args": sim_args, "proxy_args": proxy_args}
    sim = harness.Sim(sim_args, frame_log=False)
    proxy = harness.Proxy(sim, proxy_args)
    try:
        time.sleep(1.0)
        memory = {"idle": {"proxy": proc_status(proxy.pid), "sim": proc_status(sim.pid)}}
        direct = Direct(harness, sim.port)
        cpu_total = {"proxy": 0, "sim": 0}
        gc.disable()
        for name, target in sizes:
            new_params, prompt_params, set_model_params = captured[name]
            rest = dict(prompt_params)
            del rest["sessionId"]
            prompt_rest = json.dumps(rest, separators=(",", ":")).encode()
            http_bodies = {s: json.dumps(bodies.body_for_size(target, stream=s)).encode() for s in (True, False)}

            def measure_size():
                samples = {"direct": [], "stream": [], "nonstream": []}
                cpu = {"proxy": 0, "sim": 0}
                texts = {}

                def one(kind, record):
                    if kind == "direct":
                        s = direct.run(new_params, prompt_rest, set_model_params, budget)
                        texts.setdefault("direct", s.pop("text"))
                        s.pop("text", None)
                    else:
                        stream = kind == "stream"
                        c0 = proc_cpu_ns(proxy.pid)
                        s, response, chunked = http_post(proxy.port, "/v1/messages", http_bodies[stream],
                                                         budget, stream)
                        c1 = proc_cpu_ns(proxy.pid)
                        if kind not in texts:
                            texts[kind] = reply_text(response, stream, chunked)
                        if record:
                            cpu["proxy"] += c1 - c0
                    if record:
                        samples[kind].append(s)
                    # Let the proxy's chat/deleteSessionById settle before the next turn.
                    time.sleep(0.005)

                order = ["direct", "stream", "nonstream"]
                waited, idle_share = wait_quiet(args.quiet_wait)
                print("%-7s body %8d B, prompt %8d B: %d warm-up + %d rounds (machine %.0f%% busy before) ..." % (
                    name, len(http_bodies[True]), len(prompt_rest), args.warmup, rounds, 100 * idle_share),
                    flush=True)
                for i in range(args.warmup):
                    budget.check()
                    for kind in order:
                        one(kind, False)
                sim_cpu0 = proc_cpu_ns(sim.pid)
                load = LoadMeter([proxy.pid, sim.pid])
                for i in range(rounds):
                    budget.check()
                    gc.collect()
                    for j in range(3):
                        one(order[(i + j) % 3], True)
                cpu["sim"] = proc_cpu_ns(sim.pid) - sim_cpu0
                other_load = load.other_share()
                if not (texts.get("direct") == texts.get("stream") == texts.get("nonstream")):
                    print("  WARNING: replies differ: %r" % texts)
                summary = {
                    "body_bytes": len(http_bodies[True]), "prompt_bytes": len(prompt_rest), "rounds": rounds,
                    "reply": texts.get("direct"),
                    "direct_first": summarise(samples["direct"], "first"),
                    "direct_done": summarise(samples["direct"], "done"),
                    "direct_new": summarise(samples["direct"], "new"),
                    "direct_set_model_rtt": summarise(samples["direct"], "set_model_rtt"),
                    "stream_byte": summarise(samples["stream"], "byte"),
                    "stream_first": summarise(samples["stream"], "first"),
                    "stream_done": summarise(samples["stream"], "done"),
                    "stream_conn": summarise(samples["stream"], "conn"),
                    "nonstream_done": summarise(samples["nonstream"], "done"),
                    "proxy_cpu_ms_per_request": cpu["proxy"] / 1e6 / (2 * rounds),
                    # The simulator serves 3 turns a round (direct, stream, non-stream).
                    "sim_cpu_ms_per_turn": cpu["sim"] / 1e6 / (3 * rounds),
                    "other_load_share": other_load,
                    "cpu_ns": cpu,
                    "samples": {k: [{kk: vv for kk, vv in s.items()} for s in v] for k, v in samples.items()},
                }
                return summary

            rounds = args.iterations_large if target >= 1024 * 1024 else args.iterations
            best = None
            for attempt in range(args.retries + 1):
                summary = measure_size()
                if best is None or summary["other_load_share"] < best["other_load_share"]:
                    best = summary
                if summary["other_load_share"] <= args.max_other_load:
                    break
                print("  other processes used %.0f%% of the CPUs: %s" % (
                    100 * summary["other_load_share"],
                    "measuring again" if attempt < args.retries else "keeping the quietest attempt"), flush=True)
            summary = best
            for k in cpu_total:
                cpu_total[k] += summary["cpu_ns"][k]

            results["sizes"][name] = summary
            print_size(name, summary)
        gc.enable()
        memory["after_chat"] = {"proxy": proc_status(proxy.pid), "sim": proc_status(sim.pid)}
        direct.close()

        # Soak: many large requests, to see whether RSS settles or keeps growing.
        if args.soak > 0:
            soak_body = json.dumps(bodies.body_for_size(2 * 1024 * 1024, stream=False)).encode()
            rss_trace = []
            for i in range(args.soak):
                budget.check()
                http_post(proxy.port, "/v1/messages", soak_body, budget, False)
                if (i + 1) % max(1, args.soak // 5) == 0:
                    rss_trace.append((i + 1, proc_status(proxy.pid)["VmRSS"]))
            memory["after_soak"] = {"proxy": proc_status(proxy.pid), "sim": proc_status(sim.pid)}
            memory["soak_requests"] = args.soak
            memory["soak_rss_trace"] = rss_trace
            print("\nsoak: %d x 2 MiB non-streaming; proxy VmRSS (kB) after n requests: %s" % (
                args.soak, ", ".join("%d: %d" % t for t in rss_trace)), flush=True)

        # Streaming granularity: with a slow Lingma, when does the client see text?
        marker = " [[sim:slow=%d]] [[sim:large=512]]" % args.slow_chunk_ms
        plain = bodies.minimal_body(1024, stream=True)
        plain["messages"][0]["content"] += marker
        tooled = bodies.claude_code_body(47 * 1024, stream=True)
        tooled["messages"][-1]["content"][0]["content"] += marker
        granularity = {}
        for label, body in (("no tools", plain), ("21 tools", tooled)):
            budget.check()
            sample, response, _ = http_post(proxy.port, "/v1/messages", json.dumps(body).encode(), budget, True)
            granularity[label] = {"first_ms": ms(sample["first"]), "done_ms": ms(sample["done"]),
                                  "deltas": response.count(b"event: content_block_delta")}
        results["granularity"] = {"slow_chunk_ms": args.slow_chunk_ms, "results": granularity}
        print("\nstreaming with a slow Lingma (512-byte reply in 64-char chunks, %d ms before each chunk):"
              % args.slow_chunk_ms)
        for label, g in granularity.items():
            print("  %-9s first content delta %7.1f ms, complete %7.1f ms, %d deltas" % (
                label, g["first_ms"], g["done_ms"], g["deltas"]), flush=True)

        # /health
        budget.check()
        wait_quiet(args.quiet_wait)
        load = LoadMeter([proxy.pid, sim.pid])
        c0 = proc_cpu_ns(proxy.pid)
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        seconds, failures, latencies = health_load(proxy.port, args.health_requests, args.health_threads, budget)
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        c1 = proc_cpu_ns(proxy.pid)
        done = len(latencies)
        health = {"requests": done, "threads": args.health_threads, "seconds": seconds,
                  "failures": failures, "rps": done / seconds if seconds else 0,
                  "p50_ms": ms(percentile(latencies, 50)), "p95_ms": ms(percentile(latencies, 95)),
                  "proxy_cpu_us_per_request": (c1 - c0) / 1e3 / max(done, 1),
                  "client_cpu_share": ((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)) / seconds,
                  "other_load_share": load.other_share()}
        results["health"] = health
        print("\n/health, %d requests, %d Python threads, a connection each: %.0f req/s, p50 %.2f ms, "
              "p95 %.2f ms, %d failures; proxy CPU %.0f us/request; client used %.0f%% of a core" % (
                  done, args.health_threads, health["rps"], health["p50_ms"], health["p95_ms"], failures,
                  health["proxy_cpu_us_per_request"], 100 * health["client_cpu_share"]))
        if args.wrk_seconds > 0 and shutil.which("wrk"):
            for connections in (4, 50):
                budget.check()
                c0 = proc_cpu_ns(proxy.pid)
                w = run_wrk(proxy.port, args.wrk_seconds, connections)
                c1 = proc_cpu_ns(proxy.pid)
                if w:
                    if w.get("requests"):
                        w["proxy_cpu_us_per_request"] = (c1 - c0) / 1e3 / w["requests"]
                    results["wrk_c%d" % connections] = w
                    print("wrk -t2 -c%d -d%ds: %s req/s, p50 %s, p99 %s, proxy CPU %.0f us/request %s%s" % (
                        connections, args.wrk_seconds, w.get("rps"), w.get("p50"), w.get("p99"),
                        w.get("proxy_cpu_us_per_request", float("nan")),
                        w.get("socket_errors", ""), w.get("non_2xx", "")))
        time.sleep(0.5)
        memory["after_health"] = {"proxy": proc_status(proxy.pid), "sim": proc_status(sim.pid)}
        memory["proxy_fds_after"] = proxy.fd_count()
        results["memory"] = memory
        results["cpu_total_ms"] = {k: v / 1e6 for k, v in cpu_total.items()}
        print_memory(memory)
    finally:
        proxy.stop()
        sim.stop()
    results["seconds"] = time.time() - started
    print_markdown(results)
    print("\ntotal %.0f s" % results["seconds"])
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
        print("raw results: %s" % args.json)
    return 0


def machine_info(build_dir):
    info = {"nproc": os.cpu_count(), "kernel": os.uname().release, "cpu": "?", "buildtype": "?"}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open(os.path.join(build_dir, "meson-info", "intro-buildoptions.json")) as f:
            for option in json.load(f):
                if option["name"] in ("buildtype", "debug", "optimization", "b_ndebug"):
                    info[option["name"]] = option["value"]
    except (OSError, ValueError, KeyError):
        pass
    return info


def print_markdown(results):
    """The tables of docs/benchmarks.md."""
    print("\n--- markdown ---")
    print("| body | prompt to Lingma | rounds | direct first chunk p50 / p95 | proxy first delta p50 / p95 "
          "| added p50 / p95 | ratio p50 |")
    print("|---|---|---|---|---|---|---|")
    for name, s in results["sizes"].items():
        d, p = s["direct_first"], s["stream_first"]
        print("| %s (%d B) | %d B | %d | %.3f / %.3f | %.3f / %.3f | **%+.3f** / %+.3f | %.2f |" % (
            name, s["body_bytes"], s["prompt_bytes"], s["rounds"], d["p50"], d["p95"], p["p50"], p["p95"],
            p["p50"] - d["p50"], p["p95"] - d["p95"], p["p50"] / d["p50"]))
    print()
    print("| body | direct complete p50 / p95 | proxy stream complete p50 / p95 | added p50 | ratio "
          "| proxy non-stream p50 / p95 | added p50 | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for name, s in results["sizes"].items():
        d, p, n = s["direct_done"], s["stream_done"], s["nonstream_done"]
        print("| %s | %.3f / %.3f | %.3f / %.3f | %+.3f | %.2f | %.3f / %.3f | %+.3f | %.2f |" % (
            name, d["p50"], d["p95"], p["p50"], p["p95"], p["p50"] - d["p50"], p["p50"] / d["p50"],
            n["p50"], n["p95"], n["p50"] - d["p50"], n["p50"] / d["p50"]))
    print()
    print("| body | stream first byte p50 | connect p50 | direct session/new p50 | set_model RTT p50 "
          "| proxy CPU / request | sim CPU / turn | other load |")
    print("|---|---|---|---|---|---|---|---|")
    for name, s in results["sizes"].items():
        print("| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.0f %% |" % (
            name, s["stream_byte"]["p50"], s["stream_conn"]["p50"], s["direct_new"]["p50"],
            s["direct_set_model_rtt"]["p50"], s["proxy_cpu_ms_per_request"], s["sim_cpu_ms_per_turn"],
            100 * s["other_load_share"]))


def fmt(d):
    return "%8.3f %8.3f" % (d["p50"], d["p95"])


def print_size(name, s):
    def line(label, proxy, direct):
        added50 = proxy["p50"] - direct["p50"]
        added95 = proxy["p95"] - direct["p95"]
        print("  %-28s %s   direct %s   added %+8.3f %+8.3f   x%.2f" % (
            label, fmt(proxy), fmt(direct), added50, added95, proxy["p50"] / direct["p50"]))
    print("  %-28s %8s %8s   %6s %8s %8s   %6s %8s %8s   %s" % ("(ms)", "p50", "p95", "", "p50", "p95", "",
                                                           "p50", "p95", "ratio"))
    line("stream first content delta", s["stream_first"], s["direct_first"])
    line("stream complete", s["stream_done"], s["direct_done"])
    line("non-stream complete", s["nonstream_done"], s["direct_done"])
    print("  stream first byte p50 %.3f ms; connect p50 %.3f ms; direct session/new p50 %.3f ms; "
          "set_model RTT p50 %.3f ms" % (s["stream_byte"]["p50"], s["stream_conn"]["p50"],
                                        s["direct_new"]["p50"], s["direct_set_model_rtt"]["p50"]))
    print("  CPU: proxy %.3f ms/request, sim %.3f ms/turn; other processes used %.0f%% of the CPUs meanwhile" % (
        s["proxy_cpu_ms_per_request"], s["sim_cpu_ms_per_turn"], 100 * s["other_load_share"]), flush=True)


def print_memory(memory):
    print("\nmemory (kB)          proxy VmRSS  VmHWM   sim VmRSS  VmHWM")
    for phase in ("idle", "after_chat", "after_soak", "after_health"):
        if phase not in memory:
            continue
        p, s = memory[phase]["proxy"], memory[phase]["sim"]
        print("  %-18s %10d %7d   %9d %7d" % (phase, p["VmRSS"], p["VmHWM"], s["VmRSS"], s["VmHWM"]))
    print("  proxy open fds after the load: %d" % memory["proxy_fds_after"])


def profile(harness, args, sim_args, proxy_args, budget):
    """Profiles the proxy while it serves one size over and over (streaming):
    perf record -p PID (sampled, the release binary as it is), or callgrind
    (instruction counts with callers; slow, so few requests, and exact)."""
    name = args.profile
    target = dict(SIZES).get(name)
    if target is None:
        sys.exit("--profile takes one of " + ",".join(n for n, _ in SIZES))
    rounds = args.iterations
    out_dir = tempfile.mkdtemp(prefix="lp-prof-")
    sim = harness.Sim(sim_args, frame_log=False)
    if args.profiler == "callgrind":
        # valgrind in front of the proxy: a wrapper script as LP_PROXY_BIN.
        # Everything is collected, start-up included (small next to the requests).
        out = os.path.join(out_dir, "callgrind.out")
        wrapper = os.path.join(out_dir, "proxy-under-callgrind")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file=%s %s \"$@\"\n"
                    % (out, os.environ["LP_PROXY_BIN"]))
        os.chmod(wrapper, 0o755)
        os.environ["LP_PROXY_BIN"] = wrapper
    proxy = None
    perf = None
    data = os.path.join(out_dir, "perf.data")
    try:
        proxy = harness.Proxy(sim, proxy_args, start=False)
        proxy.start(timeout=60)
        body = json.dumps(bodies.body_for_size(target, stream=True)).encode()
        for _ in range(2):
            http_post(proxy.port, "/v1/messages", body, budget, True)
        if args.profiler == "perf":
            perf = subprocess.Popen(["perf", "record", "-F", "4999", "-g", "-o", data, "-p", str(proxy.pid)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
        for _ in range(rounds):
            budget.check()
            http_post(proxy.port, "/v1/messages", body, budget, True)
            time.sleep(0.005)
    finally:
        if perf is not None:
            perf.send_signal(2)
            perf.wait(30)
        if proxy is not None:
            proxy.stop(timeout=60)
        sim.stop()
    if args.profiler == "perf":
        for sort in ("dso", "dso,symbol"):
            report = subprocess.run(["perf", "report", "-i", data, "--no-children", "--percent-limit", "0.7",
                                     "--stdio", "-g", "none", "--sort", sort],
                                    capture_output=True, text=True, timeout=120).stdout
            print("\n".join(l for l in report.splitlines() if l.strip() and not l.startswith("#")))
            print()
        print("perf data: %s (perf report -i %s)" % (data, data))
    else:
        report = subprocess.run(["callgrind_annotate", "--inclusive=yes", out],
                                capture_output=True, text=True, timeout=120).stdout
        print("\n".join(report.splitlines()[:80]))
        print("callgrind data: %s (callgrind_annotate --inclusive=yes --tree=caller %s)" % (out, out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
