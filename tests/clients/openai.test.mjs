// openai.test.mjs: the official `openai` SDK against lingma-ipc-proxy +
// lingma-sim, chat without tools: plain and streamed replies, system
// prompts, images, stop sequences, and every error status in the OpenAI
// envelope.
//
// SPDX-License-Identifier: GPL-3.0-or-later

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

import * as h from './harness.mjs';

const MODEL = 'Qwen3-Coder';
const BODY_LIMIT = 64 * 1024;

let stack;
let client;

function clientFor(s, options = {}) {
  return new OpenAI({ baseURL: s.openaiBaseURL, apiKey: 'any', maxRetries: 0, timeout: 60000, ...options });
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

async function collect(stream) {
  let text = '';
  const chunks = [];
  for await (const chunk of stream) {
    chunks.push(chunk);
    text += chunk.choices[0]?.delta?.content ?? '';
  }
  return { text, chunks };
}

/* An OpenAI error envelope: {"error": {"message": …, "type": …}}. */
function assertOpenAIEnvelope(json, status) {
  assert.ok(json && typeof json === 'object', `status ${status}: body is not JSON`);
  assert.equal(typeof json.error, 'object', `status ${status}: no "error" object in ${JSON.stringify(json)}`);
  assert.equal(typeof json.error.message, 'string');
  assert.ok(json.error.message.length > 0);
  assert.equal(typeof json.error.type, 'string');
  assert.equal(json.type, undefined, 'an OpenAI route answered with the Anthropic envelope');
}

test('GET /v1/models lists the simulator models by display name', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  for (const name of ['Auto', 'Kimi-K2.6', 'MiniMax-M2.7', 'Qwen3-Coder', 'Qwen3-Max']) {
    assert.ok(ids.includes(name), `${name} missing from ${JSON.stringify(ids)}`);
  }
});

test('non-streaming chat returns the simulator reply', async () => {
  const tok = h.token();
  const r = await client.chat.completions.create({ model: MODEL, messages: user(`Say something about ${tok}`) });
  assert.equal(r.object, 'chat.completion');
  assert.equal(typeof r.id, 'string');
  assert.equal(r.choices.length, 1);
  const choice = r.choices[0];
  assert.equal(choice.message.role, 'assistant');
  assert.match(choice.message.content, /Hello from the Lingma simulator/);
  assert.ok(choice.message.content.includes(tok), choice.message.content);
  assert.equal(choice.finish_reason, 'stop');
  assert.equal(choice.message.tool_calls ?? undefined, undefined);
  assert.ok(r.usage.prompt_tokens > 0, 'prompt_tokens');
  assert.ok(r.usage.completion_tokens > 0, 'completion_tokens');
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
});

test('the display name reaches Lingma as the internal model id', async () => {
  for (const [display, internal] of [['Qwen3-Coder', 'dashscope_qwen3_coder'], ['Kimi-K2.6', 'kmodel']]) {
    const tok = h.token();
    await client.chat.completions.create({ model: display, messages: user(`model check ${tok}`) });
    const prompt = await h.waitForPromptFrame(stack, tok);
    const sid = h.sessionIdOf(prompt);
    const setModel = h.framesWithMethod(stack.readFrameLog(), 'session/set_model')
      .filter((f) => h.sessionIdOf(f) === sid);
    const metaModel = prompt.params?._meta?.['ai-coding/model'];
    assert.ok(setModel.some((f) => f.params.modelId === internal) || metaModel === internal,
              `${display}: expected ${internal} in session/set_model or _meta; got ${JSON.stringify(setModel)} / ${metaModel}`);
  }
});

test('streaming chat yields the same text as the non-streaming reply', async () => {
  const tok = h.token();
  const messages = user(`Stream a reply about ${tok} please`);
  const plain = await client.chat.completions.create({ model: MODEL, messages });
  const { text, chunks } = await collect(await client.chat.completions.create({ model: MODEL, messages, stream: true }));
  assert.equal(text, plain.choices[0].message.content);
  assert.ok(chunks.length >= 2, `only ${chunks.length} chunks`);
  assert.equal(chunks[0].object, 'chat.completion.chunk');
  assert.equal(new Set(chunks.map((c) => c.id)).size, 1, 'all chunks share one id');
  const finishes = chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean);
  assert.deepEqual(finishes, ['stop']);
});

test('stream helper: finalChatCompletion() assembles the reply', async () => {
  const tok = h.token();
  const stream = client.chat.completions.stream({ model: MODEL, messages: user(`helper ${tok}`) });
  let deltas = '';
  stream.on('content', (delta) => { deltas += delta; });
  const final = await stream.finalChatCompletion();
  const content = final.choices[0].message.content;
  assert.ok(content.includes(tok), content);
  assert.equal(deltas, content);
  assert.equal(final.choices[0].finish_reason, 'stop');
});

test('system prompt as a string reaches Lingma', async () => {
  const tok = h.token();
  const sys = h.token('sys');
  await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'system', content: `You are terse. Code word ${sys}.` }, { role: 'user', content: `hi ${tok}` }],
  });
  const text = h.promptText(await h.waitForPromptFrame(stack, tok));
  assert.ok(text.includes(sys), `system text missing from the prompt:\n${text}`);
});

test('system prompt as content parts reaches Lingma', async () => {
  const tok = h.token();
  const a = h.token('sysA');
  const b = h.token('sysB');
  await client.chat.completions.create({
    model: MODEL,
    messages: [
      { role: 'system', content: [{ type: 'text', text: `First rule ${a}.` }, { type: 'text', text: `Second rule ${b}.` }] },
      { role: 'user', content: [{ type: 'text', text: `hello ${tok}` }] },
    ],
  });
  const text = h.promptText(await h.waitForPromptFrame(stack, tok));
  assert.ok(text.includes(a) && text.includes(b), `system parts missing from the prompt:\n${text}`);
});

test('image_url data URL is sent to Lingma as an image', async () => {
  const tok = h.token();
  const r = await client.chat.completions.create({
    model: MODEL,
    messages: [{
      role: 'user',
      content: [
        { type: 'text', text: `What is in this picture ${tok}?` },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${h.PNG_1X1}` } },
      ],
    }],
  });
  assert.equal(r.choices[0].finish_reason, 'stop');
  // The simulator describes what it decoded: the PNG arrived byte for byte.
  assert.match(r.choices[0].message.content, /You sent 1 image: image\/png \(70 bytes\)/);
  const frame = await h.waitForPromptFrame(stack, tok);
  const images = h.promptImages(frame);
  assert.ok(images.length >= 1, `no image item in session/prompt: ${JSON.stringify(frame.params).slice(0, 2000)}`);
  assert.ok(images.every((i) => i.mimeType === 'image/png'), JSON.stringify(images.map((i) => i.mimeType)));
});

const STOP = 'QQSTOPQQ';

async function fullReplyWithStopText(tok) {
  const messages = user(`[[sim:stop=${STOP}]] Tell me a story about ${tok}`);
  const full = await client.chat.completions.create({ model: MODEL, messages });
  const text = full.choices[0].message.content;
  const at = text.indexOf(STOP);
  assert.ok(at > 0, `precondition: the simulator reply should contain ${STOP}: ${text}`);
  return { messages, expected: text.slice(0, at) };
}

test('stop sequence cuts the reply (non-streaming)', async () => {
  const { messages, expected } = await fullReplyWithStopText(h.token());
  const r = await client.chat.completions.create({ model: MODEL, messages, stop: [STOP, 'NEVER-IN-REPLY'] });
  assert.equal(r.choices[0].message.content.trimEnd(), expected.trimEnd());
  assert.ok(!r.choices[0].message.content.includes(STOP));
  assert.equal(r.choices[0].finish_reason, 'stop');
});

test('stop sequence cuts the reply (streaming), also when split across chunks', async () => {
  const { messages, expected } = await fullReplyWithStopText(h.token());
  const { text, chunks } = await collect(await client.chat.completions.create({ model: MODEL, messages, stop: STOP, stream: true }));
  assert.equal(text.trimEnd(), expected.trimEnd());
  assert.ok(!chunks.some((c) => (c.choices[0]?.delta?.content ?? '').includes(STOP)));
  assert.deepEqual(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean), ['stop']);
});

test('a large reply arrives intact, streamed and not', async () => {
  const size = 300000;
  const messages = user(`[[sim:large=${size}]] big ${h.token()}`);
  const plain = await client.chat.completions.create({ model: MODEL, messages });
  assert.equal(Buffer.byteLength(plain.choices[0].message.content), size);
  const { text } = await collect(await client.chat.completions.create({ model: MODEL, messages, stream: true }));
  assert.equal(text, plain.choices[0].message.content);
});

test('400: invalid JSON, in the OpenAI envelope', async () => {
  const r = await h.raw(stack, 'POST', '/v1/chat/completions', '{"model": "Auto", "messages": [');
  assert.equal(r.status, 400);
  assertOpenAIEnvelope(r.json, 400);
  assert.equal(r.json.error.type, 'invalid_request_error');
});

test('400: missing messages raises BadRequestError', async () => {
  await assert.rejects(client.chat.completions.create({ model: MODEL }), (err) => {
    assert.ok(err instanceof OpenAI.BadRequestError, String(err));
    assert.equal(err.status, 400);
    assert.equal(typeof err.error?.message, 'string');
    assert.equal(err.type, 'invalid_request_error');
    return true;
  });
});

test('404: unknown path, in the OpenAI envelope', async () => {
  const r = await h.raw(stack, 'GET', '/v1/no-such-endpoint');
  assert.equal(r.status, 404);
  assertOpenAIEnvelope(r.json, 404);
  await assert.rejects(client.get('/no-such-endpoint'), (err) => err instanceof OpenAI.NotFoundError);
});

test('405: wrong method, in the OpenAI envelope', async () => {
  const r = await h.raw(stack, 'GET', '/v1/chat/completions');
  assert.equal(r.status, 405);
  assertOpenAIEnvelope(r.json, 405);
  const d = await h.raw(stack, 'DELETE', '/v1/models');
  assert.equal(d.status, 405);
  assertOpenAIEnvelope(d.json, 405);
});

test('413: body over the limit raises APIError 413', async () => {
  const big = 'x'.repeat(BODY_LIMIT + 16 * 1024);
  await assert.rejects(client.chat.completions.create({ model: MODEL, messages: user(big) }), (err) => {
    assert.ok(err instanceof OpenAI.APIError, String(err));
    assert.equal(err.status, 413, String(err));
    assert.equal(typeof err.error?.message, 'string');
    return true;
  });
  // The connection survives for the next request.
  const r = await client.chat.completions.create({ model: MODEL, messages: user('after 413') });
  assert.equal(r.choices[0].finish_reason, 'stop');
});

test('502: Lingma answers with an error', async () => {
  await assert.rejects(client.chat.completions.create({ model: MODEL, messages: user('[[sim:error]] fail please') }), (err) => {
    assert.ok(err instanceof OpenAI.InternalServerError, String(err));
    assert.equal(err.status, 502);
    assert.equal(typeof err.error?.message, 'string');
    return true;
  });
});

test('502 while streaming: the SDK raises', async () => {
  await assert.rejects(async () => {
    await collect(await client.chat.completions.create({ model: MODEL, messages: user('[[sim:error]] fail streaming'), stream: true }));
  }, (err) => {
    assert.ok(err instanceof OpenAI.APIError, String(err));
    return true;
  });
});

test('a stream cut by Lingma makes the SDK raise instead of returning partial text', async () => {
  let partial = '';
  await assert.rejects(async () => {
    const stream = await client.chat.completions.create({
      model: MODEL, messages: user(`[[sim:drop]] a long answer please ${h.token()} ${'words '.repeat(50)}`), stream: true,
    });
    for await (const chunk of stream) partial += chunk.choices[0]?.delta?.content ?? '';
  }, (err) => {
    assert.ok(!(err instanceof OpenAI.APIUserAbortError), String(err));
    return true;
  });
  // Not streamed: an error status, never a 200 with half a reply.
  await assert.rejects(client.chat.completions.create({ model: MODEL, messages: user(`[[sim:drop]] again ${h.token()}`) }), (err) => {
    assert.ok(err instanceof OpenAI.APIError, String(err));
    assert.ok(err.status >= 500, `status ${err.status}`);
    return true;
  });
});

test('the proxy reconnects to Lingma after a dropped connection', async () => {
  const tok = h.token();
  const r = await client.chat.completions.create({ model: MODEL, messages: user(`back again ${tok}`) });
  assert.ok(r.choices[0].message.content.includes(tok));
});

test('503: Lingma unreachable', async (t) => {
  const dead = await h.startStack({ noSim: true });
  t.after(() => dead.stop());
  const c = clientFor(dead);
  await assert.rejects(c.chat.completions.create({ model: MODEL, messages: user('anyone there?') }), (err) => {
    assert.ok(err instanceof OpenAI.APIError, String(err));
    assert.equal(err.status, 503);
    assert.equal(typeof err.error?.message, 'string');
    return true;
  });
  await assert.rejects(async () => {
    await collect(await c.chat.completions.create({ model: MODEL, messages: user('anyone there?'), stream: true }));
  }, (err) => err instanceof OpenAI.APIError);
  dead.assertAlive();
});

test('504: Lingma silent past the timeout', async (t) => {
  const slow = await h.startStack({ proxyArgs: ['--timeout', '2'] });
  t.after(() => slow.stop());
  const c = clientFor(slow);
  const t0 = Date.now();
  await assert.rejects(c.chat.completions.create({ model: MODEL, messages: user('[[sim:silent=8000]] take your time') }), (err) => {
    assert.ok(err instanceof OpenAI.APIError, String(err));
    assert.equal(err.status, 504);
    assert.equal(typeof err.error?.message, 'string');
    return true;
  });
  const elapsed = Date.now() - t0;
  assert.ok(elapsed >= 1500 && elapsed < 7000, `504 after ${elapsed} ms`);
  await assert.rejects(async () => {
    await collect(await c.chat.completions.create({ model: MODEL, messages: user('[[sim:silent=8000]] streamed'), stream: true }));
  }, (err) => err instanceof OpenAI.APIError);
  slow.assertAlive();
});

test('the proxy and the simulator survived every test above', () => {
  stack.assertAlive();
});
