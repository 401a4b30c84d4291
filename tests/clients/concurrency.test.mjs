// concurrency.test.mjs: admission control and client aborts, seen by the
// official `openai` SDK. With --max-concurrent 4 --max-queue 8, 20 parallel
// slow requests give exactly 12 answers and 8 immediate 429s with
// Retry-After, none lost or hung. A client that aborts mid-stream frees its
// slot at once, and Lingma is told: session/cancel, then
// chat/deleteSessionById for that session.
//
// SPDX-License-Identifier: GPL-3.0-or-later

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import OpenAI from 'openai';

import * as h from './harness.mjs';

const MODEL = 'Qwen3-Coder';
const SLOTS = 4;
const QUEUE = 8;
const FREED_WITHIN_MS = 150;

let stack;
let client;

before(async () => {
  stack = await h.startStack({
    frameLog: true,
    proxyArgs: ['--max-concurrent', String(SLOTS), '--max-queue', String(QUEUE)],
  });
  client = new OpenAI({ baseURL: stack.openaiBaseURL, apiKey: 'any', maxRetries: 0, timeout: 60000 });
});

after(async () => {
  await stack?.stop();
});

function withDeadline(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

test('20 parallel slow requests: 12 served, 8 rejected at once with 429 + Retry-After', async (t) => {
  const n = SLOTS + QUEUE + 8;
  const t0 = performance.now();
  const requests = Array.from({ length: n }, (_, i) => {
    const tok = h.token(`par${i}_`);
    return client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: `[[sim:silent=1000]] request ${tok}` }] })
      .then((r) => ({ ok: true, tok, r, ms: performance.now() - t0 }),
            (err) => ({ ok: false, tok, err, ms: performance.now() - t0 }));
  });
  const results = await withDeadline(Promise.all(requests), 45000, 'parallel requests');

  const served = results.filter((x) => x.ok);
  const rejected = results.filter((x) => !x.ok);
  t.diagnostic(`served ${served.length} (last after ${Math.round(Math.max(...served.map((x) => x.ms)))} ms), ` +
               `rejected ${rejected.length} (last after ${Math.round(Math.max(0, ...rejected.map((x) => x.ms)))} ms)`);

  for (const x of rejected) {
    assert.ok(x.err instanceof OpenAI.RateLimitError, `unexpected failure: ${x.err}`);
    assert.equal(x.err.status, 429);
    assert.equal(typeof x.err.error?.message, 'string');
    const ra = x.err.headers.get('retry-after');
    assert.ok(ra !== null, '429 without Retry-After');
    assert.ok(/^\d+$/.test(ra) || !Number.isNaN(Date.parse(ra)), `bad Retry-After: ${ra}`);
    assert.ok(x.ms < 900, `a rejection should be immediate, this one took ${Math.round(x.ms)} ms`);
  }
  for (const x of served) {
    assert.equal(x.r.choices[0].finish_reason, 'stop');
    assert.ok(x.r.choices[0].message.content.includes(x.tok), 'a reply went to the wrong request');
  }
  assert.equal(served.length, SLOTS + QUEUE);
  assert.equal(rejected.length, n - SLOTS - QUEUE);
  // Served in three waves of 4 behind a 1 s silence each: the queue really waited.
  assert.ok(Math.max(...served.map((x) => x.ms)) >= 2500, 'the queued requests did not wait for a slot');

  assert.equal(h.inFlightOf(await stack.health()), 0);
});

test('a client aborted mid-stream frees its slot at once and Lingma is told', async (t) => {
  const tok = h.token('abort');
  const ac = new AbortController();
  const stream = await client.chat.completions.create({
    model: MODEL,
    stream: true,
    messages: [{ role: 'user', content: `[[sim:slow=200]] [[sim:large=20000]] a long story for ${tok}` }],
  }, { signal: ac.signal });
  const it = stream[Symbol.asyncIterator]();
  for (;;) {
    const { value, done } = await withDeadline(it.next(), 10000, 'first content chunk');
    assert.ok(!done, 'the stream ended before any content arrived');
    if (value.choices[0]?.delta?.content) break;
  }
  assert.equal(h.inFlightOf(await stack.health()), 1, 'precondition: the streaming request holds a slot');

  const t0 = performance.now();
  ac.abort();
  let freedMs = null;
  while (performance.now() - t0 < 3000) {
    if (h.inFlightOf(await stack.health()) === 0) {
      freedMs = performance.now() - t0;
      break;
    }
    await h.sleep(5);
  }
  t.diagnostic(`slot free ${freedMs === null ? 'never' : Math.round(freedMs) + ' ms'} after the abort`);
  assert.ok(freedMs !== null, 'the slot was never freed');
  assert.ok(freedMs <= FREED_WITHIN_MS, `the slot was freed only after ${Math.round(freedMs)} ms`);
  await it.return?.().catch(() => {});

  const prompt = await h.waitForPromptFrame(stack, tok);
  const sid = h.sessionIdOf(prompt);
  assert.ok(sid, `no sessionId in ${JSON.stringify(prompt.params).slice(0, 300)}`);
  const deadline = Date.now() + 3000;
  let cancelAt = -1;
  let deleteAt = -1;
  while (Date.now() < deadline) {
    const frames = stack.readFrameLog().map((e) => e.frame);
    cancelAt = frames.findIndex((f) => f?.method === 'session/cancel' && h.sessionIdOf(f) === sid);
    deleteAt = frames.findIndex((f) => f?.method === 'chat/deleteSessionById' && h.sessionIdOf(f) === sid);
    if (cancelAt >= 0 && deleteAt >= 0) break;
    await h.sleep(20);
  }
  assert.ok(cancelAt >= 0, `no session/cancel for ${sid}`);
  assert.ok(deleteAt >= 0, `no chat/deleteSessionById for ${sid}`);
  assert.ok(cancelAt < deleteAt, 'the session was deleted before it was cancelled');

  // the freed slot serves the next request
  const next = h.token('after');
  const r = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: `next ${next}` }] });
  assert.ok(r.choices[0].message.content.includes(next));
});

test('the proxy and the simulator survived every test above', () => {
  stack.assertAlive();
});
