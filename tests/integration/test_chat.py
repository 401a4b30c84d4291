#!/usr/bin/python3
# test_chat.py: chat requests through the CLI into the simulator, checked
# on both sides — what the client gets and what Lingma was sent.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import base64
import json
import os
import socket
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lpharness import Proxy, Sim, get_json, parse_sse, post_json, sse_request, wait_until  # noqa: E402

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def openai(text, **extra):
    body = {"model": "Kimi-K2.6", "messages": [{"role": "user", "content": text}]}
    body.update(extra)
    return body


def anthropic(text, **extra):
    body = {"model": "Kimi-K2.6", "max_tokens": 256, "messages": [{"role": "user", "content": text}]}
    body.update(extra)
    return body


def prompt_text(frame):
    return frame["params"]["prompt"][0]["text"]


class LingmaSide(unittest.TestCase):
    """What the proxy sends to Lingma."""

    def setUp(self):
        self.sim = Sim()
        self.proxy = Proxy(self.sim, ["--model-alias", "fast=Qwen3-Max", "--shell-type", "bash"])

    def tearDown(self):
        self.proxy.stop()
        self.sim.stop()

    def test_first_chat_sends_internal_model_id_and_meta(self):
        # No one listed /v1/models: the map must already be there.
        status, _, body = post_json(self.proxy.port, "/v1/chat/completions", openai("hello"))
        self.assertEqual(status, 200, body)
        set_model = self.sim.frames("session/set_model")[-1]["params"]
        self.assertEqual(set_model["modelId"], "kmodel")
        meta = set_model["_meta"]
        self.assertRegex(meta["ai-coding/request-id"], r"^serve-\d+-[0-9a-f]{8}$")
        self.assertEqual(meta["ai-coding/shell-type"], "bash")
        self.assertEqual(meta["ai-coding/enabled-mcp-servers"], [])
        self.assertEqual(meta["ai-coding/mode"], "agent")
        self.assertEqual(meta["ai-coding/model"], "kmodel")
        prompt = self.sim.frames("session/prompt")[-1]["params"]
        self.assertEqual(prompt["sessionId"], set_model["sessionId"])
        self.assertEqual(prompt_text(self.sim.frames("session/prompt")[-1]), "hello")
        self.assertIsNone(prompt["contextParams"])
        self.assertEqual(prompt["_meta"]["ai-coding/request-id"], meta["ai-coding/request-id"])
        new = self.sim.frames("session/new")[-1]["params"]
        self.assertEqual(new["mcpServers"], [])
        self.assertTrue(os.path.isabs(new["cwd"]))

    def test_fresh_sessions_are_deleted(self):
        post_json(self.proxy.port, "/v1/chat/completions", openai("one"))
        post_json(self.proxy.port, "/v1/messages", anthropic("two"))
        created = [f["params"] for f in self.sim.frames("session/set_model")]
        deleted = self.sim.wait_for_frame("chat/deleteSessionById", 2)
        self.assertEqual({d["params"]["sessionId"] for d in deleted}, {c["sessionId"] for c in created})

    def test_unknown_models_and_aliases(self):
        for requested, expected in (("gpt-4o", "org_auto"), ("claude-opus-4-8", "org_auto"), ("", "org_auto"),
                                    ("fast", "dashscope_qwen_max_latest"), ("qwen3-coder", "dashscope_qwen3_coder")):
            body = openai("hi", model=requested)
            status, _, reply = post_json(self.proxy.port, "/v1/chat/completions", body)
            self.assertEqual(status, 200, reply)
            self.assertEqual(self.sim.frames("session/set_model")[-1]["params"]["modelId"], expected, requested)

    def test_transcript_layout_with_system_messages_folded(self):
        body = {"model": "Kimi-K2.6", "max_tokens": 100, "system": [{"type": "text", "text": "Be brief."}],
                "messages": [{"role": "user", "content": "first question"},
                             {"role": "assistant", "content": "first answer"},
                             {"role": "system", "content": "Answer in French."},
                             {"role": "user", "content": "second question"}]}
        status, _, reply = post_json(self.proxy.port, "/v1/messages?beta=true", body,
                                     headers={"anthropic-beta": "interleaved-thinking-2025-05-14,context-1m"})
        self.assertEqual(status, 200, reply)
        text = prompt_text(self.sim.frames("session/prompt")[-1])
        self.assertIn("Be brief.", text)
        self.assertIn("Answer in French.", text)
        self.assertLess(text.index("Be brief."), text.index("Conversation transcript:"))
        self.assertIn("User: first question\n\nAssistant: first answer\n\nUser: second question", text)

    def test_reuse_mode_keeps_one_session(self):
        self.proxy.stop()
        self.proxy = Proxy(self.sim, ["--session-mode", "reuse"])
        post_json(self.proxy.port, "/v1/chat/completions", openai("first"))
        history = {"model": "Kimi-K2.6", "messages": [
            {"role": "user", "content": "first"}, {"role": "assistant", "content": "ok"},
            {"role": "user", "content": "second"}]}
        post_json(self.proxy.port, "/v1/chat/completions", history)
        prompts = self.sim.frames("session/prompt")
        self.assertEqual(prompts[-1]["params"]["sessionId"], prompts[-2]["params"]["sessionId"])
        self.assertEqual(prompt_text(prompts[-1]).strip(), "second")
        self.assertEqual(self.sim.frames("chat/deleteSessionById"), [])

    def test_image_goes_to_a_private_file_deleted_afterwards(self):
        data_url = "data:image/png;base64," + base64.b64encode(PNG).decode()
        body = {"model": "Kimi-K2.6", "messages": [{"role": "user", "content": [
            {"type": "text", "text": "what is this"}, {"type": "image_url", "image_url": {"url": data_url}}]}]}
        status, _, reply = post_json(self.proxy.port, "/v1/chat/completions", body)
        self.assertEqual(status, 200, reply)
        params = self.sim.frames("session/prompt")[-1]["params"]
        image = params["prompt"][1]
        self.assertEqual(image["type"], "image")
        self.assertEqual(image["mimeType"], "image/png")
        self.assertTrue(image["uri"].startswith("lingma:///agent/file?path="))
        self.assertEqual(params["contextParams"][0]["uri"], image["uri"])
        path = urllib.parse.unquote_plus(image["uri"].split("path=", 1)[1])
        self.assertIn("1 image", reply["choices"][0]["message"]["content"])
        wait_until(lambda: not os.path.exists(path), timeout=5, what="image file removed")

    def test_image_only_message_is_valid(self):
        body = {"model": "Kimi-K2.6", "max_tokens": 50, "messages": [{"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                         "data": base64.b64encode(PNG).decode()}}]}]}
        status, _, reply = post_json(self.proxy.port, "/v1/messages", body)
        self.assertEqual(status, 200, reply)

    def test_local_image_path_refused_by_default(self):
        body = {"model": "Kimi-K2.6", "messages": [{"role": "user", "content": [
            {"type": "text", "text": "look"}, {"type": "image_url", "image_url": {"url": "file:///etc/passwd"}}]}]}
        status, _, reply = post_json(self.proxy.port, "/v1/chat/completions", body)
        self.assertEqual(status, 403, reply)
        self.assertEqual(self.sim.frames("session/prompt"), [])


class Failures(unittest.TestCase):
    """Lingma-side failures are never passed off as answers."""

    @classmethod
    def setUpClass(cls):
        cls.sim = Sim()
        cls.proxy = Proxy(cls.sim, ["--timeout", "2", "--keepalive-interval", "1"])

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop()
        cls.sim.stop()

    def test_lingma_error_is_502_at_once(self):
        started = time.monotonic()
        status, _, body = post_json(self.proxy.port, "/v1/chat/completions", openai("[[sim:error]] hi"))
        self.assertEqual(status, 502)
        self.assertLess(time.monotonic() - started, 1.5)
        self.assertIn("simulated failure", body["error"]["message"])
        status, _, body = post_json(self.proxy.port, "/v1/messages", anthropic("[[sim:error]] hi"))
        self.assertEqual(status, 502)
        self.assertEqual(body["type"], "error")
        self.assertEqual(body["error"]["type"], "api_error")

    def test_dropped_connection_is_an_error_not_partial_text(self):
        status, _, body = post_json(self.proxy.port, "/v1/chat/completions", openai("[[sim:drop]] hi"))
        self.assertEqual(status, 502, body)
        wait_until(lambda: get_json(self.proxy.port, "/health")[2]["lingma"]["connected"], timeout=15,
                   what="reconnected")
        status, _, text = sse_request(self.proxy.port, "/v1/messages", anthropic("[[sim:drop]] hi", stream=True))
        self.assertEqual(status, 200)
        events = parse_sse(text)
        self.assertEqual(events[-1]["event"], "error")
        self.assertNotIn("message_stop", [e["event"] for e in events])
        wait_until(lambda: get_json(self.proxy.port, "/health")[2]["lingma"]["connected"], timeout=15,
                   what="reconnected")
        status, _, text = sse_request(self.proxy.port, "/v1/chat/completions", openai("[[sim:drop]] hi", stream=True))
        events = parse_sse(text)
        self.assertIn("error", events[-1]["json"])
        self.assertNotIn("[DONE]", text)
        wait_until(lambda: get_json(self.proxy.port, "/health")[2]["lingma"]["connected"], timeout=15,
                   what="reconnected")

    def test_timeout_is_504(self):
        status, _, body = post_json(self.proxy.port, "/v1/chat/completions", openai("[[sim:silent=4000]] hi"))
        self.assertEqual(status, 504, body)
        self.assertEqual(body["error"]["type"], "timeout_error")
        cancels = self.sim.wait_for_frame("session/cancel")
        self.assertTrue(cancels)

    def test_keepalives_while_lingma_is_silent(self):
        status, _, text = sse_request(self.proxy.port, "/v1/messages",
                                      anthropic("[[sim:silent=1900]] hi", stream=True))
        self.assertEqual(status, 200)
        events = parse_sse(text)
        self.assertGreaterEqual([e["event"] for e in events].count("ping"), 1, text)
        self.assertEqual(events[0]["event"], "message_start")
        self.assertGreater(events[0]["json"]["message"]["usage"]["input_tokens"], 0)
        self.assertEqual(events[-1]["event"], "message_stop")
        status, _, text = sse_request(self.proxy.port, "/v1/chat/completions",
                                      openai("[[sim:silent=1900]] hi", stream=True))
        self.assertIn(": keep-alive", text)
        self.assertTrue(text.rstrip().endswith("data: [DONE]"))


class Unreachable(unittest.TestCase):
    def test_unreachable_lingma_is_503_with_a_hint(self):
        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
        holder.close()
        proxy = Proxy(args=["--ws-url", "ws://127.0.0.1:%d/" % port])
        try:
            status, _, body = post_json(proxy.port, "/v1/messages", anthropic("hi"))
            self.assertEqual(status, 503)
            self.assertEqual(body["error"]["type"], "overloaded_error")
            self.assertIn("lingma-sim", body["error"]["message"])
            status, _, body = post_json(proxy.port, "/v1/chat/completions", openai("hi"))
            self.assertEqual(status, 503)
        finally:
            proxy.stop()


class Limits(unittest.TestCase):
    def setUp(self):
        self.sim = Sim()

    def tearDown(self):
        self.sim.stop()

    def test_body_limit(self):
        proxy = Proxy(self.sim, ["--body-limit", "4096"])
        try:
            small = anthropic("x" * 3000)
            status, _, _ = post_json(proxy.port, "/v1/messages", small)
            self.assertEqual(status, 200)
            status, _, body = post_json(proxy.port, "/v1/messages", anthropic("x" * 5000))
            self.assertEqual(status, 413)
            self.assertEqual(body["error"]["type"], "request_too_large")
            status, _, body = post_json(proxy.port, "/v1/chat/completions", openai("x" * 5000))
            self.assertEqual(status, 413)
            self.assertIn("limit", body["error"]["message"])
        finally:
            proxy.stop()

    def test_queue_full_is_429_with_retry_after(self):
        proxy = Proxy(self.sim, ["--max-concurrent", "1", "--max-queue", "0"])
        try:
            conn = socket.create_connection(("127.0.0.1", proxy.port))
            payload = json.dumps(openai("[[sim:silent=1500]] hold the slot")).encode()
            conn.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(payload), payload))
            wait_until(lambda: get_json(proxy.port, "/health")[2]["requests"]["in_flight"] == 1, what="slot taken")
            status, headers, body = post_json(proxy.port, "/v1/chat/completions", openai("second"))
            self.assertEqual(status, 429)
            self.assertEqual(body["error"]["type"], "rate_limit_error")
            self.assertIn("retry-after", headers)
            conn.close()
        finally:
            proxy.stop()

    def test_deeply_nested_body_is_refused_not_crashing(self):
        proxy = Proxy(self.sim)
        try:
            status, _, body = post_json(proxy.port, "/v1/messages", b"[" * 200000)
            self.assertEqual(status, 400)
            self.assertIn("nested", body["error"]["message"])
            status, _, _ = get_json(proxy.port, "/health")
            self.assertEqual(status, 200)
        finally:
            proxy.stop()

    def test_invalid_body_is_400_before_taking_a_slot(self):
        proxy = Proxy(self.sim)
        try:
            status, _, body = post_json(proxy.port, "/v1/chat/completions", b"{not json")
            self.assertEqual(status, 400)
            self.assertIn("invalid JSON", body["error"]["message"])
            status, _, body = post_json(proxy.port, "/v1/messages", {"model": "x", "max_tokens": 5})
            self.assertEqual(status, 400)
            self.assertIn("messages", body["error"]["message"])
            status, _, body = post_json(proxy.port, "/v1/chat/completions",
                                        {"model": "x", "messages": [{"role": "user", "content": "hi"}],
                                         "stream": "yes"})
            self.assertEqual(status, 400)
            self.assertIn("stream", body["error"]["message"])
            self.assertEqual(self.sim.frames("session/new"), [])
        finally:
            proxy.stop()


class Abort(unittest.TestCase):
    def test_client_abort_frees_the_slot_and_cancels_lingma(self):
        sim = Sim(["--chunk-delay-ms", "200"])
        proxy = Proxy(sim, ["--debug-requests"])
        try:
            conn = socket.create_connection(("127.0.0.1", proxy.port))
            payload = json.dumps(anthropic("a long story " * 20, stream=True)).encode()
            conn.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(payload), payload))
            received = b""
            while b"content_block_delta" not in received:
                received += conn.recv(65536)
            self.assertEqual(get_json(proxy.port, "/health")[2]["requests"]["in_flight"], 1)
            conn.close()
            closed_at = time.monotonic()
            wait_until(lambda: get_json(proxy.port, "/health")[2]["requests"]["in_flight"] == 0,
                       timeout=2, interval=0.005, what="slot freed")
            self.assertLess(time.monotonic() - closed_at, 0.1 + 0.05)  # 100 ms, plus one /health round trip
            session = sim.frames("session/prompt")[-1]["params"]["sessionId"]
            cancel = sim.wait_for_frame("session/cancel")[-1]
            self.assertEqual(cancel["params"]["sessionId"], session)
            deleted = sim.wait_for_frame("chat/deleteSessionById")[-1]
            self.assertEqual(deleted["params"]["sessionId"], session)
            _, _, records = get_json(proxy.port, "/debug/requests")
            chat = [r for r in records["requests"] if r["path"] == "/v1/messages"][0]
            self.assertEqual(chat["status"], 499)
        finally:
            proxy.stop()
            sim.stop()


class Responses(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim()
        cls.proxy = Proxy(cls.sim, ["--debug-requests"])

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop()
        cls.sim.stop()

    def test_stop_sequences_are_applied(self):
        status, _, body = post_json(self.proxy.port, "/v1/messages",
                                    anthropic("[[sim:stop=HALT]] go", stop_sequences=["HALT"]))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["stop_reason"], "stop_sequence")
        self.assertEqual(body["stop_sequence"], "HALT")
        self.assertNotIn("HALT", body["content"][0]["text"])
        status, _, text = sse_request(self.proxy.port, "/v1/chat/completions",
                                      openai("[[sim:stop=HALT]] go", stop="HALT", stream=True))
        events = [e["json"] for e in parse_sse(text) if e["json"]]
        content = "".join(e["choices"][0]["delta"].get("content", "") for e in events if e.get("choices"))
        self.assertNotIn("HALT", content)
        self.assertEqual([e["choices"][0]["finish_reason"] for e in events if e.get("choices")][-1], "stop")

    def test_max_tokens_gives_length(self):
        status, _, body = post_json(self.proxy.port, "/v1/chat/completions", openai("[[sim:large=4000]] go",
                                                                                   max_tokens=10))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["choices"][0]["finish_reason"], "length")
        status, _, body = post_json(self.proxy.port, "/v1/messages", anthropic("[[sim:large=4000]] go", max_tokens=10))
        self.assertEqual(body["stop_reason"], "max_tokens")

    def test_input_tokens_agree_between_stream_and_body(self):
        body = anthropic("How many tokens is this? " * 40, system="You are terse.",
                         tools=[{"name": "Read", "description": "Read a file",
                                 "input_schema": {"type": "object",
                                                  "properties": {"file_path": {"type": "string"}}}}])
        body["messages"][0]["content"] = "[[sim:plain]] " + body["messages"][0]["content"]
        _, _, reply = post_json(self.proxy.port, "/v1/messages", body)
        _, _, text = sse_request(self.proxy.port, "/v1/messages", dict(body, stream=True))
        start = [e["json"] for e in parse_sse(text) if e["event"] == "message_start"][0]
        self.assertGreater(reply["usage"]["input_tokens"], 100)
        self.assertEqual(start["message"]["usage"]["input_tokens"], reply["usage"]["input_tokens"])

    def test_count_tokens(self):
        base = {"model": "x", "messages": [{"role": "user", "content": "hello world"}]}
        status, _, small = post_json(self.proxy.port, "/v1/messages/count_tokens?beta=true", base)
        self.assertEqual(status, 200)
        self.assertGreater(small["input_tokens"], 0)
        with_tools = dict(base, system="You are a coding agent.", tools=[
            {"name": "Read", "description": "Read a file " * 20,
             "input_schema": {"type": "object", "properties": {"file_path": {"type": "string"}}}}])
        _, _, big = post_json(self.proxy.port, "/v1/messages/count_tokens", with_tools)
        self.assertGreater(big["input_tokens"], small["input_tokens"] + 40)

    def test_thinking_blocks_when_asked(self):
        body = anthropic("[[sim:think]] ponder", thinking={"type": "adaptive"})
        status, _, reply = post_json(self.proxy.port, "/v1/messages", body)
        self.assertEqual(status, 200, reply)
        self.assertEqual(reply["content"][0]["type"], "thinking")
        self.assertTrue(reply["content"][0]["signature"])
        _, _, text = sse_request(self.proxy.port, "/v1/messages", dict(body, stream=True))
        kinds = [e["json"]["delta"]["type"] for e in parse_sse(text)
                 if e["event"] == "content_block_delta"]
        self.assertIn("thinking_delta", kinds)
        self.assertIn("signature_delta", kinds)
        self.assertIn("text_delta", kinds)

    def test_request_log_redacts_credentials(self):
        post_json(self.proxy.port, "/v1/messages", anthropic("secret check"),
                  headers={"x-api-key": "sk-very-secret", "Authorization": "Bearer sk-other"})
        _, _, records = get_json(self.proxy.port, "/debug/requests?limit=5")
        dump = json.dumps(records)
        self.assertNotIn("sk-very-secret", dump)
        self.assertNotIn("sk-other", dump)
        chat = [r for r in records["requests"] if r["path"] == "/v1/messages"][0]
        self.assertEqual(chat["status"], 200)
        self.assertIn("secret check", chat["request_body"])
        self.assertIn("Hello from the Lingma simulator", chat["response_body"])

    def test_request_log_is_off_by_default(self):
        proxy = Proxy(self.sim)
        try:
            status, _, _ = get_json(proxy.port, "/debug/requests")
            self.assertEqual(status, 404)
        finally:
            proxy.stop()


if __name__ == "__main__":
    result = unittest.main(verbosity=2, exit=False).result
    sys.exit(0 if result.wasSuccessful() else 1)
