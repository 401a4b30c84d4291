// harness.mjs: start lingma-sim and lingma-ipc-proxy on ephemeral ports for the
// client tests, and stop them again, also when a test fails.
//
// SPDX-License-Identifier: GPL-3.0-or-later

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
const SOURCE_ROOT = path.resolve(HERE, '..', '..');

const READY_TIMEOUT_MS = 15000;
const STOP_TIMEOUT_MS = 5000;

// Loopback must never go through a proxy (undici ignores these, Claude Code doesn't).
process.env.NO_PROXY = '127.0.0.1,localhost';
process.env.no_proxy = '127.0.0.1,localhost';

/* Every child still running when this process exits is killed, so a
 * failing or interrupted test leaves nothing behind. */
const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => process.exit(128 + os.constants.signals[sig]));
}

function findBinary(envName, candidates) {
  const fromEnv = process.env[envName];
  if (fromEnv) {
    if (!fs.existsSync(fromEnv)) throw new Error(`${envName}=${fromEnv} does not exist`);
    return fromEnv;
  }
  for (const c of candidates) {
    const p = path.join(SOURCE_ROOT, c);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`${envName} is not set and none of ${candidates.join(', ')} exists; ` +
                  'build with meson first or point the variable at the binary');
}

export function simBin() {
  return findBinary('LP_SIM_BIN', ['_build/src/sim/lingma-sim', 'build/src/sim/lingma-sim']);
}

export function proxyBin() {
  return findBinary('LP_PROXY_BIN', ['_build/src/cli/lingma-ipc-proxy', 'build/src/cli/lingma-ipc-proxy']);
}

/* The Claude Code native binary. bin/claude.exe is a placeholder until the
 * package's postinstall copies the platform binary over it; if npm skipped
 * that script, use the platform package directly. */
export function claudeBin() {
  const wrapper = path.join(HERE, 'node_modules', '@anthropic-ai', 'claude-code', 'bin', 'claude.exe');
  const works = (p) => {
    if (!fs.existsSync(p)) return false;
    const r = spawnSync(p, ['--version'], { encoding: 'utf8', timeout: 30000 });
    return r.status === 0 && /Claude Code/.test(r.stdout);
  };
  if (works(wrapper)) return wrapper;
  const musl = process.report?.getReport?.().header?.glibcVersionRuntime === undefined;
  const platform = `${process.platform}-${process.arch}${process.platform === 'linux' && musl ? '-musl' : ''}`;
  const native = path.join(HERE, 'node_modules', '@anthropic-ai', `claude-code-${platform}`, 'claude');
  if (works(native)) return native;
  throw new Error(`no working Claude Code binary (tried ${wrapper} and ${native}); run tests/clients/install.sh`);
}

export function makeTempDir(prefix = 'lp-clients-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/* A TCP port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function deadPort() {
  const srv = net.createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/* The children's environment: no LINGMA_* settings and no config file
 * from the user running the tests. */
function childEnv(dir) {
  const env = { XDG_CONFIG_HOME: dir };
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('LINGMA_') && k !== 'XDG_CONFIG_HOME') env[k] = v;
  }
  return env;
}

class Child {
  constructor(name, bin, args, readyRe, env) {
    this.name = name;
    this.output = '';
    this.exit = null;
    this.proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env, cwd: env.XDG_CONFIG_HOME });
    live.add(this.proc);
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        live.delete(this.proc);
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(
        `${name} did not print its listening line within ${READY_TIMEOUT_MS} ms:\n${this.output}`)), READY_TIMEOUT_MS);
      const onData = (buf) => {
        this.output += buf.toString('utf8');
        const m = this.output.match(readyRe);
        if (m) { clearTimeout(timer); resolve(m); }
      };
      this.proc.stdout.on('data', onData);
      this.proc.stderr.on('data', onData);
      this.proc.on('error', (err) => { clearTimeout(timer); reject(new Error(`${name}: ${err.message}`)); });
      this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (code ${code}, signal ${signal}) before it was ready:\n${this.output}`));
      });
    });
    this.ready.catch(() => {});
  }

  get alive() { return this.exit === null; }

  async stop() {
    if (!this.alive) return this.exit;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const r = await this.exited;
    clearTimeout(timer);
    return r;
  }
}

/* One JSON line per frame the simulator received: {"t": ms, "frame": {…}}
 * or {"t": ms, "raw": "…"} when the frame body was not JSON. */
export function parseFrameLog(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try { out.push(JSON.parse(line)); } catch { out.push({ raw: line }); }
  }
  return out;
}

/* The JSON-RPC messages in a frame log with this method. */
export function framesWithMethod(entries, method) {
  return entries.map((e) => e.frame).filter((f) => f && f.method === method);
}

/* The text of a session/prompt frame: its text items joined. */
export function promptText(frame) {
  const items = frame?.params?.prompt;
  if (!Array.isArray(items)) return '';
  return items.filter((i) => i && i.type === 'text').map((i) => i.text ?? '').join('\n');
}

function sessionIdOf(frame) {
  const p = frame?.params ?? {};
  return p.sessionId ?? p.session_id ?? p.id ?? null;
}
export { sessionIdOf };

/* The in-flight request count in a /health document. The key name is not
 * fixed by any spec, so accept the usual spellings anywhere in the tree. */
export function inFlightOf(health) {
  const names = /^(in[_-]?flight|inflight|active|running|busy)([_-]?(requests|count|chats))?$/i;
  const stack = [health];
  while (stack.length) {
    const v = stack.pop();
    if (!v || typeof v !== 'object') continue;
    for (const [k, x] of Object.entries(v)) {
      if (names.test(k) && typeof x === 'number') return x;
      if (x && typeof x === 'object') stack.push(x);
    }
  }
  throw new Error(`no in-flight count in /health: ${JSON.stringify(health)}`);
}

/**
 * Start lingma-sim and lingma-ipc-proxy.
 *
 * options:
 *   simArgs:       extra arguments for lingma-sim
 *   proxyArgs:     extra arguments for lingma-ipc-proxy
 *   frameLog:      true to pass --frame-log (read it back with readFrameLog())
 *   debugRequests: true to pass --debug-requests
 *   noSim:         true to point the proxy at a port nothing listens on
 */
export async function startStack(options = {}) {
  const dir = makeTempDir();
  const stack = {
    dir,
    sim: null,
    proxy: null,
    frameLogPath: options.frameLog ? path.join(dir, 'frames.jsonl') : null,
  };

  const stop = async () => {
    const results = {};
    if (stack.proxy) results.proxy = await stack.proxy.stop();
    if (stack.sim) results.sim = await stack.sim.stop();
    if (!process.env.LP_KEEP_TMP) fs.rmSync(dir, { recursive: true, force: true });
    return results;
  };

  try {
    let wsUrl;
    if (options.noSim) {
      wsUrl = `ws://127.0.0.1:${await deadPort()}/`;
    } else {
      const simArgs = ['--port', '0'];
      if (stack.frameLogPath) simArgs.push('--frame-log', stack.frameLogPath);
      simArgs.push(...(options.simArgs ?? []));
      stack.sim = new Child('lingma-sim', simBin(), simArgs,
                            /lingma-sim listening on (ws:\/\/127\.0\.0\.1:(\d+)\/?)/, childEnv(dir));
      const m = await stack.sim.ready;
      wsUrl = m[1].endsWith('/') ? m[1] : m[1] + '/';
    }

    const proxyArgs = ['--port', '0', '--ws-url', wsUrl];
    if (options.debugRequests) proxyArgs.push('--debug-requests');
    proxyArgs.push(...(options.proxyArgs ?? []));
    stack.proxy = new Child('lingma-ipc-proxy', proxyBin(), proxyArgs,
                            /lingma-ipc-proxy listening on (http:\/\/127\.0\.0\.1:(\d+))/, childEnv(dir));
    const m = await stack.proxy.ready;
    stack.wsUrl = wsUrl;
    stack.url = m[1];
  } catch (err) {
    await stop();
    throw err;
  }

  Object.assign(stack, {
    openaiBaseURL: stack.url + '/v1',
    anthropicBaseURL: stack.url,
    stop,
    stopSim: () => stack.sim?.stop(),
    async health() {
      const r = await fetch(stack.url + '/health');
      if (r.status !== 200) throw new Error(`/health answered ${r.status}`);
      return r.json();
    },
    async debugRequests() {
      const r = await fetch(stack.url + '/debug/requests?limit=200');
      if (r.status !== 200) throw new Error(`/debug/requests answered ${r.status}: ${await r.text()}`);
      return r.json();
    },
    readFrameLog() {
      if (!stack.frameLogPath) throw new Error('started without frameLog: true');
      const text = fs.existsSync(stack.frameLogPath) ? fs.readFileSync(stack.frameLogPath, 'utf8') : '';
      return parseFrameLog(text);
    },
    /* Both children still running: a test that crashed the proxy must not pass. */
    assertAlive() {
      for (const c of [stack.sim, stack.proxy]) {
        if (c && !c.alive) {
          throw new Error(`${c.name} died (${JSON.stringify(c.exit)}); output:\n${c.output}`);
        }
      }
    },
    logs() {
      return [stack.sim, stack.proxy].filter(Boolean).map((c) => `--- ${c.name}\n${c.output}`).join('\n');
    },
  });
  return stack;
}

/* The session/prompt frame whose text contains @needle, waiting for it to
 * show up in the frame log (the simulator flushes each line at once). */
export async function waitForPromptFrame(stack, needle, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = framesWithMethod(stack.readFrameLog(), 'session/prompt')
      .find((f) => promptText(f).includes(needle));
    if (frame) return frame;
    if (Date.now() > deadline) throw new Error(`no session/prompt containing ${JSON.stringify(needle)} in the frame log`);
    await sleep(20);
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/* A unique marker for one test, so frames and replies can be told apart. */
let counter = 0;
export function token(prefix = 'tok') {
  counter += 1;
  return `${prefix}${process.pid}x${counter}x${Math.random().toString(36).slice(2, 8)}`;
}

/* Raw HTTP for the cases the SDKs cannot produce (invalid JSON, wrong method). */
export async function raw(stack, method, urlPath, body, headers = {}) {
  const r = await fetch(stack.url + urlPath, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, headers: r.headers, text, json };
}

/* A 1×1 red PNG, 70 bytes decoded. */
export const PNG_1X1 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

/* The image items (type "image") of a session/prompt frame, in prompt and contextParams. */
export function promptImages(frame) {
  const p = frame?.params ?? {};
  const items = [...(Array.isArray(p.prompt) ? p.prompt : []), ...(Array.isArray(p.contextParams) ? p.contextParams : [])];
  return items.filter((i) => i && i.type === 'image');
}
