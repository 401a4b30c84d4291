// tools-anthropic.test.mjs: emulated tool calling through the official
// `@anthropic-ai/sdk`: auto, forced (tool / any), none, parallel off, a
// tool_result conversation over three turns, and streamed tool_use blocks
// assembled by the SDK's finalMessage().
//
// SPDX-License-Identifier: GPL-3.0-or-later

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';

import * as h from './harness.mjs';

const MODEL = 'Qwen3-Coder';

let stack;
let client;

before(async () => {
  stack = await h.startStack({ frameLog: true });
  client = new Anthropic({ baseURL: stack.anthropicBaseURL, apiKey: 'any', maxRetries: 0, timeout: 60000 });
});

after(async () => {
  await stack?.stop();
});

const TOOLS = [
  {
    name: 'read_file',
    description: 'Read a text file from disk and return its contents.',
    input_schema: {
      type: 'object',
      properties: { path: { type: 'string', description: 'Absolute path of the file to read' } },
      required: ['path'],
    },
  },
  {
    name: 'write_file',
    description: 'Create or overwrite a text file with the given content.',
    input_schema: {
      type: 'object',
      properties: {
        path: { type: 'string', description: 'Absolute path of the file to write' },
        content: { type: 'string', description: 'The text to write' },
      },
      required: ['path', 'content'],
    },
  },
  {
    name: 'run_command',
    description: 'Run a shell command and return its output.',
    input_schema: {
      type: 'object',
      properties: { command: { type: 'string', description: 'The command line to run' } },
      required: ['command'],
    },
  },
];

function user(content) {
  return { role: 'user', content };
}

function create(params) {
  return client.messages.create({ model: MODEL, max_tokens: 4096, tools: TOOLS, ...params });
}

function toolUses(message) {
  return message.content.filter((b) => b.type === 'tool_use');
}

function textOf(message) {
  return message.content.filter((b) => b.type === 'text').map((b) => b.text).join('');
}

function onlyToolUse(message) {
  assert.equal(message.stop_reason, 'tool_use', `no tool call: ${JSON.stringify(message.content)}`);
  const uses = toolUses(message);
  assert.equal(uses.length, 1, JSON.stringify(message.content));
  assert.match(uses[0].id, /^toolu_/);
  assert.equal(typeof uses[0].input, 'object');
  return uses[0];
}

test('auto: a request to read a file becomes a read_file tool_use with the path', async () => {
  const file = `/tmp/lp-data/${h.token('report')}.txt`;
  const m = await create({ messages: [user(`Please read the file ${file}`)] });
  const use = onlyToolUse(m);
  assert.equal(use.name, 'read_file');
  assert.deepEqual(use.input, { path: file });
  assert.ok(m.usage.input_tokens > 0);
});

test('auto: quoted content and a path become write_file input', async () => {
  const file = `/tmp/lp-data/${h.token('out')}.txt`;
  const content = `hello ${h.token('body')}`;
  const use = onlyToolUse(await create({ messages: [user(`Write "${content}" to the file ${file}`)] }));
  assert.equal(use.name, 'write_file');
  assert.deepEqual(use.input, { path: file, content });
});

test('forced tool: tool_choice {type: "tool"} wins over the best match', async () => {
  const use = onlyToolUse(await create({
    tool_choice: { type: 'tool', name: 'run_command' },
    messages: [user(`Please read the file /tmp/lp-data/${h.token()}.txt`)],
  }));
  assert.equal(use.name, 'run_command');
});

test('tool_choice {type: "any"}: a tool is called even for small talk', async () => {
  const m = await create({ tool_choice: { type: 'any' }, messages: [user(`Good morning ${h.token()}, how are you?`)] });
  assert.equal(m.stop_reason, 'tool_use');
  assert.ok(toolUses(m).length >= 1);
  for (const u of toolUses(m)) assert.ok(TOOLS.some((t) => t.name === u.name), u.name);
});

test('tool_choice {type: "none"}: text only, and no tool contract sent to Lingma', async () => {
  const tok = h.token();
  const m = await create({ tool_choice: { type: 'none' }, messages: [user(`Please read the file /tmp/lp-data/${tok}.txt`)] });
  assert.equal(m.stop_reason, 'end_turn');
  assert.equal(toolUses(m).length, 0);
  assert.ok(textOf(m).includes(tok), textOf(m));
  const text = h.promptText(await h.waitForPromptFrame(stack, tok));
  assert.ok(!text.includes('write_file') && !text.includes('run_command'), `tool contract sent despite tool_choice none:\n${text}`);
});

test('parallel tool use: two by default, one with disable_parallel_tool_use', async () => {
  const prompt = (tok) => `[[sim:two-calls]] Please read the file /tmp/lp-data/a-${tok}.txt and the file /tmp/lp-data/b-${tok}.txt`;
  const both = await create({ messages: [user(prompt(h.token()))] });
  assert.equal(both.stop_reason, 'tool_use');
  assert.equal(toolUses(both).length, 2, 'precondition: [[sim:two-calls]] yields two calls');
  assert.notEqual(toolUses(both)[0].id, toolUses(both)[1].id);

  const one = await create({ tool_choice: { type: 'auto', disable_parallel_tool_use: true }, messages: [user(prompt(h.token()))] });
  onlyToolUse(one);
});

test('tool_result continues the conversation over three turns', async () => {
  const file = `/tmp/lp-data/${h.token('in')}.txt`;
  const fileText = `CONTENT-${h.token()}`;
  const cmdTok = h.token('cmd');
  const cmdOut = `OUTPUT-${h.token()}`;
  const system = 'You are a helpful assistant with tools.';
  const messages = [user(`Please read the file ${file}`)];

  const t1 = await create({ system, messages });
  const u1 = onlyToolUse(t1);
  assert.equal(u1.name, 'read_file');
  assert.equal(u1.input.path, file);
  messages.push({ role: 'assistant', content: t1.content },
                user([{ type: 'tool_result', tool_use_id: u1.id, content: fileText }]));

  const t2 = await create({ system, messages });
  assert.equal(t2.stop_reason, 'end_turn');
  assert.ok(textOf(t2).includes(`The tool returned: ${fileText}`), textOf(t2));
  messages.push({ role: 'assistant', content: t2.content }, user(`Now run the command \`echo ${cmdTok}\``));

  const t3 = await create({ system, messages });
  const u3 = onlyToolUse(t3);
  assert.equal(u3.name, 'run_command');
  assert.equal(u3.input.command, `echo ${cmdTok}`);
  assert.notEqual(u3.id, u1.id);
  // tool_result content as blocks this time, the way Claude Code sends some results
  messages.push({ role: 'assistant', content: t3.content },
                user([{ type: 'tool_result', tool_use_id: u3.id, content: [{ type: 'text', text: cmdOut }] }]));

  const t4 = await create({ system, messages });
  assert.equal(t4.stop_reason, 'end_turn');
  assert.ok(textOf(t4).includes(`The tool returned: ${cmdOut}`), textOf(t4));

  const text = h.promptText(await h.waitForPromptFrame(stack, cmdOut));
  assert.ok(text.includes(fileText), 'earlier tool result missing from the last prompt');
});

test('a tool_result with is_error is still passed on', async () => {
  const file = `/tmp/lp-data/${h.token('missing')}.txt`;
  const errText = `ENOENT-${h.token()}`;
  const t1 = await create({ messages: [user(`Please read the file ${file}`)] });
  const u1 = onlyToolUse(t1);
  const t2 = await create({
    messages: [
      user(`Please read the file ${file}`),
      { role: 'assistant', content: t1.content },
      user([{ type: 'tool_result', tool_use_id: u1.id, content: errText, is_error: true }]),
    ],
  });
  assert.equal(t2.stop_reason, 'end_turn');
  assert.ok(textOf(t2).includes(errText), textOf(t2));
});

test('raw stream: tool_use block starts with input {} and input_json_delta carries the arguments', async () => {
  const file = `/tmp/lp-data/${h.token('raw')}.txt`;
  const content = `streamed ${h.token()}`;
  const events = [];
  for await (const ev of await create({ stream: true, messages: [user(`Write "${content}" to the file ${file}`)] })) events.push(ev);
  const start = events.find((e) => e.type === 'content_block_start' && e.content_block.type === 'tool_use');
  assert.ok(start, JSON.stringify(events.map((e) => e.type)));
  assert.deepEqual(start.content_block.input, {});
  assert.equal(start.content_block.name, 'write_file');
  const json = events
    .filter((e) => e.type === 'content_block_delta' && e.index === start.index && e.delta.type === 'input_json_delta')
    .map((e) => e.delta.partial_json).join('');
  assert.deepEqual(JSON.parse(json), { path: file, content });
  const delta = events.find((e) => e.type === 'message_delta');
  assert.equal(delta.delta.stop_reason, 'tool_use');
  assert.equal(events.at(-1).type, 'message_stop');
});

test('stream helper: finalMessage() assembles tool_use input equal to the non-streamed input', async () => {
  const file = `/tmp/lp-data/${h.token('final')}.txt`;
  const content = `final ${h.token()}`;
  const messages = [user(`Write "${content}" to the file ${file}`)];
  const plain = onlyToolUse(await create({ messages }));
  const stream = client.messages.stream({ model: MODEL, max_tokens: 4096, tools: TOOLS, messages });
  const jsonSnapshots = [];
  stream.on('inputJson', (_partial, snapshot) => jsonSnapshots.push(snapshot));
  const final = await stream.finalMessage();
  const use = onlyToolUse(final);
  assert.equal(use.name, 'write_file');
  assert.deepEqual(use.input, plain.input);
  assert.deepEqual(use.input, { path: file, content });
  assert.ok(jsonSnapshots.length >= 1, 'no inputJson events');
  assert.deepEqual(jsonSnapshots.at(-1), use.input);
});

test('streamed continuation after a tool_result', async () => {
  const file = `/tmp/lp-data/${h.token('cont')}.txt`;
  const fileText = `STREAMED-RESULT-${h.token()}`;
  const first = await client.messages.stream({ model: MODEL, max_tokens: 4096, tools: TOOLS, messages: [user(`Please read the file ${file}`)] }).finalMessage();
  const use = onlyToolUse(first);
  const second = await client.messages.stream({
    model: MODEL,
    max_tokens: 4096,
    tools: TOOLS,
    messages: [
      user(`Please read the file ${file}`),
      { role: 'assistant', content: first.content },
      user([{ type: 'tool_result', tool_use_id: use.id, content: fileText }]),
    ],
  }).finalMessage();
  assert.equal(second.stop_reason, 'end_turn');
  assert.ok(textOf(second).includes(`The tool returned: ${fileText}`), textOf(second));
});

test('the proxy and the simulator survived every test above', () => {
  stack.assertAlive();
});
