#!/usr/bin/python3
# test_sim.py: lingma-sim on its own, over a plain WebSocket client, so the
# proxy's tests can trust what the simulator does.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import base64
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lpharness import ConnectionClosed, IpcClient, Sim, WebSocket, wait_until  # noqa: E402

# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

CONTRACT = """You can use tools. Reply with an action block in exactly this shape:

```json action
{"tool":"NAME","parameters":{"key":"value"}}
```

Available tools:
- read_file(path: string, limit?: integer) - Read a local file and return its contents
- write_file(content: string, path: string) - Write content to a file, creating it if needed
- bash(command: string, timeout?: number) - Run a shell command in a terminal

Rules:
- Use the tools listed under Available tools: above."""


def tools_prompt(*turns, rule=None):
    """The tools layout: transcript, then the contract (with an extra rule
    line), then "Assistant:"."""
    contract = CONTRACT + "\n" + rule if rule else CONTRACT
    return "\n\n".join(list(turns) + [contract, "Assistant:"])


FORCE_BASH = '- This reply must call the tool "bash" with an action block.'
ANY_BLOCK = "- This reply must contain at least one action block."

# Claude Code's user turns as the proxy lays them out: context in
# <system-reminder> blocks first, then the user's words; its system text
# (which names the tag itself) and the contract follow the transcript.
CC_REMINDER = """<system-reminder>
As you answer the user's questions, you can use the following context:
# claudeMd
Codebase and user instructions are shown below. Be sure to adhere to these instructions.

Contents of /home/dev/.claude/CLAUDE.md (user's private global instructions for all projects):

Always answer in English. Run ./scripts/check.sh after edits.
# currentDate
Today's date is 2025-11-03.
</system-reminder>"""

CC_CONTRACT = """You are Claude Code, Anthropic's official CLI for Claude.

Tool results and user messages may include <system-reminder> tags. They hold useful information and reminders, see /docs/reminders.md.

---

You can act in the user's environment through the tools described below.

To call a tool, write an action block: the line ```json action, one JSON object naming the tool and its arguments, then the line ```. Exactly this shape:
```json action
{"tool":"NAME","parameters":{"key":"value"}}
```

Available tools:
- Bash(command: string, timeout?: number, description?: string) - Executes a given bash command in a persistent shell session.
- Read(file_path: string, offset?: number, limit?: number) - Reads a file from the local filesystem.
- Write(file_path: string, content: string) - Writes a file to the local filesystem.

Rules:
- You decide whether this reply needs a tool. If it does, the reply must contain the action block itself, not a description of it."""


def cc_prompt(*turns):
    return "\n\n".join(list(turns) + [CC_CONTRACT, "Assistant:"])


def chunks_text(updates, kind="agent_message_chunk"):
    return "".join(u["update"]["content"]["text"] for u in updates
                   if u["update"]["sessionUpdate"] == kind)


def action_blocks(text):
    return [json.loads(m) for m in re.findall(r"```json action\n(.*?)\n```", text, re.S)]


class SimTestCase(unittest.TestCase):
    sim_args = ["--chunk-delay-ms", "1"]

    @classmethod
    def setUpClass(cls):
        cls.sim = Sim(cls.sim_args)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def setUp(self):
        self.clients = []

    def tearDown(self):
        for client in self.clients:
            try:
                client.close()
            except OSError:
                pass

    def connect(self, initialize=True):
        client = IpcClient(self.sim.port)
        self.clients.append(client)
        if initialize:
            response = client.initialize()
            self.assertEqual(response["result"]["protocolVersion"], 1)
        return client

    def run_prompt(self, text, request_id="req-1", client=None, model=None, images=()):
        client = client or self.connect()
        session = client.new_session()
        if model:
            self.assertIsNone(client.request("session/set_model",
                                             {"sessionId": session, "modelId": model,
                                              "_meta": {}})["result"])
        prompt_id = client.prompt(session, text, request_id=request_id, images=images)
        updates, response = client.collect_prompt(prompt_id)
        return session, updates, response


class ProtocolTest(SimTestCase):

    def test_initialize_must_come_first(self):
        client = self.connect(initialize=False)
        response = client.request("session/new", {"cwd": "/", "mcpServers": [], "_meta": {}})
        self.assertEqual(response["error"]["code"], -32002)
        self.assertEqual(response["error"]["message"], "not initialized")
        response = client.initialize()
        self.assertEqual(response["result"]["protocolVersion"], 1)
        self.assertIn("agentCapabilities", response["result"])
        self.assertTrue(client.new_session())

    def test_unknown_method(self):
        client = self.connect()
        response = client.request("session/fly", {})
        self.assertEqual(response["error"]["code"], -32601)

    def test_models_tree_is_nested_with_display_names(self):
        client = self.connect()
        result = client.request("config/queryModels", {})["result"]
        chat = {m["key"]: m["displayName"] for m in result["chat"]["models"]}
        self.assertEqual(chat["kmodel"], "Kimi-K2.6")
        self.assertEqual(chat["mmodel"], "MiniMax-M2.7")
        self.assertEqual(chat["org_auto"], "Auto")
        self.assertIn("models", result["inline"])

    def test_session_new_answers_a_uuid(self):
        client = self.connect()
        session = client.new_session()
        self.assertRegex(session, r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
        self.assertNotEqual(session, client.new_session())
        response = client.request("session/new", {"mcpServers": []})
        self.assertEqual(response["error"]["code"], -32602)

    def test_set_model_takes_internal_ids_only(self):
        client = self.connect()
        session = client.new_session()
        ok = client.request("session/set_model", {"sessionId": session, "modelId": "kmodel",
                                                  "_meta": {"ai-coding/request-id": "x"}})
        self.assertIn("result", ok)
        self.assertIsNone(ok["result"])
        display = client.request("session/set_model", {"sessionId": session, "modelId": "Kimi-K2.6"})
        self.assertEqual(display["error"]["code"], -32602)
        unknown = client.request("session/set_model", {"sessionId": "nope", "modelId": "kmodel"})
        self.assertEqual(unknown["error"]["code"], -32602)

    def test_prompt_streams_then_usage_then_finish_then_response(self):
        session, updates, response = self.run_prompt("Say hello", request_id="serve-1-abcd", model="mmodel")
        self.assertEqual(response["result"], {"stopReason": "end_turn"})
        kinds = [u["update"]["sessionUpdate"] for u in updates]
        self.assertGreater(kinds.count("agent_message_chunk"), 1)
        self.assertEqual(kinds[-2:], ["notification", "notification"])
        usage, finish = updates[-2]["update"], updates[-1]["update"]
        self.assertEqual(usage["type"], "context_usage")
        self.assertGreater(usage["data"]["usedTokens"], 0)
        self.assertEqual(usage["data"]["limitTokens"], 131072)
        self.assertEqual(finish["type"], "chat_finish")
        self.assertEqual(finish["data"], {"reason": "stop"})
        for update in updates:
            self.assertEqual(update["sessionId"], session)
            self.assertEqual(update["_meta"], {"ai-coding/request-id": "serve-1-abcd"})
        for update in updates[:-2]:
            self.assertLessEqual(len(update["update"]["content"]["text"]), 16)
        self.assertEqual(chunks_text(updates),
                         "Hello from the Lingma simulator (model mmodel). You said: Say hello")

    def test_default_model_is_the_first_of_the_list(self):
        _, updates, _ = self.run_prompt("hi")
        self.assertIn("(model org_auto)", chunks_text(updates))

    def test_prompt_errors(self):
        client = self.connect()
        response = client.request("session/prompt", {"sessionId": "nope",
                                                     "prompt": [{"type": "text", "text": "x"}]})
        self.assertEqual(response["error"]["code"], -32602)
        session = client.new_session()
        response = client.request("session/prompt", {"sessionId": session, "prompt": []})
        self.assertEqual(response["error"]["code"], -32602)
        response = client.request("session/prompt", {"sessionId": session,
                                                     "prompt": [{"type": "text", "text": "[[sim:nonsense]]"}]})
        self.assertEqual(response["error"]["code"], -32602)
        self.assertIn("nonsense", response["error"]["message"])

    def test_concurrent_prompts_keep_request_ids_apart(self):
        client = self.connect()
        other = self.connect()
        sessions = [client.new_session(), client.new_session(), other.new_session()]
        ids = [client.prompt(sessions[0], "first [[sim:slow=10]]", request_id="req-a"),
               client.prompt(sessions[1], "second [[sim:slow=10]]", request_id="req-b"),
               other.prompt(sessions[2], "third [[sim:slow=10]]", request_id="req-c")]
        done = {}
        while len(done) < 2:
            message = client.recv()
            if message.get("id") in ids[:2]:
                done[message["id"]] = message
        third_updates, third = other.collect_prompt(ids[2])
        updates = [m["params"] for m in client.received if m.get("method") == "session/update"]

        by_request = {}
        for update in updates:
            by_request.setdefault(update["_meta"]["ai-coding/request-id"], []).append(update)
        self.assertEqual(set(by_request), {"req-a", "req-b"})
        self.assertTrue(chunks_text(by_request["req-a"]).endswith("You said: first"))
        self.assertTrue(chunks_text(by_request["req-b"]).endswith("You said: second"))
        self.assertTrue(all(u["sessionId"] == sessions[0] for u in by_request["req-a"]))
        self.assertTrue(all(u["sessionId"] == sessions[1] for u in by_request["req-b"]))
        self.assertTrue(chunks_text(third_updates).endswith("You said: third"))
        # Interleaved, not one after the other.
        order = [u["_meta"]["ai-coding/request-id"] for u in updates]
        self.assertLess(order.index("req-b"), len(order) - order[::-1].index("req-a") - 1)
        self.assertEqual(third["result"]["stopReason"], "end_turn")

    def test_cancel_notification_stops_the_prompt(self):
        client = self.connect()
        session = client.new_session()
        prompt_id = client.prompt(session, "talk slowly [[sim:slow=100]]", request_id="req-cancel")
        first = client.recv()
        self.assertEqual(first["params"]["update"]["sessionUpdate"], "agent_message_chunk")
        client.notify("session/cancel", {"sessionId": session})
        updates, response = client.collect_prompt(prompt_id)
        self.assertEqual(response["result"], {"stopReason": "cancelled"})
        self.assertEqual(updates[-1]["update"]["type"], "chat_finish")
        self.assertEqual(updates[-1]["update"]["data"], {"reason": "cancelled"})
        self.assertEqual(updates[-1]["_meta"], {"ai-coding/request-id": "req-cancel"})

    def test_cancel_request_is_answered(self):
        client = self.connect()
        session = client.new_session()
        prompt_id = client.prompt(session, "[[sim:silent=5000]] wait", request_id="req-c2")
        cancel = client.request("session/cancel", {"sessionId": session})
        self.assertIsNone(cancel["result"])
        updates, response = client.collect_prompt(prompt_id)
        self.assertEqual(response["result"]["stopReason"], "cancelled")
        self.assertEqual([u["update"].get("type") for u in updates], ["chat_finish"])

    def test_delete_session(self):
        client = self.connect()
        session = client.new_session()
        self.assertIsNone(client.request("chat/deleteSessionById", {"sessionId": session})["result"])
        again = client.request("chat/deleteSessionById", {"sessionId": session})
        self.assertIn("error", again)
        prompt = client.request("session/prompt", {"sessionId": session,
                                                   "prompt": [{"type": "text", "text": "x"}]})
        self.assertEqual(prompt["error"]["code"], -32602)
        by_id = client.new_session()
        self.assertIsNone(client.request("chat/deleteSessionById", {"id": by_id})["result"])

    def test_client_leaving_mid_prompt_does_not_hurt(self):
        client = self.connect()
        session = client.new_session()
        client.prompt(session, "long [[sim:slow=20]] " + "words " * 50)
        client.recv()
        client.close()
        self.clients.remove(client)
        _, updates, response = self.run_prompt("still there?")
        self.assertEqual(response["result"]["stopReason"], "end_turn")
        # The session outlives the connection that created it.
        other = self.connect()
        updates, response = other.collect_prompt(other.prompt(session, "again"))
        self.assertTrue(chunks_text(updates).endswith("You said: again"))

    def test_sessions_are_shared_between_connections(self):
        first = self.connect()
        session = first.new_session()
        second = self.connect()
        prompt_id = second.prompt(session, "from elsewhere")
        updates, response = second.collect_prompt(prompt_id)
        self.assertEqual(response["result"]["stopReason"], "end_turn")
        self.assertTrue(chunks_text(updates).endswith("You said: from elsewhere"))

    def test_invalid_json_is_a_parse_error(self):
        client = self.connect()
        client.send_raw(b"Content-Length: 8\r\n\r\n{broken}")
        response = client.recv()
        self.assertEqual(response["error"]["code"], -32700)
        self.assertIsNone(response["id"])
        self.assertEqual(client.request("config/queryModels")["result"]["chat"]["models"][0]["key"], "org_auto")

    def test_missing_jsonrpc_version_is_rejected(self):
        client = self.connect()
        client.send({"id": 77, "method": "config/queryModels", "params": {}})
        response = client.wait_response(77)
        self.assertEqual(response["error"]["code"], -32600)

    def test_bad_framing_closes_the_connection(self):
        client = self.connect()
        client.send_raw(b"Content-Length: nope\r\n\r\n{}")
        with self.assertRaises(ConnectionClosed) as caught:
            client.recv()
        self.assertEqual(caught.exception.code, 1002)

    def test_frames_joined_and_split_by_the_client(self):
        client = self.connect()
        one = client.encode({"jsonrpc": "2.0", "id": 50, "method": "config/queryModels", "params": {}})
        two = client.encode({"jsonrpc": "2.0", "id": 51, "method": "session/new",
                             "params": {"cwd": "/tmp", "mcpServers": []}})
        client.send_raw(one + two)
        self.assertIn("chat", client.wait_response(50)["result"])
        self.assertIn("sessionId", client.wait_response(51)["result"])
        three = client.encode({"jsonrpc": "2.0", "id": 52, "method": "config/queryModels", "params": {}})
        for piece in (three[:5], three[5:30], three[30:]):
            client.send_raw(piece)
            time.sleep(0.02)
        self.assertIn("chat", client.wait_response(52)["result"])

    def test_any_path_is_accepted(self):
        client = IpcClient(self.sim.port, path="/some/path?x=1")
        self.clients.append(client)
        self.assertEqual(client.initialize()["result"]["protocolVersion"], 1)

    def test_large_message_over_128_kib(self):
        text = "x" * (300 * 1024)
        _, updates, response = self.run_prompt(text + " [[sim:echo]]")
        self.assertEqual(response["result"]["stopReason"], "end_turn")
        self.assertEqual(chunks_text(updates), text + " [[sim:echo]]")


class ReplyTest(SimTestCase):

    def test_transcript_layout_quotes_the_latest_user_turn(self):
        prompt = ("System instructions:\n\nBe brief.\n\nConversation transcript:\n\n"
                  "User: first question\n\nAssistant: first answer\n\nUser: second question\n\n"
                  "Reply as the assistant to the latest user message.")
        _, updates, _ = self.run_prompt(prompt)
        self.assertTrue(chunks_text(updates).endswith("You said: second question"))

    def test_quote_is_cut_at_200_characters(self):
        _, updates, _ = self.run_prompt("y" * 300)
        self.assertTrue(chunks_text(updates).endswith("You said: " + "y" * 200 + "…"))

    def test_echo_returns_the_whole_prompt(self):
        prompt = "User: a\n\nAssistant: b\n\nUser: c [[sim:echo]]\n\nAssistant:"
        _, updates, _ = self.run_prompt(prompt)
        self.assertEqual(chunks_text(updates), prompt)

    def test_error_marker(self):
        _, updates, response = self.run_prompt("fail please [[sim:error]]")
        self.assertEqual(updates, [])
        self.assertEqual(response["error"], {"code": -32000, "message": "simulated failure"})

    def test_drop_marker_closes_without_finish(self):
        client = self.connect()
        session = client.new_session()
        client.prompt(session, "drop me [[sim:drop]]")
        with self.assertRaises(ConnectionClosed) as caught:
            while True:
                client.recv()
        self.assertIsNone(caught.exception.code)
        updates = [m["params"]["update"] for m in client.received if m.get("method") == "session/update"]
        self.assertEqual([u["sessionUpdate"] for u in updates], ["agent_message_chunk"] * 3)
        # The simulator itself lives on.
        self.assertTrue(self.connect())

    def test_think_marker_streams_thoughts_first(self):
        _, updates, _ = self.run_prompt("ponder [[sim:think]]")
        kinds = [u["update"]["sessionUpdate"] for u in updates]
        self.assertEqual(kinds[0], "agent_thought_chunk")
        last_thought = len(kinds) - 1 - kinds[::-1].index("agent_thought_chunk")
        self.assertLess(last_thought, kinds.index("agent_message_chunk"))
        self.assertIn("Lingma simulator", chunks_text(updates, "agent_thought_chunk"))
        self.assertTrue(chunks_text(updates).endswith("You said: ponder"))

    def test_large_marker(self):
        _, updates, response = self.run_prompt("[[sim:large=200000]]")
        text = chunks_text(updates)
        self.assertEqual(len(text.encode()), 200000)
        self.assertLessEqual(len(updates), 256 + 2)
        self.assertEqual(response["result"]["stopReason"], "end_turn")

    def test_stop_marker_puts_text_in_the_middle(self):
        _, updates, _ = self.run_prompt("stop here [[sim:stop=<END>]]")
        text = chunks_text(updates)
        index = text.index("<END>")
        self.assertGreater(index, 10)
        self.assertLess(index, len(text) - 15)

    def test_refuse_marker(self):
        _, updates, _ = self.run_prompt("run ls [[sim:refuse]]")
        self.assertIn("can't execute commands", chunks_text(updates))
        self.assertIn("I don't have tools", chunks_text(updates))

    def test_refuse_only_the_first_prompts(self):
        client = self.connect()
        session = client.new_session()
        texts = []
        for _ in range(3):
            updates, _ = client.collect_prompt(client.prompt(session, tools_prompt(
                "User: run `uname -a` [[sim:refuse=2]]")))
            texts.append(chunks_text(updates))
        self.assertIn("can't execute", texts[0])
        self.assertIn("can't execute", texts[1])
        self.assertEqual(action_blocks(texts[2]), [{"tool": "bash", "parameters": {"command": "uname -a"}}])

    def test_silent_marker_sends_nothing_for_a_while(self):
        client = self.connect()
        session = client.new_session()
        start = time.monotonic()
        prompt_id = client.prompt(session, "[[sim:silent=400]] shh")
        first = client.recv()
        self.assertGreaterEqual(time.monotonic() - start, 0.35)
        self.assertEqual(first["method"], "session/update")
        client.collect_prompt(prompt_id)

    def test_slow_marker_paces_chunks(self):
        start = time.monotonic()
        _, updates, _ = self.run_prompt("slowly [[sim:slow=40]]")
        self.assertGreaterEqual(time.monotonic() - start, 0.04 * (len(updates) - 2) * 0.9)

    def test_images_are_described(self):
        with tempfile.NamedTemporaryFile(suffix=".png", delete=False) as f:
            f.write(PNG)
        try:
            uri = "lingma:///agent/file?path=" + urllib.parse.quote_plus(f.name)
            images = [
                {"type": "image", "mimeType": "image/png", "data": base64.b64encode(PNG).decode()},
                {"type": "image", "mimeType": "image/jpeg", "uri": uri},
                {"type": "image", "mimeType": "image/gif", "data": "not base64!"},
                {"type": "image", "mimeType": "image/webp",
                 "uri": "lingma:///agent/file?path=%2Fno%2Fsuch%2Ffile.webp"},
            ]
            _, updates, _ = self.run_prompt("what is this?", images=images)
        finally:
            os.unlink(f.name)
        text = chunks_text(updates)
        self.assertIn("You sent 4 images: ", text)
        self.assertIn("image/png (%d bytes)" % len(PNG), text)
        self.assertIn("image/jpeg (%d bytes)" % len(PNG), text)
        self.assertRegex(text, r"image/gif \(unreadable image")
        self.assertRegex(text, r"image/webp \(unreadable image")


class ToolTest(SimTestCase):

    def prompt_blocks(self, *turns, rule=None):
        _, updates, _ = self.run_prompt(tools_prompt(*turns, rule=rule))
        return chunks_text(updates)

    def test_read_request_calls_the_read_tool(self):
        text = self.prompt_blocks("User: Please read /tmp/x/notes.txt and summarise it.")
        self.assertEqual(action_blocks(text), [{"tool": "read_file", "parameters": {"path": "/tmp/x/notes.txt"}}])
        self.assertTrue(text.startswith("```json action\n"))

    def test_write_request_calls_the_write_tool(self):
        text = self.prompt_blocks("User: create ./a.txt containing hello world")
        self.assertEqual(action_blocks(text),
                         [{"tool": "write_file", "parameters": {"content": "hello world", "path": "./a.txt"}}])

    def test_write_request_with_quoted_content(self):
        text = self.prompt_blocks("User: save 'some words' to notes.md")
        self.assertEqual(action_blocks(text),
                         [{"tool": "write_file", "parameters": {"content": "some words", "path": "notes.md"}}])

    def test_run_request_calls_the_shell_tool(self):
        text = self.prompt_blocks("User: run ls -la /tmp")
        self.assertEqual(action_blocks(text), [{"tool": "bash", "parameters": {"command": "ls -la /tmp"}}])

    def test_list_request_builds_an_ls_command(self):
        text = self.prompt_blocks("User: list the files in /var/log")
        self.assertEqual(action_blocks(text), [{"tool": "bash", "parameters": {"command": "ls -la /var/log"}}])

    def test_untyped_signature(self):
        contract = CONTRACT.replace(CONTRACT.splitlines()[7], "Open(file, lines?) - Show a file")
        _, updates, _ = self.run_prompt("User: show me /etc/hosts\n\n" + contract + "\n\nAssistant:")
        self.assertEqual(action_blocks(chunks_text(updates)), [{"tool": "Open", "parameters": {"file": "/etc/hosts"}}])

    def test_other_required_params_get_a_value_of_their_type(self):
        contract = CONTRACT.replace("- bash(command: string, timeout?: number)",
                                    "- bash(command: string, timeout: integer, background: boolean, env: object)")
        _, updates, _ = self.run_prompt("User: run `make check`\n\n" + contract + "\n\nAssistant:")
        self.assertEqual(action_blocks(chunks_text(updates)),
                         [{"tool": "bash", "parameters": {"command": "make check", "timeout": 1,
                                                          "background": True, "env": {}}}])

    def test_contract_examples_do_not_count_as_turns(self):
        contract = CONTRACT + "\n\nExample:\n\nUser: list files\n\nAssistant: ```json action\n{}\n```"
        _, updates, _ = self.run_prompt("User: read /srv/data.csv\n\n" + contract + "\n\nAssistant:")
        self.assertEqual(action_blocks(chunks_text(updates)),
                         [{"tool": "read_file", "parameters": {"path": "/srv/data.csv"}}])

    def test_tool_result_is_quoted(self):
        text = self.prompt_blocks(
            "User: read /tmp/x/notes.txt",
            'Assistant: ```json action\n{\n  "parameters": {"path": "/tmp/x/notes.txt"},\n'
            '  "tool": "read_file"\n}\n```',
            "User: Tool result for toolu_011 (read_file):\nbuy milk\neggs\n\n"
            "Continue with the next action, using the action block format if a tool is needed.")
        self.assertEqual(text, "The tool returned: buy milk\neggs")

    def test_tool_error_is_quoted(self):
        text = self.prompt_blocks("User: Tool error for call_9:\nNo such file\n\nContinue.")
        self.assertEqual(text, "The tool reported an error: No such file")

    def test_tool_result_without_a_contract(self):
        _, updates, _ = self.run_prompt("User: Tool result for abc:\n" + "z" * 600 + "\n\nContinue.")
        self.assertEqual(chunks_text(updates), "The tool returned: " + "z" * 500)

    def test_no_contract_no_action_block(self):
        _, updates, _ = self.run_prompt("Explain the ```json action format, and read /tmp/a.txt")
        text = chunks_text(updates)
        self.assertEqual(action_blocks(text), [])
        self.assertTrue(text.startswith("Hello from the Lingma simulator"))

    def test_plain_marker(self):
        text = self.prompt_blocks("User: read /tmp/a.txt [[sim:plain]]")
        self.assertEqual(action_blocks(text), [])
        self.assertIn("You said: read /tmp/a.txt", text)

    def test_two_calls_marker(self):
        text = self.prompt_blocks("User: read /tmp/a.txt [[sim:two-calls]]")
        self.assertEqual([b["tool"] for b in action_blocks(text)], ["read_file", "write_file"])

    def test_badjson_marker(self):
        text = self.prompt_blocks("User: read /tmp/a.txt [[sim:badjson]]")
        body = re.search(r"```json action\n(.*?)\n```", text, re.S).group(1)
        self.assertTrue(body.startswith('{"tool":"read_file"'))
        with self.assertRaises(ValueError):
            json.loads(body)

    def test_unknown_tool_marker(self):
        text = self.prompt_blocks("User: read /tmp/a.txt [[sim:unknown-tool]]")
        self.assertEqual(action_blocks(text), [{"tool": "sim_unknown_tool", "parameters": {}}])

    def test_trailing_punctuation_is_not_part_of_a_path(self):
        for words in ("Read /tmp/x/notes.txt.", "Read /tmp/x/notes.txt, then summarise it",
                      "读取 /tmp/x/notes.txt。"):
            text = self.prompt_blocks("User: " + words)
            self.assertEqual(action_blocks(text), [{"tool": "read_file", "parameters": {"path": "/tmp/x/notes.txt"}}],
                             words)

    def test_a_path_in_the_content_is_not_the_target(self):
        text = self.prompt_blocks('User: write "see src/main.c" to notes.md')
        self.assertEqual(action_blocks(text),
                         [{"tool": "write_file", "parameters": {"content": "see src/main.c", "path": "notes.md"}}])
        text = self.prompt_blocks("User: create a file named out.txt containing logs/today")
        self.assertEqual(action_blocks(text),
                         [{"tool": "write_file", "parameters": {"content": "logs/today", "path": "out.txt"}}])
        text = self.prompt_blocks("User: show me '/etc/hosts'")
        self.assertEqual(action_blocks(text), [{"tool": "read_file", "parameters": {"path": "/etc/hosts"}}])

    def test_no_fitting_tool_means_plain_text(self):
        text = self.prompt_blocks("User: Good morning, how are you?")
        self.assertEqual(action_blocks(text), [])
        self.assertIn("You said: Good morning, how are you?", text)

    def test_forced_tool_wins_over_the_best_match(self):
        text = self.prompt_blocks("User: Please read /tmp/x/notes.txt.", rule=FORCE_BASH)
        self.assertEqual(action_blocks(text), [{"tool": "bash", "parameters": {"command": "cat /tmp/x/notes.txt"}}])

    def test_forced_tool_rule_in_any_case_with_more_words(self):
        rule = "* THIS REPLY MUST CALL THE TOOL `Write_File` with an action block, and nothing else."
        text = self.prompt_blocks("User: run ls -la /tmp", rule=rule)
        self.assertEqual([b["tool"] for b in action_blocks(text)], ["write_file"])
        self.assertEqual(action_blocks(text)[0]["parameters"]["path"], "/tmp")

    def test_forced_tool_leads_two_calls(self):
        text = self.prompt_blocks("User: read /tmp/a.txt [[sim:two-calls]]", rule=FORCE_BASH)
        self.assertEqual([b["tool"] for b in action_blocks(text)], ["bash", "read_file"])

    def test_an_older_contract_in_the_transcript_forces_nothing(self):
        text = self.prompt_blocks("User: Good morning. Earlier you were told:\n" + FORCE_BASH)
        self.assertEqual(action_blocks(text), [])

    def test_any_rule_calls_a_tool_for_small_talk(self):
        text = self.prompt_blocks("User: Good morning, how are you?", rule=ANY_BLOCK)
        self.assertEqual(action_blocks(text), [{"tool": "read_file", "parameters": {"path": "README.md"}}])
        text = self.prompt_blocks("User: Good morning. Please run `date`.", rule=ANY_BLOCK)
        self.assertEqual(action_blocks(text), [{"tool": "bash", "parameters": {"command": "date"}}])

    def test_a_required_call_follows_a_tool_result(self):
        turns = ("User: read /tmp/x/notes.txt",
                 'Assistant: ```json action\n{"tool":"read_file","parameters":{"path":"/tmp/x/notes.txt"}}\n```',
                 "User: Tool result for call_1 (read_file):\nbuy milk\n\nContinue.")
        self.assertEqual(self.prompt_blocks(*turns), "The tool returned: buy milk")
        self.assertEqual([b["tool"] for b in action_blocks(self.prompt_blocks(*turns, rule=ANY_BLOCK))],
                         ["read_file"])
        self.assertEqual([b["tool"] for b in action_blocks(self.prompt_blocks(*turns, rule=FORCE_BASH))],
                         ["bash"])

    def test_plain_marker_beats_a_required_call(self):
        text = self.prompt_blocks("User: read /tmp/a.txt [[sim:plain]]", rule=FORCE_BASH)
        self.assertEqual(action_blocks(text), [])


class ClaudeCodeTurnTest(SimTestCase):

    def blocks(self, *turns):
        _, updates, _ = self.run_prompt(cc_prompt(*turns))
        return action_blocks(chunks_text(updates))

    def test_read_after_a_reminder(self):
        words = "Read the file /tmp/cc-test-abc/notes.txt and tell me what it says."
        expected = [{"tool": "Read", "parameters": {"file_path": "/tmp/cc-test-abc/notes.txt"}}]
        # On the next line, after a blank line, and after several reminders.
        self.assertEqual(self.blocks("User: " + CC_REMINDER + "\n" + words), expected)
        self.assertEqual(self.blocks("User: " + CC_REMINDER + "\n\n" + words), expected)
        self.assertEqual(self.blocks("User: " + CC_REMINDER + "\n<system-reminder>\nplan mode is off\n"
                                     "</system-reminder>\n" + words), expected)

    def test_write_after_a_reminder(self):
        words = 'Create a file /tmp/cc-test-abc/out.txt containing "hello world"'
        self.assertEqual(self.blocks("User: " + CC_REMINDER + "\n" + words),
                         [{"tool": "Write", "parameters": {"file_path": "/tmp/cc-test-abc/out.txt",
                                                           "content": "hello world"}}])

    def test_unclosed_reminder_ends_with_its_paragraph(self):
        self.assertEqual(self.blocks("User: <system-reminder>\nsee /etc/motd\n\nRead /tmp/cc/a.txt"),
                         [{"tool": "Read", "parameters": {"file_path": "/tmp/cc/a.txt"}}])

    def test_reminder_after_a_tool_result(self):
        # The proxy shows a message's tool results first, then its text.
        text = chunks_text(self.run_prompt(cc_prompt(
            "User: " + CC_REMINDER + "\nRead /tmp/cc/a.txt",
            'Assistant: ```json action\n{"tool":"Read","parameters":{"file_path":"/tmp/cc/a.txt"}}\n```',
            "User: Tool result for toolu_01:\n1\tsecret 42\n<system-reminder>\nWhenever you read a file, "
            "consider whether it is malware.\n</system-reminder>\n\nContinue.",
            "User: <system-reminder>\nThe TodoWrite tool hasn't been used recently.\n</system-reminder>"))[1])
        self.assertEqual(text, "The tool returned: 1\tsecret 42")

    def test_you_said_quotes_the_words_only(self):
        _, updates, _ = self.run_prompt("User: " + CC_REMINDER + "\n\nPlease greet Bob\n\nAssistant:")
        text = chunks_text(updates)
        self.assertTrue(text.endswith("You said: Please greet Bob"), text)


class FrameLogTest(SimTestCase):

    def test_every_received_frame_is_logged(self):
        client = self.connect()
        session = client.new_session()
        client.request("session/set_model", {"sessionId": session, "modelId": "kmodel",
                                             "_meta": {"ai-coding/request-id": "serve-1"}})
        prompt_id = client.prompt(session, "log me", request_id="serve-2",
                                  meta={"ai-coding/shell-type": "zsh"})
        client.collect_prompt(prompt_id)
        client.notify("session/cancel", {"sessionId": session})
        client.request("chat/deleteSessionById", {"sessionId": session})
        cancel = self.sim.wait_for_frame("session/cancel")
        self.assertEqual(cancel[-1]["params"], {"sessionId": session})
        self.assertNotIn("id", cancel[-1])

        entries = self.sim.read_frame_log()
        self.assertTrue(all(isinstance(e["t"], int) and e["t"] > 1.6e12 for e in entries))
        mine = [e["frame"] for e in entries
                if e["frame"].get("params", {}).get("sessionId") == session]
        self.assertEqual([f["method"] for f in mine],
                         ["session/set_model", "session/prompt", "session/cancel", "chat/deleteSessionById"])
        self.assertEqual(mine[0]["params"]["modelId"], "kmodel")
        self.assertEqual(mine[1]["params"]["_meta"],
                         {"ai-coding/shell-type": "zsh", "ai-coding/request-id": "serve-2"})
        self.assertEqual(mine[1]["jsonrpc"], "2.0")

    def test_invalid_frames_are_logged_raw(self):
        client = self.connect()
        client.send_raw(b"Content-Length: 9\r\n\r\nnot json!")
        client.recv()
        raws = wait_until(lambda: [e for e in self.sim.read_frame_log() if "raw" in e])
        self.assertEqual(raws[-1]["raw"], "not json!")


class OptionsTest(unittest.TestCase):

    def test_split_frames(self):
        with Sim(["--split-frames", "--chunk-delay-ms", "0"]) as sim:
            client = IpcClient(sim.port)
            client.initialize()
            session = client.new_session()
            updates, response = client.collect_prompt(client.prompt(session, "split " * 20))
            self.assertEqual(response["result"]["stopReason"], "end_turn")
            self.assertTrue(chunks_text(updates).endswith("You said: " + ("split " * 20).strip()))
            frames = len(client.received)
            # Some frames took two messages, others shared one.
            self.assertNotEqual(client.messages_received, frames)
            client.close()

    def test_behaviour_option_applies_to_every_prompt(self):
        with Sim(["--behaviour", "think", "-b", "slow=0"]) as sim:
            client = IpcClient(sim.port)
            client.initialize()
            updates, _ = client.collect_prompt(client.prompt(client.new_session(), "hi"))
            self.assertEqual(updates[0]["update"]["sessionUpdate"], "agent_thought_chunk")
            client.close()

    def test_chunk_size_option(self):
        with Sim(["--chunk-size", "4", "--chunk-delay-ms", "0"]) as sim:
            client = IpcClient(sim.port)
            client.initialize()
            updates, _ = client.collect_prompt(client.prompt(client.new_session(), "hi"))
            pieces = [u["update"]["content"]["text"] for u in updates[:-2]]
            self.assertEqual(max(len(p) for p in pieces), 4)
            client.close()

    def test_models_option(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"assistant": [{"id": "my_model", "name": "Mine"}]}, f)
        try:
            with Sim(["--models", f.name]) as sim:
                client = IpcClient(sim.port)
                client.initialize()
                result = client.request("config/queryModels")["result"]
                self.assertEqual(result, {"assistant": [{"id": "my_model", "name": "Mine"}]})
                session = client.new_session()
                self.assertIn("result", client.request("session/set_model",
                                                       {"sessionId": session, "modelId": "my_model"}))
                self.assertIn("error", client.request("session/set_model",
                                                      {"sessionId": session, "modelId": "kmodel"}))
                client.close()
        finally:
            os.unlink(f.name)

    def test_bad_options_fail(self):
        for args in (["--behaviour", "nonsense"], ["--behaviour", "slow"], ["--models", "/no/such.json"],
                     ["--chunk-size", "0"], ["--host", "not-an-address"]):
            sim = Sim(args, start=False)
            with self.assertRaises(RuntimeError, msg=str(args)):
                sim.start()
            self.assertNotEqual(sim.process.wait(5), 0, args)
            sim.kill()

    def test_server_requests(self):
        with Sim(["--server-requests"]) as sim:
            client = IpcClient(sim.port)
            client.initialize()
            session = client.new_session()
            ids = []
            for _ in range(2):
                prompt_id = client.prompt(session, "hi")
                while True:
                    message = client.recv()
                    if message.get("method") == "window/showMessageRequest":
                        ids.append(message["id"])
                        client.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
                    elif message.get("id") == prompt_id and "method" not in message:
                        break
            self.assertIsInstance(ids[0], int)
            self.assertIsInstance(ids[1], str)
            answers = wait_until(lambda: len([f for f in sim.frames() if "result" in f]) >= 2 and
                                 [f for f in sim.frames() if "result" in f])
            self.assertEqual([a["id"] for a in answers], ids)
            client.close()
            sim.stop()
            self.assertEqual(sim.stderr_text().count("answered with a null result"), 2)

    def test_restart_on_the_same_port(self):
        with Sim() as sim:
            port = sim.port
            client = IpcClient(port)
            client.initialize()
            sim.restart()
            self.assertEqual(sim.port, port)
            with self.assertRaises((ConnectionClosed, OSError)):
                client.recv()
            client.ws.sock.close()
            client = IpcClient(port)
            self.assertEqual(client.initialize()["result"]["protocolVersion"], 1)
            client.close()


class LifecycleTest(unittest.TestCase):

    def check_info_file(self, legacy, stop_signal):
        directory = tempfile.mkdtemp()
        path = os.path.join(directory, "Lingma", "SharedClientCache", ".info" if legacy else ".info.json")
        sim = Sim(["--info-file", path] + (["--legacy-info"] if legacy else []))
        try:
            with open(path) as f:
                content = f.read()
            if legacy:
                lines = content.split("\n")
                self.assertEqual(int(lines[0]), sim.port)
                self.assertEqual(int(lines[1]), sim.pid)
                self.assertTrue(lines[2].startswith("\\\\.\\pipe\\lingma-"))
            else:
                self.assertEqual(json.loads(content), {"websocketPort": sim.port, "pid": sim.pid,
                                                       "ipcServerPath": "", "isDev": False})
            sim.process.send_signal(stop_signal)
            self.assertEqual(sim.process.wait(10), 0)
            self.assertFalse(os.path.exists(path))
        finally:
            sim.kill()

    def test_json_info_file_removed_on_sigterm(self):
        self.check_info_file(False, signal.SIGTERM)

    def test_legacy_info_file_removed_on_sigint(self):
        self.check_info_file(True, signal.SIGINT)

    def test_info_file_of_a_running_process_is_kept(self):
        directory = tempfile.mkdtemp()
        path = os.path.join(directory, ".info.json")
        foreign = json.dumps({"websocketPort": 1, "pid": os.getpid(), "ipcServerPath": ""})
        with open(path, "w") as f:
            f.write(foreign)
        sim = Sim(["--info-file", path], start=False)
        with self.assertRaises(RuntimeError):
            sim.start()
        sim.kill()
        self.assertIn("running process", sim.stderr_text())
        with open(path) as f:
            self.assertEqual(f.read(), foreign)

        # A stale file, left by a process that is gone, is replaced.
        gone = subprocess.Popen(["true"])
        gone.wait()
        with open(path, "w") as f:
            f.write("36510\n%d\n" % gone.pid)
        with Sim(["--info-file", path]) as sim:
            with open(path) as f:
                self.assertEqual(json.load(f)["websocketPort"], sim.port)
        self.assertFalse(os.path.exists(path))

    def test_help_documents_every_option_and_marker(self):
        binary = os.environ["LP_SIM_BIN"]
        text = subprocess.run([binary, "--help"], capture_output=True, text=True, check=True).stdout
        for option in ("--host", "--port", "--info-file", "--legacy-info", "--frame-log", "--models",
                       "--chunk-size", "--chunk-delay-ms", "--split-frames", "--server-requests",
                       "--behaviour"):
            self.assertIn(option, text)
        for marker in ("slow=MS", "silent=MS", "error", "drop", "large=BYTES", "think", "refuse",
                       "badjson", "two-calls", "unknown-tool", "plain", "echo", "stop=TEXT", "[[sim:"):
            self.assertIn(marker, text)
        version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
        self.assertRegex(version, r"^lingma-sim \d+\.\d+")

    def test_listening_line_names_a_reachable_websocket(self):
        with Sim() as sim:
            self.assertGreater(sim.port, 0)
            ws = WebSocket(sim.port)
            ws.close()


if __name__ == "__main__":
    result = unittest.main(verbosity=2, exit=False).result
    sys.exit(0 if result.wasSuccessful() else 1)
