// anthropic.test.mjs: the official `@anthropic-ai/sdk` against
// lingma-ipc-proxy + lingma-sim, chat without tools: plain and streamed
// replies, system prompts, images, stop sequences, count_tokens, the
// request shape Claude Code sends, and every error status in the
// Anthropic envelope.
//
// SPDX-License-Identifier: GPL-3.0-or-later

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';

import * as h from './harness.mjs';

const MODEL = 'Qwen3-Coder';
const BODY_LIMIT = 64 * 1024;

let stack;
let client;

function clientFor(s, options = {}) {
  return new Anthropic({ baseURL: s.anthropicBaseURL, apiKey: 'any', maxRetries: 0, timeout: 60000, ...options });
}

before(async () => {
  // Small chunks: a stop sequence always straddles two of them.
  stack = await h.startStack({ frameLog: true, simArgs: ['--chunk-size', '3'], proxyArgs: ['--body-limit', String(BODY_LIMIT)] });
  client = clientFor(stack);
});

after(async () => {
  await stack?.stop();
});

function user(text) {
  return [{ role: 'user', content: text }];
}

function textOf(message) {
  return message.content.filter((b) => b.type === 'text').map((b) => b.text).join('');
}

/* An Anthropic error envelope: {"type": "error", "error": {"type": …, "message": …}}. */
function assertAnthropicEnvelope(json, status) {
  assert.ok(json && typeof json === 'object', `status ${status}: body is not JSON`);
  assert.equal(json.type, 'error', `status ${status}: ${JSON.stringify(json)}`);
  assert.equal(typeof json.error, 'object');
  assert.equal(typeof json.error.type, 'string');
  assert.equal(typeof json.error.message, 'string');
  assert.ok(json.error.message.length > 0);
}

function assertAPIError(err, status, errorType) {
  assert.ok(err instanceof Anthropic.APIError, String(err));
  assert.equal(err.status, status, String(err));
  assertAnthropicEnvelope(err.error, status);
  if (errorType) assert.equal(err.error.error.type, errorType);
  return true;
}

async function create(params, options) {
  return client.messages.create({ model: MODEL, max_tokens: 1024, ...params }, options);
}

test('non-streaming message returns the simulator reply', async () => {
  const tok = h.token();
  const m = await create({ messages: user(`Say something about ${tok}`) });
  assert.equal(m.type, 'message');
  assert.equal(m.role, 'assistant');
  assert.match(m.id, /^msg_/);
  assert.equal(m.model, MODEL);
  assert.equal(m.content[0].type, 'text');
  assert.match(textOf(m), /Hello from the Lingma simulator/);
  assert.ok(textOf(m).includes(tok), textOf(m));
  assert.equal(m.stop_reason, 'end_turn');
  assert.equal(m.stop_sequence, null);
  assert.ok(m.usage.input_tokens > 0, 'input_tokens');
  assert.ok(m.usage.output_tokens > 0, 'output_tokens');
});

test('raw stream: event order and the same text as the non-streaming reply', async () => {
  const tok = h.token();
  const messages = user(`Stream a reply about ${tok}`);
  const plain = await create({ messages });
  const events = [];
  let text = '';
  for await (const ev of await create({ messages, stream: true })) {
    events.push(ev);
    if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') text += ev.delta.text;
  }
  assert.equal(text, textOf(plain));
  const types = events.map((e) => e.type);
  assert.equal(types[0], 'message_start');
  assert.equal(types.at(-1), 'message_stop');
  assert.equal(types.at(-2), 'message_delta');
  assert.ok(types.includes('content_block_start') && types.includes('content_block_stop'));
  assert.equal(events.at(-2).delta.stop_reason, 'end_turn');
  assert.ok(events.at(-2).usage.output_tokens > 0);
  // every delta sits inside its block's start/stop
  const open = new Set();
  for (const e of events) {
    if (e.type === 'content_block_start') open.add(e.index);
    if (e.type === 'content_block_delta') assert.ok(open.has(e.index), `delta outside block ${e.index}`);
    if (e.type === 'content_block_stop') open.delete(e.index);
  }
  assert.equal(open.size, 0);
});

test('stream helper: text events and finalMessage()', async () => {
  const tok = h.token();
  const stream = client.messages.stream({ model: MODEL, max_tokens: 1024, messages: user(`helper ${tok}`) });
  let deltas = '';
  stream.on('text', (delta) => { deltas += delta; });
  const final = await stream.finalMessage();
  assert.ok(textOf(final).includes(tok));
  assert.equal(deltas, textOf(final));
  assert.equal(final.stop_reason, 'end_turn');
  assert.equal(await stream.finalText(), textOf(final));
});

test('system as a string reaches Lingma', async () => {
  const tok = h.token();
  const sys = h.token('sys');
  await create({ system: `You are terse. Code word ${sys}.`, messages: user(`hi ${tok}`) });
  const text = h.promptText(await h.waitForPromptFrame(stack, tok));
  assert.ok(text.includes(sys), `system text missing from the prompt:\n${text}`);
});

test('system as blocks (with cache_control) reaches Lingma', async () => {
  const tok = h.token();
  const a = h.token('sysA');
  const b = h.token('sysB');
  await create({
    system: [{ type: 'text', text: `First rule ${a}.` }, { type: 'text', text: `Second rule ${b}.`, cache_control: { type: 'ephemeral' } }],
    messages: [{ role: 'user', content: [{ type: 'text', text: `hello ${tok}` }] }],
  });
  const text = h.promptText(await h.waitForPromptFrame(stack, tok));
  assert.ok(text.includes(a) && text.includes(b), `system blocks missing from the prompt:\n${text}`);
});

test('base64 image block is sent to Lingma as an image', async () => {
  const tok = h.token();
  const m = await create({
    messages: [{
      role: 'user',
      content: [
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: h.PNG_1X1 } },
        { type: 'text', text: `Describe this image ${tok}` },
      ],
    }],
  });
  assert.equal(m.stop_reason, 'end_turn');
  // The simulator describes what it decoded: the PNG arrived byte for byte.
  assert.match(textOf(m), /You sent 1 image: image\/png \(70 bytes\)/);
  const frame = await h.waitForPromptFrame(stack, tok);
  const images = h.promptImages(frame);
  assert.ok(images.length >= 1, `no image item in session/prompt: ${JSON.stringify(frame.params).slice(0, 2000)}`);
  assert.ok(images.every((i) => i.mimeType === 'image/png'), JSON.stringify(images.map((i) => i.mimeType)));
});

const STOP = 'QQSTOPQQ';

async function fullReplyWithStopText(tok) {
  const messages = user(`[[sim:stop=${STOP}]] Tell me a story about ${tok}`);
  const text = textOf(await create({ messages }));
  const at = text.indexOf(STOP);
  assert.ok(at > 0, `precondition: the simulator reply should contain ${STOP}: ${text}`);
  return { messages, expected: text.slice(0, at) };
}

test('stop_sequences: stop_reason "stop_sequence" with the matched sequence', async () => {
  const { messages, expected } = await fullReplyWithStopText(h.token());
  const m = await create({ messages, stop_sequences: ['NEVER-IN-REPLY', STOP] });
  assert.equal(m.stop_reason, 'stop_sequence');
  assert.equal(m.stop_sequence, STOP);
  assert.equal(textOf(m).trimEnd(), expected.trimEnd());
});

test('stop_sequences while streaming', async () => {
  const { messages, expected } = await fullReplyWithStopText(h.token());
  const stream = client.messages.stream({ model: MODEL, max_tokens: 1024, messages, stop_sequences: [STOP] });
  let deltas = '';
  stream.on('text', (d) => { deltas += d; });
  const final = await stream.finalMessage();
  assert.equal(final.stop_reason, 'stop_sequence');
  assert.equal(final.stop_sequence, STOP);
  assert.equal(textOf(final).trimEnd(), expected.trimEnd());
  assert.ok(!deltas.includes(STOP));
});

test('count_tokens returns input_tokens > 0 that grow with the input', async () => {
  const small = await client.messages.countTokens({ model: MODEL, messages: user('hello') });
  assert.ok(Number.isInteger(small.input_tokens) && small.input_tokens > 0, JSON.stringify(small));
  const big = await client.messages.countTokens({ model: MODEL, messages: user('hello '.repeat(2000)) });
  assert.ok(big.input_tokens > small.input_tokens * 10, `${big.input_tokens} vs ${small.input_tokens}`);
  const withSystemAndTools = await client.messages.countTokens({
    model: MODEL,
    system: 'You are a careful assistant. '.repeat(50),
    tools: [{ name: 'read_file', description: 'Read a file from disk and return its text. '.repeat(10),
              input_schema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } }],
    messages: user('hello'),
  });
  assert.ok(withSystemAndTools.input_tokens > small.input_tokens + 100,
            `system and tools not counted: ${withSystemAndTools.input_tokens} vs ${small.input_tokens}`);
  // Claude Code's spelling: ?beta=true and beta headers.
  const beta = await client.beta.messages.countTokens({ model: MODEL, messages: user('hello'), betas: ['token-counting-2024-11-01'] });
  assert.ok(beta.input_tokens > 0);
});

test('what Claude Code sends is accepted: role "system" in messages, beta fields, ?beta=true', async () => {
  const tok = h.token();
  const sys = h.token('env');
  const m = await client.beta.messages.create({
    model: 'claude-opus-5-5',
    max_tokens: 128000,
    stream: false,
    betas: ['claude-code-20250219', 'interleaved-thinking-2025-05-14', 'context-management-2025-06-27', 'effort-2025-11-24'],
    system: [
      { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.332; cc_entrypoint=sdk-cli;' },
      { type: 'text', text: 'You are a Claude agent.', cache_control: { type: 'ephemeral' } },
    ],
    messages: [
      { role: 'user', content: [{ type: 'text', text: '<system-reminder>\nbe nice\n</system-reminder>\n' }, { type: 'text', text: `Please greet ${tok}` }] },
      { role: 'system', content: [{ type: 'text', text: `# Environment\n - marker ${sys}` }] },
    ],
    metadata: { user_id: JSON.stringify({ device_id: 'x', session_id: 'y' }) },
    thinking: { type: 'adaptive', display: 'omitted' },
    context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
    output_config: { effort: 'medium' },
  }, { timeout: 60000 });
  assert.ok(textOf(m).includes(tok), `the reply should answer the user's words: ${textOf(m)}`);
  assert.equal(m.stop_reason, 'end_turn');
  const text = h.promptText(await h.waitForPromptFrame(stack, tok));
  assert.ok(text.includes(sys), 'a role "system" message must reach Lingma as instructions or context');
});

test('400: invalid JSON, in the Anthropic envelope', async () => {
  const r = await h.raw(stack, 'POST', '/v1/messages', '{"model": "Auto", "messages": [');
  assert.equal(r.status, 400);
  assertAnthropicEnvelope(r.json, 400);
  assert.equal(r.json.error.type, 'invalid_request_error');
  const ct = await h.raw(stack, 'POST', '/v1/messages/count_tokens', 'not json at all');
  assert.equal(ct.status, 400);
  assertAnthropicEnvelope(ct.json, 400);
});

test('400: missing messages raises BadRequestError', async () => {
  await assert.rejects(client.messages.create({ model: MODEL, max_tokens: 10 }), (err) => {
    assert.ok(err instanceof Anthropic.BadRequestError, String(err));
    return assertAPIError(err, 400, 'invalid_request_error');
  });
});

test('405: wrong method, in the Anthropic envelope', async () => {
  for (const p of ['/v1/messages', '/v1/messages/count_tokens']) {
    const r = await h.raw(stack, 'GET', p);
    assert.equal(r.status, 405, p);
    assertAnthropicEnvelope(r.json, 405);
  }
});

test('404: unknown path under /v1/messages', async () => {
  const r = await h.raw(stack, 'POST', '/v1/messages/no-such-thing', '{}');
  assert.equal(r.status, 404);
  assert.ok(r.json && (r.json.error || r.json.type === 'error'), r.text);
  await assert.rejects(client.post('/v1/messages/no-such-thing', { body: {} }), (err) => err instanceof Anthropic.NotFoundError);
});

test('413: body over the limit raises APIError 413', async () => {
  const big = 'x'.repeat(BODY_LIMIT + 16 * 1024);
  await assert.rejects(create({ messages: user(big) }), (err) => assertAPIError(err, 413));
  const m = await create({ messages: user('after 413') });
  assert.equal(m.stop_reason, 'end_turn');
});

test('502: Lingma answers with an error', async () => {
  await assert.rejects(create({ messages: user('[[sim:error]] fail please') }), (err) => {
    assert.ok(err instanceof Anthropic.InternalServerError, String(err));
    return assertAPIError(err, 502);
  });
});

test('502 while streaming: finalMessage() rejects', async () => {
  const stream = client.messages.stream({ model: MODEL, max_tokens: 1024, messages: user('[[sim:error]] fail streaming') });
  await assert.rejects(stream.finalMessage(), (err) => err instanceof Anthropic.APIError);
});

test('a stream cut by Lingma makes finalMessage() reject instead of returning partial text', async () => {
  const stream = client.messages.stream({
    model: MODEL, max_tokens: 1024, messages: user(`[[sim:drop]] a long answer ${h.token()} ${'words '.repeat(50)}`),
  });
  await assert.rejects(stream.finalMessage(), (err) => {
    assert.ok(!(err instanceof Anthropic.APIUserAbortError), String(err));
    return true;
  });
  await assert.rejects(create({ messages: user(`[[sim:drop]] again ${h.token()}`) }), (err) => {
    assert.ok(err instanceof Anthropic.APIError, String(err));
    assert.ok(err.status >= 500, `status ${err.status}`);
    return true;
  });
});

test('the proxy reconnects to Lingma after a dropped connection', async () => {
  const tok = h.token();
  const m = await create({ messages: user(`back again ${tok}`) });
  assert.ok(textOf(m).includes(tok));
});

test('503: Lingma unreachable', async (t) => {
  const dead = await h.startStack({ noSim: true });
  t.after(() => dead.stop());
  const c = clientFor(dead);
  await assert.rejects(c.messages.create({ model: MODEL, max_tokens: 100, messages: user('anyone?') }), (err) => assertAPIError(err, 503));
  await assert.rejects(c.messages.stream({ model: MODEL, max_tokens: 100, messages: user('anyone?') }).finalMessage(),
                       (err) => err instanceof Anthropic.APIError);
  dead.assertAlive();
});

test('504: Lingma silent past the timeout', async (t) => {
  const slow = await h.startStack({ proxyArgs: ['--timeout', '2'] });
  t.after(() => slow.stop());
  const c = clientFor(slow);
  const t0 = Date.now();
  await assert.rejects(c.messages.create({ model: MODEL, max_tokens: 100, messages: user('[[sim:silent=8000]] wait') }),
                       (err) => assertAPIError(err, 504));
  const elapsed = Date.now() - t0;
  assert.ok(elapsed >= 1500 && elapsed < 7000, `504 after ${elapsed} ms`);
  await assert.rejects(c.messages.stream({ model: MODEL, max_tokens: 100, messages: user('[[sim:silent=8000]] streamed') }).finalMessage(),
                       (err) => err instanceof Anthropic.APIError);
  slow.assertAlive();
});

test('the proxy and the simulator survived every test above', () => {
  stack.assertAlive();
});
