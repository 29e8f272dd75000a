/**
 * Issue 12: `nc-lens serve` (the real CLI in a child process) takes 1 000 seeded random
 * requests on loopback — good calls, malformed bodies and arguments, bad percent-encodings,
 * cancels (a Cancel call, a dropped progress stream, a second analysis over a running one,
 * over arrays and over a model), dropped connections mid-body and raw garbage — and never
 * answers 500 nor dies nor logs an internal error; at the end it still analyses the fixture to
 * its float64 reference. It runs with TMPDIR and HOME of its own, and after a model run and
 * after it exits neither holds a file it left.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRecords } from '../../shared/packed.ts';
import { mismatches } from '../engine/direct.ts';
import { FORMATS, MNIST } from '../fixtures.ts';
import { Rng } from '../fuzz/mutate.ts';

const BIN = fileURLToPath(new URL('../../bin/nc-lens.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REQUESTS = 1000;
const PARALLEL = 4;
const SEED = 0x5e12e;

interface Reply {
  status: number;
  body: string;
  /** The body as sent (an analysis's records are binary). */
  bytes: Buffer;
}

/**
 * Every file and folder under `dir`, relative to it. The server runs from the TypeScript
 * source, so tsx (the test's loader, not NC Lens) keeps its compile cache in TMPDIR/tsx-UID.
 */
function listAll(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((d) => join(d.parentPath, d.name).slice(dir.length + 1))
    .filter((p) => !/^tsx-\d+(\/|$)/.test(p));
}

let child: ChildProcess;
let port = 0;
let token = '';
let stderr = '';
let home: string;
let tmp: string;
let exited: number | null | undefined;

interface SendOptions {
  method?: string;
  path: string;
  body?: Buffer | string;
  headers?: Record<string, string>;
  withToken?: boolean;
  /** Destroys the request this many ms after sending: a dropped connection. */
  dropAfterMs?: number;
  /** Sends only this many bytes of the body (the declared length is the whole), then drops. */
  partial?: number;
}

/** One request; `dropped` when we dropped it ourselves, else the status and body. */
function send(o: SendOptions): Promise<Reply | 'dropped'> {
  return new Promise((resolve, reject) => {
    const body = o.body === undefined ? undefined : Buffer.from(o.body);
    const headers: Record<string, string> = {
      host: `127.0.0.1:${port}`,
      ...(o.withToken === false ? {} : { 'x-nc-lens-token': token }),
      ...(body ? { 'content-length': String(body.length) } : {}),
      ...o.headers,
    };
    let dropped = false;
    const req = request(
      { host: '127.0.0.1', port, path: o.path, method: o.method ?? 'POST', headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const bytes = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, body: bytes.toString(), bytes });
        });
        res.on('error', (e) => (dropped ? resolve('dropped') : reject(e)));
      },
    );
    req.on('error', (e) => (dropped ? resolve('dropped') : reject(e)));
    req.on('close', () => {
      if (dropped) resolve('dropped');
    });
    const drop = () => {
      dropped = true;
      req.destroy();
    };
    if (o.partial !== undefined && body) {
      req.write(body.subarray(0, o.partial));
      setTimeout(drop, 5);
      return;
    }
    req.end(body);
    if (o.dropAfterMs !== undefined) setTimeout(drop, o.dropAfterMs);
  });
}

/** Bytes that are not HTTP, straight to the port. */
function garbage(rng: Rng): Promise<'dropped'> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      const bytes = Buffer.alloc(1 + rng.int(400));
      for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
      const prefix = rng.pick([
        '',
        'GET / HTTP/1.1\r\n',
        'POST /api/call/open HTTP/1.1\r\nHost: x\r\n',
      ]);
      socket.end(Buffer.concat([Buffer.from(prefix), bytes]));
    });
    socket.on('error', () => resolve('dropped'));
    socket.on('close', () => resolve('dropped'));
    socket.resume();
  });
}

async function call(method: string, args: unknown[]): Promise<unknown> {
  const r = await send({ path: `/api/call/${method}`, body: JSON.stringify({ args }) });
  if (r === 'dropped' || r.status !== 200) throw new Error(`${method}: ${JSON.stringify(r)}`);
  return (JSON.parse(r.body) as { value: unknown }).value;
}

async function upload(file: string, name: string): Promise<{ uploadId: string; name: string }> {
  const r = await send({
    path: `/api/upload?name=${encodeURIComponent(name)}`,
    body: readFileSync(file),
  });
  if (r === 'dropped' || r.status !== 200) throw new Error(`upload ${name}: ${JSON.stringify(r)}`);
  return (JSON.parse(r.body) as { value: { uploadId: string; name: string } }).value;
}

/** The last record of an analysis response (shared/packed.ts): 'value', 'error' or 'progress'. */
async function lastRecord(reply: Reply): Promise<{ kind: string; value: unknown } | null> {
  let last: { kind: string; value: unknown } | null = null;
  try {
    for await (const r of readRecords(new Response(new Uint8Array(reply.bytes)).body!)) last = r;
  } catch {
    // Cut short (the analysis was dropped): the records before the cut.
  }
  return last;
}

const refs: Record<string, { uploadId: string; name: string }> = {};
/** How the analyses of the random phase ended: result, cancelled, bad-input, … */
const analyses = new Map<string, number>();

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'nc-lens-home-'));
  tmp = mkdtempSync(join(tmpdir(), 'nc-lens-tmp-'));
  child = spawn(process.execPath, [BIN, 'serve', '--no-open'], {
    cwd: ROOT,
    env: { ...process.env, NC_LENS_FROM_SOURCE: '1', HOME: home, TMPDIR: tmp, NC_LENS_DEBUG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.on('exit', (code) => (exited = code));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`no URL within 60 s: ${out} ${stderr}`)),
      60_000,
    );
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /NC Lens: http:\/\/127\.0\.0\.1:(\d+)\/\?token=([\w-]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        port = Number(m[1]);
        token = m[2];
        resolve();
      }
    });
    child.on('exit', () => reject(new Error(`serve exited: ${out} ${stderr}`)));
  });
  refs.features = await upload(join(FORMATS, 'features_f4.npy'), 'features.npy');
  refs.labels = await upload(join(FORMATS, 'labels_i8.npy'), 'labels.npy');
  refs.epoch = await upload(join(MNIST, 'mnist_small_epoch080.npz'), 'mnist_small_epoch080.npz');
  refs.model = await upload(join(MNIST, 'mnist_small.onnx'), 'mnist_small.onnx');
  refs.inputs = await upload(join(MNIST, 'mnist_small_test_inputs.npy'), 'inputs.npy');
  refs.inputLabels = await upload(join(MNIST, 'mnist_small_test_input_labels.npy'), 'labels.npy');
}, 90_000);

afterAll(async () => {
  if (exited === undefined) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  rmSync(home, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

const SETS = (): { uploadId: string; name: string }[][] => [
  [refs.features, refs.labels],
  [refs.epoch],
  [refs.model, refs.inputs, refs.inputLabels],
  [refs.epoch, refs.features],
  [refs.model, refs.inputs, refs.inputLabels],
];

const MALFORMED = [
  'null',
  '[null]',
  '{"args": null}',
  '{"args": [null]}',
  '{"args": [[null]]}',
  '{"args": ["x"]}',
  '{"args": [[["x"]]]}',
  '{"args": [[{"path": "/etc/passwd"}]]}',
  '{"args": [[{"uploadId": 5, "name": "x"}]]}',
  '{"args": [[{"uploadId": "nope", "name": "x.npy"}]]}',
  '{"args": {}}',
  '{"args": [1e999]}',
  '{"args": [-5]}',
  '{"args": ["\\ud800"]}',
  '{',
  '',
  '"just a string"',
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  '{"__proto__": {"args": [1]}}',
  '{"args": [[], {"add": "yes"}]}',
];

const PERCENT = [
  '/%',
  '/%zz',
  '/%c0%ae',
  '/%c0%ae%c0%ae/etc/passwd',
  '/api/call/%zz',
  '/api/call/op%en',
  '/api/%',
  '/api/upload?name=%zz',
  '/%2e%2e/%2e%2e/x',
  '/api/call/open%00',
];

/** One random request; its reply (or that we dropped it) and what it was. */
async function randomRequest(
  rng: Rng,
  i: number,
): Promise<{ what: string; reply: Reply | 'dropped' }> {
  const pick = rng.next();
  const methods = [
    'info',
    'state',
    'open',
    'openDemo',
    'closeFile',
    'closeAll',
    'setRole',
    'setCentering',
    'selectPoint',
    'cancel',
    'nope',
  ];
  if (pick < 0.14) {
    const set = rng.pick(SETS());
    const what = `open ${set.map((r) => r.name).join('+')}`;
    return {
      what,
      reply: await send({ path: '/api/call/open', body: JSON.stringify({ args: [set] }) }),
    };
  }
  if (pick < 0.24) {
    const dropAfterMs = rng.chance(0.5) ? rng.int(40) : undefined;
    const cancelAfter = dropAfterMs === undefined && rng.chance(0.5) ? rng.int(40) : undefined;
    const analysis = send({ path: '/api/analyze', body: '{}', dropAfterMs });
    // The Cancel is awaited with its analysis, so none is left to land on a later one.
    const cancelling =
      cancelAfter === undefined
        ? null
        : new Promise((r) => setTimeout(r, cancelAfter)).then(() =>
            send({ path: '/api/call/cancel', body: '{}' }),
          );
    const second = rng.chance(0.2) ? send({ path: '/api/analyze', body: '{}' }) : null;
    const reply = await analysis;
    if (second) await second;
    await cancelling;
    if (reply !== 'dropped') {
      const last = await lastRecord(reply);
      const kind =
        last?.kind === 'error' ? (last.value as { code: string }).code : (last?.kind ?? 'none');
      analyses.set(kind, (analyses.get(kind) ?? 0) + 1);
    }
    return { what: `analyze drop ${dropAfterMs} cancel ${cancelAfter} second ${!!second}`, reply };
  }
  if (pick < 0.36) {
    const body = rng.pick(MALFORMED);
    const method = rng.pick(methods);
    return {
      what: `call ${method} ${body.slice(0, 40)}`,
      reply: await send({ path: `/api/call/${method}`, body }),
    };
  }
  if (pick < 0.46) {
    const method = rng.pick(methods);
    const args = rng.pick([
      [],
      [0],
      [-1],
      [3],
      ['class-means'],
      ['samples'],
      ['a1', 'features'],
      ['f1'],
      [[refs.labels]],
      [[refs.labels], { add: true }],
    ]);
    return {
      what: `call ${method} ${JSON.stringify(args)}`,
      reply: await send({ path: `/api/call/${method}`, body: JSON.stringify({ args }) }),
    };
  }
  if (pick < 0.54) {
    const path = rng.pick(PERCENT);
    const withToken = rng.chance(0.8);
    const sep = path.includes('?') ? '&' : '?';
    const method = path.startsWith('/api/') ? 'POST' : 'GET';
    return {
      what: `percent ${path}`,
      reply: await send({
        method,
        path: withToken && method === 'GET' ? `${path}${sep}token=${token}` : path,
        withToken,
        body: method === 'POST' ? '{}' : undefined,
      }),
    };
  }
  if (pick < 0.62) {
    const format = rng.pick(['json', 'csv', 'csv-per-class', 'pdf', 'xml', 7, null]);
    const viewPng = rng.pick([
      undefined,
      'bm90IGEgcG5n',
      // A PNG signature and an IHDR declaring 65535×65535.
      Buffer.from('89504e470d0a1a0a0000000d49484452ffffffffffffffff0806000000', 'hex').toString(
        'base64',
      ),
      Buffer.from(
        '89504e470d0a1a0a0000000d494844520000000100000001080600000000000000',
        'hex',
      ).toString('base64'),
      5,
    ]);
    // PDFs are the slow export: the broken-PNG ones stay, the rest are mostly other formats.
    const body = JSON.stringify({
      format: format === 'pdf' && viewPng === undefined && rng.chance(0.8) ? 'csv' : format,
      viewPng,
    });
    return {
      what: `export ${String(format)} png ${String(viewPng).slice(0, 12)}`,
      reply: await send({ path: '/api/export', body }),
    };
  }
  if (pick < 0.7) {
    const partial = rng.chance(0.5);
    const bytes = readFileSync(
      join(FORMATS, rng.pick(['labels_u1.npy', 'bias.npy', 'weight.npy'])),
    );
    const name = rng.pick([
      'x.npy',
      '€'.repeat(100),
      '../../etc/x.npy',
      'a/b.npy',
      '%zz.npy',
      '',
      '.npy',
      'CON',
    ]);
    const path = `/api/upload?name=${encodeURIComponent(name)}`;
    if (partial)
      return {
        what: `upload dropped ${name}`,
        reply: await send({ path, body: bytes, partial: rng.int(bytes.length) }),
      };
    return { what: `upload ${name}`, reply: await send({ path, body: bytes }) };
  }
  if (pick < 0.76) {
    // A body declared longer than it is, dropped; or JSON cut mid-way.
    const body = JSON.stringify({ args: [[refs.features, refs.labels]] });
    return {
      what: 'open body dropped',
      reply: await send({ path: '/api/call/open', body, partial: rng.int(body.length) }),
    };
  }
  if (pick < 0.82) {
    return { what: 'garbage bytes', reply: await garbage(rng) };
  }
  if (pick < 0.88) {
    const headers = rng.pick<Record<string, string>>([
      { host: 'evil.example' },
      { origin: 'http://evil.example' },
      { 'x-nc-lens-token': 'wrong' },
      {},
    ]);
    return {
      what: `foreign ${JSON.stringify(headers)}`,
      reply: await send({
        path: '/api/call/state',
        body: '{}',
        headers,
        withToken: rng.chance(0.5),
      }),
    };
  }
  if (pick < 0.93) {
    const method = rng.pick(['GET', 'PUT', 'DELETE', 'OPTIONS', 'HEAD']);
    return {
      what: `${method} api`,
      reply: await send({
        method,
        path: rng.pick(['/api/call/state', '/api/analyze', '/', `/?token=${token}`, '/index.html']),
      }),
    };
  }
  return { what: `state #${i}`, reply: await send({ path: '/api/call/state', body: '{}' }) };
}

describe('nc-lens serve under 1 000 seeded random requests', () => {
  it('never answers 500, never dies, then analyses the fixture to its reference; no files left in TMPDIR or HOME', async () => {
    const rng = new Rng(SEED);
    const statuses = new Map<string, number>();
    const bad: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < REQUESTS) {
        const i = next++;
        const { what, reply } = await randomRequest(rng, i).catch((e: unknown) => ({
          what: `#${i}`,
          reply: { status: -1, body: String(e) } as Reply,
        }));
        const key = reply === 'dropped' ? 'dropped' : String(reply.status);
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        if (reply !== 'dropped' && (reply.status >= 500 || reply.status < 200)) {
          bad.push(`#${i} ${what}: ${reply.status} ${reply.body.slice(0, 200)}`);
        }
        if (
          reply !== 'dropped' &&
          reply.status === 400 &&
          !/"ok":false|^bad request|\n$/.test(reply.body) &&
          reply.body !== ''
        ) {
          bad.push(`#${i} ${what}: 400 without a readable reason: ${reply.body.slice(0, 200)}`);
        }
        if (exited !== undefined) bad.push(`#${i} ${what}: the server exited (${exited})`);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    console.log(
      `serve: ${REQUESTS} requests, replies ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`,
    );
    console.log(`serve: analyses ${JSON.stringify(Object.fromEntries([...analyses].sort()))}`);
    expect(bad).toEqual([]);
    expect(analyses.get('cancelled')).toBeGreaterThan(0);
    expect(analyses.get('internal')).toBeUndefined();
    expect(exited).toBeUndefined();
    expect(stderr).not.toMatch(/internal error|\n\s+at /);

    // Still serving: the fixture's epoch 80 to its float64 reference.
    await call('closeAll', []);
    await call('open', [[refs.epoch]]);
    const reply = await send({ path: '/api/analyze', body: '{}' });
    expect(reply).not.toBe('dropped');
    const result = await lastRecord(reply as Reply);
    expect(result?.kind, JSON.stringify(result?.value)).toBe('value');
    const reference = JSON.parse(
      readFileSync(join(MNIST, 'reference/mnist_small_epoch080.json'), 'utf8'),
    );
    expect(mismatches((result!.value as { result: unknown }).result, reference)).toEqual([]);

    // A model run leaves nothing but the uploads folder in TMPDIR, nothing in HOME.
    await call('open', [[refs.model, refs.inputs, refs.inputLabels]]);
    const model = await lastRecord((await send({ path: '/api/analyze', body: '{}' })) as Reply);
    expect(model?.kind).toBe('value');
    expect(listAll(home)).toEqual([]);
    const left = listAll(tmp).filter((p) => !p.includes('/'));
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^nc-lens-/);

    child.kill('SIGTERM');
    await new Promise((r) => (exited !== undefined ? r(null) : child.once('exit', r)));
    expect(exited).toBe(0);
    expect(listAll(tmp)).toEqual([]);
    expect(listAll(home)).toEqual([]);
  }, 240_000);
});
