#!/usr/bin/python3
# test_foundation.py: the CLI against the simulator — health, models,
# discovery, reconnection, configuration errors and the fd-leak workaround.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lpharness import Proxy, Sim, _binary, get_json, http_request, wait_until  # noqa: E402

SIM_DISPLAY_NAMES = {"Auto", "Kimi-K2.6", "MiniMax-M2.7", "Qwen3-Coder", "Qwen3-Max"}


def lingma_state(proxy):
    status, _, health = get_json(proxy.port, "/health")
    assert status == 200, status
    return health["lingma"]


class HealthAndModels(unittest.TestCase):
    def setUp(self):
        self.sim = Sim()
        self.proxy = Proxy(self.sim)

    def tearDown(self):
        self.proxy.stop()
        self.sim.stop()

    def test_health_reports_connected(self):
        wait_until(lambda: lingma_state(self.proxy)["state"] == "connected", what="connected")
        status, _, health = get_json(self.proxy.port, "/health")
        self.assertEqual(status, 200)
        self.assertTrue(health["ok"])
        self.assertEqual(health["service"], "lingma-ipc-proxy")
        self.assertRegex(health["version"], r"^\d+\.\d+\.\d+$")
        self.assertIsInstance(health["uptime_seconds"], int)
        self.assertEqual(health["endpoint"], self.proxy.base_url)
        self.assertEqual(health["lingma"]["endpoint"], self.sim.url)
        self.assertEqual(health["lingma"]["transport"], "websocket")
        self.assertEqual(health["lingma"]["discovered_from"], "flag --ws-url")
        self.assertEqual(health["requests"]["in_flight"], 0)
        status, _, same = get_json(self.proxy.port, "/")
        self.assertEqual(status, 200)
        self.assertEqual(same["service"], "lingma-ipc-proxy")

    def test_head_on_health_routes(self):
        for path in ("/", "/health"):
            status, _, body = http_request(self.proxy.port, "HEAD", path)
            self.assertEqual(status, 200, path)
            self.assertEqual(body, b"")

    def test_models_lists_display_names(self):
        status, _, models = get_json(self.proxy.port, "/v1/models")
        self.assertEqual(status, 200)
        self.assertEqual(models["object"], "list")
        ids = [m["id"] for m in models["data"]]
        self.assertTrue(SIM_DISPLAY_NAMES.issubset(ids), ids)
        self.assertNotIn("kmodel", ids)
        for model in models["data"]:
            self.assertEqual(model["object"], "model")
            self.assertEqual(model["owned_by"], "lingma")
            self.assertIsInstance(model["created"], int)

    def test_models_are_cached_and_refreshable(self):
        get_json(self.proxy.port, "/v1/models")
        before = len(self.sim.frames("config/queryModels"))
        get_json(self.proxy.port, "/v1/models")
        self.assertEqual(len(self.sim.frames("config/queryModels")), before)
        get_json(self.proxy.port, "/v1/models?refresh=1")
        self.sim.wait_for_frame("config/queryModels", before + 1)

    def test_unknown_route_and_wrong_method(self):
        status, _, body = get_json(self.proxy.port, "/v1/nothing-here")
        self.assertEqual(status, 404)
        self.assertEqual(body["error"]["type"], "not_found_error")
        status, headers, data = http_request(self.proxy.port, "DELETE", "/v1/models")
        self.assertEqual(status, 405)
        self.assertIn("GET", headers.get("allow", ""))
        self.assertEqual(json.loads(data)["error"]["message"], "method not allowed")
        status, _, data = http_request(self.proxy.port, "GET", "/v1/messages")
        self.assertEqual(status, 405)
        self.assertEqual(json.loads(data)["type"], "error")  # Anthropic envelope

    def test_foreign_host_header_is_refused(self):
        status, _, data = http_request(self.proxy.port, "GET", "/health", headers={"Host": "evil.example"})
        self.assertEqual(status, 403)
        status, _, _ = http_request(self.proxy.port, "GET", "/health",
                                    headers={"Origin": "https://evil.example"})
        self.assertEqual(status, 403)
        status, _, _ = http_request(self.proxy.port, "GET", "/health",
                                    headers={"Host": "localhost:%d" % self.proxy.port})
        self.assertEqual(status, 200)

    def test_keep_alive_connections_do_not_leak_fds(self):
        wait_until(lambda: lingma_state(self.proxy)["state"] == "connected", what="connected")
        baseline = self.proxy.fd_count()
        for _ in range(500):
            with socket.create_connection(("127.0.0.1", self.proxy.port)) as conn:
                conn.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n")
                received = b""
                while b"\r\n\r\n" not in received:
                    received += conn.recv(65536)
                self.assertIn(b" 200 ", received.split(b"\r\n", 1)[0])
            # The client closes the idle keep-alive connection here.
        wait_until(lambda: self.proxy.fd_count() <= baseline + 2, timeout=5,
                   what="fd count back near %d (now %d)" % (baseline, self.proxy.fd_count()))


class Discovery(unittest.TestCase):
    def test_info_file_discovery_and_source(self):
        proxy = Proxy(start=False)
        sim = Sim(["--info-file", proxy.info_file_path()])
        try:
            proxy.start()
            wait_until(lambda: lingma_state(proxy)["state"] == "connected", what="connected")
            state = lingma_state(proxy)
            self.assertEqual(state["endpoint"], sim.url)
            self.assertIn("info file", state["discovered_from"])
            self.assertIn(proxy.info_file_path(), state["discovered_from"])
        finally:
            proxy.stop()
            sim.stop()

    def test_legacy_info_file(self):
        proxy = Proxy(start=False)
        sim = Sim(["--info-file", proxy.info_file_path(legacy=True), "--legacy-info"])
        try:
            proxy.start()
            wait_until(lambda: lingma_state(proxy)["state"] == "connected", what="connected")
            self.assertEqual(lingma_state(proxy)["endpoint"], sim.url)
        finally:
            proxy.stop()
            sim.stop()

    def test_dead_pid_info_file_is_skipped(self):
        proxy = Proxy(start=False)
        child = subprocess.Popen(["true"])
        child.wait()
        path = proxy.info_file_path()
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            json.dump({"websocketPort": 1, "pid": child.pid, "ipcServerPath": ""}, f)
        try:
            proxy.start()
            state = lingma_state(proxy)
            self.assertNotEqual(state["state"], "connected")
            self.assertIn("not running", state["last_error"] or "")
        finally:
            proxy.stop()

    def test_discover_flag(self):
        proxy = Proxy(start=False)
        sim = Sim(["--info-file", proxy.info_file_path()])
        try:
            run = subprocess.run([_binary("LP_PROXY_BIN"), "--discover"], capture_output=True, text=True,
                                 env=dict(os.environ, **proxy.env), timeout=30)
            self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
            self.assertIn(sim.url, run.stdout)
        finally:
            sim.stop()
        run = subprocess.run([_binary("LP_PROXY_BIN"), "--discover"], capture_output=True, text=True,
                             env=dict(os.environ, **proxy.env), timeout=30)
        self.assertEqual(run.returncode, 1)
        self.assertIn("not found", run.stdout)


class Reconnect(unittest.TestCase):
    def test_simulator_restart_is_survived(self):
        sim = Sim()
        proxy = Proxy(sim, ["--ping-interval", "1"])
        try:
            wait_until(lambda: lingma_state(proxy)["state"] == "connected", what="connected")
            sim.kill()
            wait_until(lambda: lingma_state(proxy)["state"] != "connected", timeout=10, what="disconnect seen")
            self.assertFalse(lingma_state(proxy)["connected"])
            sim.restart(same_port=True)
            wait_until(lambda: lingma_state(proxy)["state"] == "connected", timeout=20, what="reconnected")
            status, _, models = get_json(proxy.port, "/v1/models?refresh=1")
            self.assertEqual(status, 200)
            self.assertTrue(SIM_DISPLAY_NAMES.issubset(m["id"] for m in models["data"]))
        finally:
            proxy.stop()
            sim.stop()

    def test_restart_on_a_new_port_is_found_through_the_info_file(self):
        proxy = Proxy(start=False)
        sim = Sim(["--info-file", proxy.info_file_path()])
        try:
            proxy.start()
            wait_until(lambda: lingma_state(proxy)["state"] == "connected", what="connected")
            first = sim.url
            sim.restart(same_port=False)
            wait_until(lambda: lingma_state(proxy)["state"] == "connected" and
                       lingma_state(proxy)["endpoint"] == sim.url, timeout=20, what="reconnected on new port")
            self.assertNotEqual(first, sim.url)
        finally:
            proxy.stop()
            sim.stop()

    def test_lingma_started_after_the_proxy_is_picked_up(self):
        proxy = Proxy(start=False)
        try:
            proxy.start()
            self.assertNotEqual(lingma_state(proxy)["state"], "connected")
            sim = Sim(["--info-file", proxy.info_file_path()])
            try:
                wait_until(lambda: lingma_state(proxy)["state"] == "connected", timeout=10,
                           what="connected once Lingma appeared")
            finally:
                sim.stop()
        finally:
            proxy.stop()

    def test_models_answer_503_while_lingma_is_down(self):
        port_holder = socket.socket()
        port_holder.bind(("127.0.0.1", 0))
        dead_port = port_holder.getsockname()[1]
        port_holder.close()
        proxy = Proxy(args=["--ws-url", "ws://127.0.0.1:%d/" % dead_port])
        try:
            status, _, body = get_json(proxy.port, "/v1/models")
            self.assertEqual(status, 503)
            self.assertIn("could not connect", body["error"]["message"])
        finally:
            proxy.stop()


class CommandLine(unittest.TestCase):
    def run_cli(self, *args, env=None, cwd=None):
        return subprocess.run([_binary("LP_PROXY_BIN"), *args], capture_output=True, text=True,
                              env=dict(os.environ, **(env or {})), cwd=cwd, timeout=30)

    def assert_config_error(self, run, *needles):
        self.assertEqual(run.returncode, 2, run.stderr)
        lines = run.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, run.stderr)
        for needle in needles:
            self.assertIn(needle, lines[0])

    def test_bad_values_exit_2_with_one_line(self):
        self.assert_config_error(self.run_cli("--port", "70000"), "port", "70000", "--port", "65535")
        self.assert_config_error(self.run_cli("--transport", "carrier-pigeon"),
                                 "transport", "carrier-pigeon", "auto, websocket or pipe")
        self.assert_config_error(self.run_cli(env={"LINGMA_PROXY_SESSION_MODE": "sometimes"}),
                                 "session_mode", "sometimes", "LINGMA_PROXY_SESSION_MODE")
        self.assert_config_error(self.run_cli("--no-such-flag"), "--no-such-flag")
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "bad.json")
            with open(path, "w") as f:
                f.write('{"port": 8095,\n "host": }\n')
            self.assert_config_error(self.run_cli("--config", path), path)

    def test_version_and_help(self):
        run = self.run_cli("--version")
        self.assertEqual(run.returncode, 0)
        self.assertRegex(run.stdout, r"^lingma-ipc-proxy \d+\.\d+\.\d+")
        run = self.run_cli("--help")
        self.assertEqual(run.returncode, 0)
        for flag in ("--host", "--port", "--transport", "--ws-url", "--pipe", "--mode", "--shell-type",
                     "--session-mode", "--timeout", "--cwd", "--current-file-path", "--max-concurrent",
                     "--config", "LINGMA_PROXY_PORT"):
            self.assertIn(flag, run.stdout)

    def test_precedence_flag_over_env_over_file(self):
        sim = Sim()
        try:
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "c.json")
                with open(path, "w") as f:
                    json.dump({"session_mode": "reuse", "max_concurrent": 3}, f)
                proxy = Proxy(sim, ["--config", path, "--max-concurrent", "5"],
                              env={"LINGMA_PROXY_SESSION_MODE": "fresh", "LINGMA_PROXY_MAX_CONCURRENT": "2"})
                try:
                    _, _, health = get_json(proxy.port, "/health")
                    self.assertEqual(health["session_mode"], "fresh")
                    self.assertEqual(health["requests"]["max_concurrent"], 5)
                finally:
                    proxy.stop()
        finally:
            sim.stop()

    def test_sigterm_and_sigint_stop_cleanly(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            proxy = Proxy(args=["--ws-url", "ws://127.0.0.1:9/"])
            proxy.process.send_signal(sig)
            self.assertEqual(proxy.process.wait(timeout=10), 0)

    def test_non_loopback_bind_needs_an_api_key(self):
        run = self.run_cli("--host", "0.0.0.0", "--port", "0", "--ws-url", "ws://127.0.0.1:9/")
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("API key", run.stderr)


if __name__ == "__main__":
    result = unittest.main(verbosity=2, exit=False).result
    sys.exit(0 if result.wasSuccessful() else 1)
