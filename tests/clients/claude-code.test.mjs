// claude-code.test.mjs: the real Claude Code CLI (print mode) against
// lingma-ipc-proxy + lingma-sim. Claude Code must call its Read tool, run it
// and report the file's content. Its Write tool must create a file with the
// requested content. No request Claude Code makes may get a 4xx.
// docs/claude-code-notes.md explains the command line and the environment.
//
// SPDX-License-Identifier: GPL-3.0-or-later

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import * as h from './harness.mjs';

const MODEL = 'Qwen3-Coder';
const RUN_TIMEOUT_MS = 180000;

let stack;
let claude;
let root;

before(async () => {
  claude = h.claudeBin();
  root = h.makeTempDir('lp-claude-code-');
  stack = await h.startStack({ frameLog: true, debugRequests: true });
});

after(async () => {
  await stack?.stop();
  if (root && !process.env.LP_KEEP_TMP) fs.rmSync(root, { recursive: true, force: true });
});

/* One `claude -p` run with a fresh HOME in @cwd. Resolves with the exit
 * status, the stream-json events and the final result event. */
function runClaude(prompt, cwd) {
  const home = fs.mkdtempSync(path.join(root, 'home-'));
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    LANG: 'C.UTF-8',
    ANTHROPIC_BASE_URL: stack.url,
    ANTHROPIC_API_KEY: 'any',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    CLAUDE_CODE_MAX_RETRIES: '1',
    IS_SANDBOX: '1',
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
  };
  const args = ['-p', prompt, '--model', MODEL, '--allowedTools', 'Read', 'Write', '--max-turns', '4',
                '--output-format', 'stream-json', '--verbose'];
  return new Promise((resolve, reject) => {
    const child = spawn(claude, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => { stdout += b; });
    child.stderr.on('data', (b) => { stderr += b; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`claude did not finish within ${RUN_TIMEOUT_MS} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, RUN_TIMEOUT_MS);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const events = [];
      for (const line of stdout.split('\n')) {
        if (!line.trim()) continue;
        try { events.push(JSON.parse(line)); } catch { events.push({ type: 'unparsed', line }); }
      }
      const result = events.findLast((e) => e.type === 'result') ?? null;
      resolve({ code, signal, events, result, stdout, stderr });
    });
  });
}

function toolUses(events) {
  return events.filter((e) => e.type === 'assistant')
    .flatMap((e) => e.message?.content ?? [])
    .filter((b) => b.type === 'tool_use');
}

function toolResults(events) {
  return events.filter((e) => e.type === 'user')
    .flatMap((e) => (Array.isArray(e.message?.content) ? e.message.content : []))
    .filter((b) => b.type === 'tool_result');
}

function resultText(block) {
  const c = block.content;
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((x) => x.text ?? '').join('');
  return '';
}

function explain(run) {
  return `exit ${run.code}\nstdout:\n${run.stdout.slice(0, 8000)}\nstderr:\n${run.stderr.slice(0, 4000)}`;
}

test('Claude Code reads a file with its Read tool and reports its content', async () => {
  const dir = fs.mkdtempSync(path.join(root, 'read-'));
  const secret = h.token('SECRET');
  const notes = path.join(dir, 'notes.txt');
  fs.writeFileSync(notes, `The secret token is ${secret}.\n`);

  const run = await runClaude(`Read the file ${notes} and tell me what it says`, dir);
  assert.equal(run.code, 0, explain(run));

  const reads = toolUses(run.events).filter((u) => u.name === 'Read');
  assert.ok(reads.length >= 1, `Claude Code did not call Read:\n${explain(run)}`);
  assert.equal(reads[0].input.file_path, notes);
  const results = toolResults(run.events).filter((r) => r.tool_use_id === reads[0].id);
  assert.equal(results.length, 1, 'the Read call got no tool_result');
  assert.ok(resultText(results[0]).includes(secret), 'Claude Code did not run the Read tool');
  assert.equal(run.result?.is_error, false, explain(run));
  assert.ok(run.result.result.includes(secret), `final answer lacks the token: ${run.result.result}`);
});

test('Claude Code creates a file with its Write tool', async () => {
  const dir = fs.mkdtempSync(path.join(root, 'write-'));
  const target = path.join(dir, 'created.txt');
  const content = `alpha beta ${h.token('gamma')}`;

  const run = await runClaude(`Write the text "${content}" to a new file ${target}`, dir);
  assert.equal(run.code, 0, explain(run));

  const writes = toolUses(run.events).filter((u) => u.name === 'Write');
  assert.ok(writes.length >= 1, `Claude Code did not call Write:\n${explain(run)}`);
  assert.equal(writes[0].input.file_path, target);
  assert.ok(fs.existsSync(target), `${target} was not created:\n${explain(run)}`);
  assert.equal(fs.readFileSync(target, 'utf8').replace(/\n$/, ''), content);
  assert.equal(run.result?.is_error, false, explain(run));
});

test('no request Claude Code made got a 4xx or 5xx', async (t) => {
  const doc = await stack.debugRequests();
  const records = Array.isArray(doc) ? doc : (doc.requests ?? doc.records ?? doc.items ?? []);
  assert.ok(records.length > 0, `no records in /debug/requests: ${JSON.stringify(doc).slice(0, 500)}`);
  // The /debug/requests call that fetched this list is not Claude Code's.
  const seen = records.map((r) => ({
    method: r.method,
    path: r.path ?? r.url,
    status: r.statusCode ?? r.status,
  })).filter((r) => !r.path.startsWith('/debug/'));
  t.diagnostic('Claude Code called: ' + [...new Set(seen.map((s) => `${s.method} ${s.path} → ${s.status}`))].join(', '));
  const messages = seen.filter((s) => s.method === 'POST' && /^\/v1\/messages(\?|$)/.test(s.path));
  assert.ok(messages.length >= 4, `expected at least two /v1/messages calls per run, got ${messages.length}`);
  const bad = seen.filter((s) => !(s.status >= 200 && s.status < 400));
  assert.deepEqual(bad, [], 'requests that failed');

  const prompts = h.framesWithMethod(stack.readFrameLog(), 'session/prompt');
  assert.ok(prompts.length >= messages.length, `${prompts.length} prompts reached Lingma for ${messages.length} requests`);
  stack.assertAlive();
});
