// tools-openai.test.mjs: emulated tool calling through the official
// `openai` SDK: auto, forced, required, none, parallel off, a tool-result
// conversation over three turns, streamed tool calls assembled from deltas,
// by the stream helper and by runTools().
//
// SPDX-License-Identifier: GPL-3.0-or-later

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

import * as h from './harness.mjs';

const MODEL = 'Qwen3-Coder';

let stack;
let client;

before(async () => {
  stack = await h.startStack({ frameLog: true });
  client = new OpenAI({ baseURL: stack.openaiBaseURL, apiKey: 'any', maxRetries: 0, timeout: 60000 });
});

after(async () => {
  await stack?.stop();
});

const TOOLS = [
  {
    type: 'function',
    function: {
      name: 'read_file',
      description: 'Read a text file from disk and return its contents.',
      parameters: {
        type: 'object',
        properties: { path: { type: 'string', description: 'Absolute path of the file to read' } },
        required: ['path'],
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'write_file',
      description: 'Create or overwrite a text file with the given content.',
      parameters: {
        type: 'object',
        properties: {
          path: { type: 'string', description: 'Absolute path of the file to write' },
          content: { type: 'string', description: 'The text to write' },
        },
        required: ['path', 'content'],
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'run_command',
      description: 'Run a shell command and return its output.',
      parameters: {
        type: 'object',
        properties: { command: { type: 'string', description: 'The command line to run' } },
        required: ['command'],
      },
    },
  },
];

function user(text) {
  return { role: 'user', content: text };
}

function onlyCall(completion) {
  const msg = completion.choices[0].message;
  assert.equal(completion.choices[0].finish_reason, 'tool_calls', `no tool call: ${JSON.stringify(msg)}`);
  assert.equal(msg.tool_calls?.length, 1, JSON.stringify(msg.tool_calls));
  const call = msg.tool_calls[0];
  assert.equal(call.type, 'function');
  assert.equal(typeof call.id, 'string');
  assert.ok(call.id.length > 0);
  return { call, args: JSON.parse(call.function.arguments) };
}

/* Accumulate streamed tool-call deltas by index, as a client must. */
async function collectToolStream(stream) {
  const calls = [];
  let content = '';
  const finishes = [];
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    if (!choice) continue;
    content += choice.delta?.content ?? '';
    for (const d of choice.delta?.tool_calls ?? []) {
      const c = (calls[d.index] ??= { id: '', type: '', function: { name: '', arguments: '' } });
      if (d.id) c.id = d.id;
      if (d.type) c.type = d.type;
      if (d.function?.name) c.function.name += d.function.name;
      if (d.function?.arguments) c.function.arguments += d.function.arguments;
    }
    if (choice.finish_reason) finishes.push(choice.finish_reason);
  }
  return { calls, content, finishes };
}

test('auto: a request to read a file becomes a read_file call with the path', async () => {
  const file = `/tmp/lp-data/${h.token('report')}.txt`;
  const r = await client.chat.completions.create({ model: MODEL, tools: TOOLS, messages: [user(`Please read the file ${file}`)] });
  const { call, args } = onlyCall(r);
  assert.equal(call.function.name, 'read_file');
  assert.equal(args.path, file);
  assert.ok(r.choices[0].message.content === null || typeof r.choices[0].message.content === 'string');
});

test('auto: quoted content and a path become write_file arguments', async () => {
  const file = `/tmp/lp-data/${h.token('out')}.txt`;
  const content = `hello ${h.token('body')}`;
  const r = await client.chat.completions.create({
    model: MODEL, tools: TOOLS, messages: [user(`Write "${content}" to the file ${file}`)],
  });
  const { call, args } = onlyCall(r);
  assert.equal(call.function.name, 'write_file');
  assert.deepEqual(args, { path: file, content });
});

test('forced tool: tool_choice names run_command for a request that would read a file', async () => {
  const r = await client.chat.completions.create({
    model: MODEL,
    tools: TOOLS,
    tool_choice: { type: 'function', function: { name: 'run_command' } },
    messages: [user(`Please read the file /tmp/lp-data/${h.token()}.txt`)],
  });
  const { call, args } = onlyCall(r);
  assert.equal(call.function.name, 'run_command');
  assert.equal(typeof args, 'object');
});

test('tool_choice "required": a tool is called even for small talk', async () => {
  const r = await client.chat.completions.create({
    model: MODEL, tools: TOOLS, tool_choice: 'required', messages: [user(`Good morning ${h.token()}, how are you?`)],
  });
  assert.equal(r.choices[0].finish_reason, 'tool_calls');
  assert.ok(r.choices[0].message.tool_calls.length >= 1);
  for (const c of r.choices[0].message.tool_calls) {
    assert.ok(TOOLS.some((t) => t.function.name === c.function.name), c.function.name);
    JSON.parse(c.function.arguments);
  }
});

test('tool_choice "none": plain text, and no tool contract sent to Lingma', async () => {
  const tok = h.token();
  const r = await client.chat.completions.create({
    model: MODEL, tools: TOOLS, tool_choice: 'none', messages: [user(`Please read the file /tmp/lp-data/${tok}.txt`)],
  });
  const choice = r.choices[0];
  assert.equal(choice.finish_reason, 'stop');
  assert.ok(!choice.message.tool_calls || choice.message.tool_calls.length === 0);
  assert.ok(choice.message.content.includes(tok), choice.message.content);
  const text = h.promptText(await h.waitForPromptFrame(stack, tok));
  assert.ok(!text.includes('write_file') && !text.includes('run_command'), `tool contract sent despite tool_choice none:\n${text}`);
});

test('parallel tool calls: two by default, one with parallel_tool_calls false', async () => {
  const prompt = (tok) => `[[sim:two-calls]] Please read the file /tmp/lp-data/a-${tok}.txt and the file /tmp/lp-data/b-${tok}.txt`;
  const both = await client.chat.completions.create({ model: MODEL, tools: TOOLS, messages: [user(prompt(h.token()))] });
  assert.equal(both.choices[0].finish_reason, 'tool_calls');
  assert.equal(both.choices[0].message.tool_calls.length, 2, 'precondition: [[sim:two-calls]] yields two calls');
  const ids = both.choices[0].message.tool_calls.map((c) => c.id);
  assert.notEqual(ids[0], ids[1], 'call ids must be unique');

  const one = await client.chat.completions.create({
    model: MODEL, tools: TOOLS, parallel_tool_calls: false, messages: [user(prompt(h.token()))],
  });
  onlyCall(one);
});

test('tool results continue the conversation over three turns', async () => {
  const file = `/tmp/lp-data/${h.token('in')}.txt`;
  const fileText = `CONTENT-${h.token()}`;
  const cmdTok = h.token('cmd');
  const cmdOut = `OUTPUT-${h.token()}`;
  const messages = [{ role: 'system', content: 'You are a helpful assistant with tools.' }, user(`Please read the file ${file}`)];

  // turn 1: the model asks for the file
  const t1 = await client.chat.completions.create({ model: MODEL, tools: TOOLS, messages });
  const { call: c1, args: a1 } = onlyCall(t1);
  assert.equal(c1.function.name, 'read_file');
  assert.equal(a1.path, file);
  messages.push(t1.choices[0].message, { role: 'tool', tool_call_id: c1.id, content: fileText });

  // turn 2: the model reads the result and answers in text
  const t2 = await client.chat.completions.create({ model: MODEL, tools: TOOLS, messages });
  assert.equal(t2.choices[0].finish_reason, 'stop');
  assert.ok(t2.choices[0].message.content.includes(`The tool returned: ${fileText}`), t2.choices[0].message.content);
  messages.push(t2.choices[0].message, user(`Now run the command \`echo ${cmdTok}\``));

  // turn 3: a second tool, then its result
  const t3 = await client.chat.completions.create({ model: MODEL, tools: TOOLS, messages });
  const { call: c3, args: a3 } = onlyCall(t3);
  assert.equal(c3.function.name, 'run_command');
  assert.equal(a3.command, `echo ${cmdTok}`);
  assert.notEqual(c3.id, c1.id);
  messages.push(t3.choices[0].message, { role: 'tool', tool_call_id: c3.id, content: cmdOut });

  const t4 = await client.chat.completions.create({ model: MODEL, tools: TOOLS, messages });
  assert.equal(t4.choices[0].finish_reason, 'stop');
  assert.ok(t4.choices[0].message.content.includes(`The tool returned: ${cmdOut}`), t4.choices[0].message.content);

  // the history, with the first tool result, reached Lingma
  const text = h.promptText(await h.waitForPromptFrame(stack, cmdOut));
  assert.ok(text.includes(fileText), 'earlier tool result missing from the last prompt');
});

test('streamed tool calls assembled from deltas equal the non-streamed arguments', async () => {
  const file = `/tmp/lp-data/${h.token('s')}.txt`;
  const content = `streamed ${h.token()}`;
  const messages = [user(`Write "${content}" to the file ${file}`)];
  const plain = onlyCall(await client.chat.completions.create({ model: MODEL, tools: TOOLS, messages }));
  const { calls, finishes } = await collectToolStream(await client.chat.completions.create({ model: MODEL, tools: TOOLS, messages, stream: true }));
  assert.deepEqual(finishes, ['tool_calls']);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].type, 'function');
  assert.ok(calls[0].id.length > 0);
  assert.equal(calls[0].function.name, 'write_file');
  assert.deepEqual(JSON.parse(calls[0].function.arguments), plain.args);
  assert.deepEqual(JSON.parse(calls[0].function.arguments), { path: file, content });
});

test('stream helper: finalChatCompletion() carries the assembled tool call', async () => {
  const file = `/tmp/lp-data/${h.token('helper')}.txt`;
  const stream = client.chat.completions.stream({ model: MODEL, tools: TOOLS, messages: [user(`Please read the file ${file}`)] });
  const done = [];
  stream.on('tool_calls.function.arguments.done', (e) => done.push(e));
  const final = await stream.finalChatCompletion();
  const { call, args } = onlyCall(final);
  assert.equal(call.function.name, 'read_file');
  assert.equal(args.path, file);
  assert.equal(done.length, 1);
  assert.deepEqual(JSON.parse(done[0].arguments), args);
});

for (const stream of [false, true]) {
  test(`runTools (${stream ? 'streaming' : 'non-streaming'}) calls the function and finishes with its result`, async () => {
    const file = `/tmp/lp-data/${h.token('run')}.txt`;
    const fileText = `RUNTOOLS-${h.token()}`;
    const seen = [];
    const runner = client.chat.completions.runTools({
      model: MODEL,
      stream,
      messages: [user(`Please read the file ${file}`)],
      tools: [{
        type: 'function',
        function: {
          name: 'read_file',
          description: TOOLS[0].function.description,
          parameters: TOOLS[0].function.parameters,
          parse: JSON.parse,
          function: async (args) => { seen.push(args); return fileText; },
        },
      }],
    }, { maxChatCompletions: 4 });
    const final = await runner.finalContent();
    assert.deepEqual(seen, [{ path: file }]);
    assert.ok(final.includes(`The tool returned: ${fileText}`), final);
  });
}

test('the proxy and the simulator survived every test above', () => {
  stack.assertAlive();
});
