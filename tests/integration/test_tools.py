#!/usr/bin/python3
# test_tools.py: tool emulation through the CLI into the simulator —
# retries, what reaches Lingma, and what is recorded about it.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lpharness import Proxy, Sim, get_json, parse_sse, post_json, sse_request  # noqa: E402

READ_TOOL = {"name": "read_file", "description": "Read a local file and return its contents",
             "input_schema": {"type": "object", "properties": {"path": {"type": "string"}},
                              "required": ["path"]}}
BASH_TOOL = {"name": "bash", "description": "Run a shell command",
             "input_schema": {"type": "object", "properties": {"command": {"type": "string"}},
                              "required": ["command"]}}


def anthropic(text, **extra):
    body = {"model": "Qwen3-Coder", "max_tokens": 512, "tools": [READ_TOOL, BASH_TOOL],
            "messages": [{"role": "user", "content": text}]}
    body.update(extra)
    return body


class Retries(unittest.TestCase):
    def setUp(self):
        self.sim = Sim()
        self.proxy = Proxy(self.sim, ["--debug-requests", "--keepalive-interval", "1"])

    def tearDown(self):
        self.proxy.stop()
        self.sim.stop()

    def prompts(self):
        return self.sim.frames("session/prompt")

    def last_record(self):
        _, _, log = get_json(self.proxy.port, "/debug/requests?limit=10")
        return [r for r in log["requests"] if r["path"].startswith("/v1/messages")][0]

    def test_refusal_is_retried_once_and_recorded(self):
        status, _, reply = post_json(self.proxy.port, "/v1/messages",
                                     anthropic("[[sim:refuse=1]] Read the file /tmp/notes.txt"))
        self.assertEqual(status, 200, reply)
        self.assertEqual(reply["stop_reason"], "tool_use")
        self.assertEqual(reply["content"][-1]["input"], {"path": "/tmp/notes.txt"})
        prompts = self.prompts()
        self.assertEqual(len(prompts), 2)
        self.assertEqual(prompts[0]["params"]["sessionId"], prompts[1]["params"]["sessionId"])
        self.assertRegex(prompts[1]["params"]["_meta"]["ai-coding/request-id"], r"^serve-tool-")
        self.assertTrue(prompts[1]["params"]["prompt"][0]["text"].rstrip().endswith("Assistant:"))
        self.assertIn("refusal", self.last_record()["retry_reason"])

    def test_at_most_two_retries_then_the_text_stands(self):
        status, _, reply = post_json(self.proxy.port, "/v1/messages",
                                     anthropic("[[sim:refuse]] Read the file /tmp/notes.txt"))
        self.assertEqual(status, 200, reply)
        self.assertEqual(len(self.prompts()), 3)
        self.assertEqual(reply["stop_reason"], "end_turn")
        self.assertIn("can't execute", reply["content"][0]["text"])
        self.assertEqual(self.last_record()["retry_reason"].count("refusal"), 2)

    def test_ordinary_answers_cost_one_round_trip(self):
        status, _, reply = post_json(self.proxy.port, "/v1/messages",
                                     anthropic("[[sim:plain]] What does this project do?"))
        self.assertEqual(status, 200, reply)
        self.assertEqual(reply["stop_reason"], "end_turn")
        self.assertEqual(len(self.prompts()), 1)
        self.assertFalse(self.last_record()["retry_reason"])

    def test_forced_tool_retry(self):
        body = anthropic("[[sim:plain]] hello there", tool_choice={"type": "tool", "name": "bash"})
        status, _, reply = post_json(self.proxy.port, "/v1/messages", body)
        self.assertEqual(status, 200, reply)
        self.assertEqual(len(self.prompts()), 3)  # plain wins over the rule: both retries are used
        self.assertIn("forced", self.last_record()["retry_reason"])
        self.assertIn('must call the tool "bash"', self.prompts()[-1]["params"]["prompt"][0]["text"])

    def test_unknown_tool_stays_text(self):
        status, _, reply = post_json(self.proxy.port, "/v1/messages",
                                     anthropic("[[sim:unknown-tool]] Read the file /tmp/notes.txt"))
        self.assertEqual(status, 200, reply)
        self.assertEqual(reply["stop_reason"], "end_turn")
        self.assertNotIn("tool_use", [block["type"] for block in reply["content"]])

    def test_later_turn_without_tools_keeps_emulation(self):
        history = [
            {"role": "user", "content": "Read the file /tmp/notes.txt"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_abc", "name": "read_file",
                                               "input": {"path": "/tmp/notes.txt"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_abc",
                                          "content": "the secret word is banana"}]},
        ]
        body = {"model": "Qwen3-Coder", "max_tokens": 512, "messages": history}
        status, _, reply = post_json(self.proxy.port, "/v1/messages", body)
        self.assertEqual(status, 200, reply)
        text = self.prompts()[-1]["params"]["prompt"][0]["text"]
        self.assertIn("```json action", text)
        self.assertIn("Tool result for toolu_abc:", text)
        self.assertIn('"id":"toolu_abc"', text)
        self.assertIn("banana", reply["content"][0]["text"])

    def test_empty_and_error_results_are_reported_to_the_model(self):
        history = [
            {"role": "user", "content": "Run ls in /tmp"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_one", "name": "bash",
                                               "input": {"command": "ls"}},
                                              {"type": "tool_use", "id": "toolu_two", "name": "bash",
                                               "input": {"command": "false"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_one", "content": ""},
                                         {"type": "tool_result", "tool_use_id": "toolu_two",
                                          "content": "exit status 1", "is_error": True}]},
        ]
        status, _, _ = post_json(self.proxy.port, "/v1/messages", anthropic("", messages=history))
        self.assertEqual(status, 200)
        text = self.prompts()[-1]["params"]["prompt"][0]["text"]
        self.assertIn("Tool result for toolu_one:\n(no output)", text)
        self.assertIn("Tool error for toolu_two:\nexit status 1", text)

    def test_streamed_tool_call_keeps_alive_while_buffering(self):
        status, _, raw = sse_request(self.proxy.port, "/v1/messages",
                                     anthropic("[[sim:silent=1600]] Read the file /tmp/notes.txt", stream=True))
        self.assertEqual(status, 200)
        events = parse_sse(raw)
        names = [e["event"] for e in events]
        self.assertEqual(names[0], "message_start")
        self.assertIn("ping", names)
        starts = [e["json"]["content_block"] for e in events if e["event"] == "content_block_start"]
        self.assertEqual([s["type"] for s in starts], ["tool_use"])  # no empty text block beside it
        self.assertEqual(starts[0]["input"], {})
        self.assertTrue(starts[0]["id"].startswith("toolu_"))
        pieces = "".join(e["json"]["delta"]["partial_json"] for e in events
                         if e["event"] == "content_block_delta")
        self.assertEqual(pieces, '{"path":"/tmp/notes.txt"}')
        delta = [e["json"] for e in events if e["event"] == "message_delta"][0]
        self.assertEqual(delta["delta"]["stop_reason"], "tool_use")


if __name__ == "__main__":
    result = unittest.main(verbosity=2, exit=False).result
    sys.exit(0 if result.wasSuccessful() else 1)
