# bodies.py: Claude-Code-like Anthropic /v1/messages bodies of a chosen size,
# for tools/bench/overhead.py. Deterministic (fixed seed), standard library only.
#
# SPDX-License-Identifier: GPL-3.0-or-later
"""Request bodies shaped like the ones Claude Code sends (see
docs/claude-code-notes.md): three system blocks with cache_control, about
twenty tools with JSON schemas (~32 KB), a first user turn made of a
<system-reminder> block and the prompt, a role "system" environment message,
then a history of assistant tool_use / user tool_result pairs (Read output
with line numbers, grep and Bash output). The body is grown with history
until it reaches the requested size, and the last turn is a short Bash
tool_result, so the simulator's reply has the same small size whatever the
body size: what changes with the size is only the request.

The smallest size (about 1 KiB) cannot hold a tool contract; it is a minimal
request: one short system string and one user message."""

import json
import random

__all__ = ["claude_code_body", "minimal_body", "body_for_size"]

MODEL = "claude-sonnet-4-5-20250929"

_WORDS = ("the request store keeps a capped copy of each body and spills older records when the "
          "byte budget is exceeded so that long sessions stay bounded while the proxy serves "
          "streaming replies frame decoder session prompt tool contract schema parameter "
          "optional string integer boolean array object path file line offset limit pattern "
          "glob directory command timeout description background output error result content "
          "message assistant user system model token usage context window cache ephemeral").split()

_IDENTS = ("self", "request", "record", "body", "len", "node", "object", "array", "error",
           "builder", "generator", "frame", "client", "session", "prompt", "tools", "reply",
           "chunk", "offset", "limit", "status", "headers", "msg", "server", "route", "i", "n")

_FUNCS = ("lp_request_store_append", "json_builder_add_string_value", "g_string_append_len",
          "soup_server_message_set_status", "lp_frame_encode", "lp_prompt_build",
          "json_object_get_string_member", "g_bytes_new_take", "lp_tool_contract_render",
          "g_task_return_pointer", "lp_ipc_client_call_async", "json_generator_to_data")


def _sentence(rng, n_words):
    words = [rng.choice(_WORDS) for _ in range(n_words)]
    return " ".join(words).capitalize() + "."


def _paragraph(rng, n_sentences):
    return " ".join(_sentence(rng, rng.randint(8, 20)) for _ in range(n_sentences))


def _code_line(rng):
    kind = rng.random()
    indent = "  " * rng.randint(0, 4)
    if kind < 0.12:
        return ""
    if kind < 0.25:
        return indent + "/* " + _sentence(rng, rng.randint(4, 10)) + " */"
    if kind < 0.55:
        return "%s%s (%s, %s);" % (indent, rng.choice(_FUNCS), rng.choice(_IDENTS), rng.choice(_IDENTS))
    if kind < 0.7:
        return "%sif (%s->%s == NULL)" % (indent, rng.choice(_IDENTS), rng.choice(_IDENTS))
    if kind < 0.8:
        return '%sg_debug ("%s: %%s", %s);' % (indent, _sentence(rng, 4)[:-1], rng.choice(_IDENTS))
    if kind < 0.9:
        return "%s%s = %s + %d;" % (indent, rng.choice(_IDENTS), rng.choice(_IDENTS), rng.randint(1, 4096))
    return indent + "{" if rng.random() < 0.5 else indent + "}"


def _read_output(rng, n_lines, first=1):
    # Claude Code's Read tool: right-aligned line numbers, a tab, the line.
    return "\n".join("%6d\t%s" % (first + i, _code_line(rng)) for i in range(n_lines))


def _grep_output(rng, n_lines):
    return "\n".join("src/core/lp-%s.c:%d:%s" % (rng.choice(_IDENTS), rng.randint(1, 900),
                                                 _code_line(rng).strip())
                     for _ in range(n_lines))


_TOOL_NAMES = ("Agent", "Bash", "BashOutput", "Edit", "ExitPlanMode", "Glob", "Grep", "KillShell",
               "ListAgents", "MultiEdit", "NotebookEdit", "Read", "ReportFindings", "ScheduleWakeup",
               "Skill", "SlashCommand", "TodoWrite", "ToolSearch", "WebFetch", "WebSearch", "Write")


def _tools(rng):
    tools = []
    for name in _TOOL_NAMES:
        properties = {}
        for j in range(rng.randint(2, 6)):
            pname = rng.choice(("file_path", "command", "pattern", "path", "offset", "limit",
                                "content", "old_string", "new_string", "description", "timeout",
                                "query", "url", "prompt", "glob", "output_mode")) + ("" if j < 3 else "_%d" % j)
            ptype = rng.choice(("string", "string", "string", "number", "boolean"))
            properties[pname] = {"type": ptype, "description": _paragraph(rng, rng.randint(1, 2))}
        if name == "TodoWrite":
            properties["todos"] = {"type": "array", "items": {
                "type": "object", "additionalProperties": False,
                "required": ["content", "status", "activeForm"],
                "properties": {"content": {"type": "string", "minLength": 1},
                               "status": {"type": "string", "enum": ["pending", "in_progress", "completed"]},
                               "activeForm": {"type": "string", "minLength": 1}}},
                "description": "The updated todo list"}
        required = sorted(properties)[:rng.randint(1, 2)]
        tools.append({"name": name,
                      "description": "\n\n".join(_paragraph(rng, rng.randint(2, 4))
                                                 for _ in range(rng.randint(1, 3))),
                      "input_schema": {"type": "object", "properties": properties, "required": required,
                                       "additionalProperties": False,
                                       "$schema": "http://json-schema.org/draft-07/schema#"}})
    return tools


def _system(rng):
    main = "\n\n".join("# %s\n%s" % (_sentence(rng, 3)[:-1], _paragraph(rng, 6)) for _ in range(9))
    return [{"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.332.a1b; "
                                     "cc_entrypoint=sdk-cli;"},
            {"type": "text", "text": "You are a Claude agent, built on Anthropic's Claude Agent SDK.",
             "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": main, "cache_control": {"type": "ephemeral"}}]


def _history_pair(rng, index):
    tool_id = "toolu_01%022d" % index
    kind = rng.random()
    if kind < 0.6:
        n = rng.randint(40, 260)
        first = rng.randint(1, 800)
        call = ("Read", {"file_path": "/work/main/src/core/lp-%s.c" % rng.choice(_IDENTS),
                         "offset": first, "limit": n})
        output = _read_output(rng, n, first)
    elif kind < 0.85:
        call = ("Grep", {"pattern": rng.choice(_FUNCS), "path": "/work/main/src", "output_mode": "content"})
        output = _grep_output(rng, rng.randint(5, 60))
    else:
        call = ("Edit", {"file_path": "/work/main/src/core/lp-%s.c" % rng.choice(_IDENTS),
                         "old_string": _read_output(rng, 6), "new_string": _read_output(rng, 8)})
        output = "The file has been updated. Here's the result of running `cat -n` on a snippet:\n" + \
            _read_output(rng, 12)
    assistant = {"role": "assistant", "content": [
        {"type": "text", "text": _paragraph(rng, rng.randint(1, 3))},
        {"type": "tool_use", "id": tool_id, "name": call[0], "input": call[1]}]}
    user = {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": tool_id, "content": output}]}
    return [assistant, user]


def _last_pair():
    tool_id = "toolu_01LASTBASHCALL0000000000"
    return [{"role": "assistant", "content": [
                {"type": "text", "text": "Let me run the unit tests."},
                {"type": "tool_use", "id": tool_id, "name": "Bash",
                 "input": {"command": "meson test -C _build --suite unit", "description": "Run unit tests"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": tool_id,
                 "content": "Ok: 42 tests passed, 0 failed, 0 skipped in 3.2 s\n\nFull log written to "
                            "/work/main/_build/meson-logs/testlog.txt",
                 "cache_control": {"type": "ephemeral"}}]}]


def claude_code_body(target_bytes, stream=True, seed=1):
    """An Anthropic Messages body of about target_bytes (within ~1 %, never
    below ~43 KB: the first turn of Claude Code is that large)."""
    rng = random.Random(seed)
    reminder = ("<system-reminder>\nAs you answer the user's questions, you can use the following "
                "context:\n# claudeMd\n" + _paragraph(rng, 10) +
                "\n\nIMPORTANT: this context may or may not be relevant to your tasks.\n</system-reminder>")
    body = {"model": MODEL,
            "messages": [
                {"role": "user", "content": [
                    {"type": "text", "text": reminder},
                    {"type": "text", "text": "The request store grows without bound in long sessions. "
                                             "Find where records are appended and cap them by bytes."}]},
                {"role": "system", "content": [{"type": "text", "text":
                    "# Environment\nWorking directory: /work/main\nIs directory a git repo: Yes\n"
                    "Platform: linux\nOS Version: Linux 6.1\nToday's date: 2026-07-14"}]}],
            "system": _system(rng),
            "tools": _tools(rng),
            "metadata": {"user_id": json.dumps({"device_id": "d" * 64, "account_uuid": "",
                                                "session_id": "5f0c8f7e-3b7a-4f43-9d51-2f1c7c0b9a11"})},
            "max_tokens": 128000,
            "thinking": {"type": "adaptive", "display": "omitted"},
            "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
            "output_config": {"effort": "medium"},
            "stream": stream}

    def size(b):
        return len(json.dumps(b).encode("utf-8"))

    tail = _last_pair()
    history = []
    index = 0
    body["messages"][2:] = tail
    current = size(body)
    # Add pairs until the next one would overshoot; estimate sizes
    # incrementally (re-serialising a 2 MiB body each step is slow).
    while current < target_bytes:
        pair = _history_pair(rng, index)
        index += 1
        pair_size = len(json.dumps(pair).encode("utf-8"))
        if current + pair_size > target_bytes:
            # Trim this pair's tool output so that the total lands on the target.
            excess = current + pair_size - target_bytes
            output = pair[1]["content"][0]["content"]
            keep = max(0, len(output) - excess - 8)
            if keep < 200:
                break
            pair[1]["content"][0]["content"] = output[:keep]
            history += pair
            break
        history += pair
        current += pair_size + 2
    body["messages"] = body["messages"][:2] + history + tail
    return body


def minimal_body(target_bytes, stream=True):
    """A small request without tools (a ~1 KiB body cannot hold a tool contract)."""
    body = {"model": MODEL, "max_tokens": 1024, "system": "You are a helpful assistant.",
            "messages": [{"role": "user", "content": ""}], "stream": stream}
    base = len(json.dumps(body).encode("utf-8"))
    rng = random.Random(2)
    text = "Summarise this note in one line.\n\n"
    while len(text) < target_bytes - base:
        text += _sentence(rng, 10) + " "
    body["messages"][0]["content"] = text[:max(0, target_bytes - base)]
    return body


def body_for_size(target_bytes, stream=True):
    if target_bytes < 40 * 1024:
        return minimal_body(target_bytes, stream)
    return claude_code_body(target_bytes, stream)


if __name__ == "__main__":
    for n in (1024, 47 * 1024, 256 * 1024, 2 * 1024 * 1024):
        b = body_for_size(n)
        print(n, len(json.dumps(b).encode()), len(b.get("tools", [])), len(b["messages"]),
              len(json.dumps(b.get("tools", [])).encode()))
