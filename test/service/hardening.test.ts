/**
 * Issue 12, the server and the service: one test per defect, named after it. A failing
 * analysis, export, upload or malformed request ends that request (400/413, one line), never
 * the process; the browser shell opens uploads only.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deflateSync, crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalysisService } from '../../main/service/session.ts';
import { startServer, type RunningServer } from '../../main/shells/browser/http.ts';
import { readRecords } from '../../shared/packed.ts';
import { FORMATS, MNIST } from '../fixtures.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/nc-lens.js', import.meta.url));

/** Rejections nobody handled while a test ran (each used to end `nc-lens serve`). */
function unhandledDuring(): { stop: () => unknown[] } {
  const seen: unknown[] = [];
  const on = (e: unknown) => seen.push(e);
  process.on('unhandledRejection', on);
  process.on('uncaughtException', on);
  return {
    stop: () => {
      process.off('unhandledRejection', on);
      process.off('uncaughtException', on);
      return seen;
    },
  };
}

describe('cancelling a model analysis', () => {
  it('dropping it a few ms after it starts, or starting a second one over it, leaves no unhandled rejection (the prefetched batch)', async () => {
    const watch = unhandledDuring();
    const s = new AnalysisService({ shell: 'electron' });
    try {
      await s.open([
        { path: `${MNIST}/mnist_small.onnx` },
        { path: `${MNIST}/mnist_small_test_inputs.npy` },
        { path: `${MNIST}/mnist_small_test_input_labels.npy` },
      ]);
      // Cancels at 1…24 ms land while a batch runs in onnxruntime and the next one is read.
      for (let i = 0; i < 24; i++) {
        const run = s.analyze();
        const timer = new Promise((r) => setTimeout(r, 1 + i));
        const over = i % 3 === 2 ? timer.then(() => s.analyze()) : null;
        if (!over) void timer.then(() => s.cancel());
        await run.catch(() => undefined);
        await over?.catch(() => undefined);
        // A turn of the event loop for a prefetch rejected after its step was cancelled.
        await new Promise((r) => setTimeout(r, 5));
      }
      const state = await s.analyze();
      expect(state.result?.schema).toBe('nc-lens/metrics@1');
    } finally {
      await s.dispose();
    }
    expect(watch.stop()).toEqual([]);
  }, 120_000);
});

/** A PNG of chunks as given (lengths and CRCs right). */
function png(chunks: [string, Buffer][]): Buffer {
  const parts: Buffer[] = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])];
  for (const [type, data] of chunks) {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0);
    parts.push(head, data, crc);
  }
  return Buffer.concat(parts);
}

function ihdr(width: number, height: number, color = 6): Buffer {
  const b = Buffer.alloc(13);
  b.writeUInt32BE(width, 0);
  b.writeUInt32BE(height, 4);
  b[8] = 8;
  b[9] = color;
  return b;
}

describe('the browser shell server', () => {
  let server: RunningServer;
  const api = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`http://127.0.0.1:${server.port}${path}`, {
      method: 'POST',
      headers: { 'x-nc-lens-token': server.token, ...headers },
      body,
    });
  const upload = async (file: string, name: string) => {
    const res = await fetch(
      `http://127.0.0.1:${server.port}/api/upload?name=${encodeURIComponent(name)}`,
      { method: 'POST', headers: { 'x-nc-lens-token': server.token }, body: readFileSync(file) },
    );
    return { status: res.status, body: (await res.json()) as { ok: boolean; value: unknown } };
  };
  const stillServing = async () => {
    const r = await api('/api/call/state', '{}');
    expect(r.status).toBe(200);
  };

  beforeAll(async () => {
    server = await startServer({ port: 0, staticDir: null, maxTotalUploadBytes: 3_000_000 });
    const f = await upload(`${FORMATS}/features_f4.npy`, 'features.npy');
    const l = await upload(`${FORMATS}/labels_i8.npy`, 'labels.npy');
    const opened = await api(
      '/api/call/open',
      JSON.stringify({ args: [[f.body.value, l.body.value]] }),
    );
    expect(opened.status).toBe(200);
    const analysed = await (await api('/api/analyze', '{}')).arrayBuffer();
    const records = [];
    for await (const r of readRecords(new Response(analysed).body!)) records.push(r.kind);
    expect(records.at(-1)).toBe('value');
  });
  afterAll(() => server.close());

  it('export pdf with a broken viewPng (corrupt IDAT, 65535×65535) answers 400 and keeps serving', async () => {
    const watch = unhandledDuring();
    const corrupt = png([
      ['IHDR', ihdr(4, 4)],
      ['IDAT', Buffer.from('this is not a deflate stream at all')],
      ['IEND', Buffer.alloc(0)],
    ]);
    const huge = png([
      ['IHDR', ihdr(65535, 65535)],
      ['IDAT', deflateSync(Buffer.alloc(64))],
      ['IEND', Buffer.alloc(0)],
    ]);
    for (const [bad, found] of [
      [corrupt, /corrupt image data/],
      [huge, /65535×65535/],
    ] as const) {
      const r = await api(
        '/api/export',
        JSON.stringify({ format: 'pdf', viewPng: bad.toString('base64') }),
      );
      expect(r.status).toBe(400);
      const { error } = (await r.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('bad-input');
      expect(error.message).toMatch(/^viewPng: expected a PNG of the 3D view/);
      expect(error.message).toMatch(found);
      await stillServing();
    }
    expect(watch.stop()).toEqual([]);
  });

  it('malformed API bodies and arguments answer 400 with one readable line, not 500 internal', async () => {
    const cases: [string, string][] = [
      ['/api/call/state', 'null'],
      ['/api/call/open', '{"args": null}'],
      ['/api/call/open', '{"args": [null]}'],
      ['/api/call/open', '{"args": ["x"]}'],
      ['/api/call/open', '{"args": [[null]]}'],
      ['/api/call/open', '{"args": [["x"]]}'],
      ['/api/call/setRole', '{"args": [null, null]}'],
      ['/api/call/selectPoint', '{"args": ["x"]}'],
      ['/api/call/setCentering', '{"args": [[]]}'],
      ['/api/export', 'null'],
      ['/api/export', '{"format": 5}'],
      ['/api/call/state', '{not json'],
    ];
    for (const [path, body] of cases) {
      const r = await api(path, body);
      const text = await r.text();
      expect(r.status, `${path} ${body}: ${text}`).toBe(400);
      const { error } = JSON.parse(text) as { error: { code: string; message: string } };
      expect(error.code).toBe('bad-input');
      expect(error.message).toMatch(/^expected .+, found .+$/);
    }
    await stillServing();
  });

  it('bad percent-encodings (/%, /%zz, %c0%ae) answer 400, not 500', async () => {
    for (const path of ['/%', '/%zz', '/%c0%ae', '/%c0%ae%c0%ae/etc/passwd']) {
      const r = await fetch(`http://127.0.0.1:${server.port}${path}?token=${server.token}`);
      // No renderer here (staticDir null): 503 before the path is decoded; with one, 400.
      expect([400, 503]).toContain(r.status);
    }
    const withApp = await startServer({
      port: 0,
      staticDir: fileURLToPath(new URL('../../dist/renderer', import.meta.url)),
    });
    try {
      for (const path of ['/%', '/%zz', '/%c0%ae', '/%c0%ae%c0%ae/etc/passwd']) {
        const r = await fetch(`http://127.0.0.1:${withApp.port}${path}?token=${withApp.token}`);
        expect([400, 404]).toContain(r.status);
        expect(r.status).not.toBe(500);
      }
    } finally {
      await withApp.close();
    }
  });

  it('the browser shell opens uploads only: a path on disk is refused without saying whether it exists', async () => {
    const messages: string[] = [];
    for (const path of ['/etc/passwd', '/no/such/file.npz', `${FORMATS}/features_f4.npy`]) {
      const r = await api('/api/call/open', JSON.stringify({ args: [[{ path }]] }));
      expect(r.status).toBe(400);
      messages.push(((await r.json()) as { error: { message: string } }).error.message);
    }
    expect(new Set(messages).size).toBe(1);
    expect(messages[0]).toBe(
      'expected an uploaded file (the browser shell opens uploads only), found a path',
    );
  });

  it('uploads past the total quota answer 413 with a clear line', async () => {
    // 3 MB in all: the 1 MB features and 64 KB labels are in; two more 1 MB files are not.
    const first = await upload(`${FORMATS}/features_f4.npy`, 'again.npy');
    expect(first.status).toBe(200);
    const second = await upload(`${FORMATS}/features_be_f4.npy`, 'over.npy');
    expect(second.status).toBe(413);
    expect((second.body as unknown as { error: { message: string } }).error.message).toMatch(
      /^over\.npy: expected at most 2\.9 MB of uploads in all/,
    );
    await stillServing();
  });

  it('an upload named with 200 "€" (600 bytes) is kept under 255 bytes, not "the connection closed early"', async () => {
    const name = `${'€'.repeat(200)}.npy`;
    const r = await upload(`${FORMATS}/labels_u1.npy`, name);
    expect(r.status).toBe(200);
    const kept = (r.body.value as { name: string }).name;
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(255);
    expect(kept.endsWith('.npy')).toBe(true);
  });
});

describe('nc-lens serve, process level', () => {
  it('a failure outside any request is logged in one line and the server keeps serving', async () => {
    // On SIGUSR2: a stray throw in a callback and a rejection nobody handles, as a library
    // could leave (sent once the server is up, so its handlers are in place).
    const stray = encodeURIComponent(
      'process.on("SIGUSR2",()=>{setTimeout(()=>{throw new Error("stray callback")});' +
        'setTimeout(()=>{Promise.reject(new Error("stray rejection"))},50)});',
    );
    const child = spawn(process.execPath, [BIN, 'serve', '--no-open'], {
      cwd: ROOT,
      env: {
        ...process.env,
        NC_LENS_FROM_SOURCE: '1',
        NODE_OPTIONS: `--import=data:text/javascript,${stray}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let signalled = false;
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setInterval(() => {
          const m = /NC Lens: (http:\/\/\S+)/.exec(out);
          if (m && !signalled) {
            signalled = true;
            child.kill('SIGUSR2');
          }
          if (m && /stray rejection/.test(err)) {
            clearInterval(timer);
            resolve(m[1]);
          }
        }, 50);
        child.on('exit', (code) => {
          clearInterval(timer);
          reject(new Error(`serve exited ${code}: ${err}`));
        });
      });
      const { port, searchParams } = new URL(url);
      const r = await fetch(`http://127.0.0.1:${port}/api/call/state`, {
        method: 'POST',
        headers: { 'x-nc-lens-token': searchParams.get('token')! },
        body: '{}',
      });
      expect(r.status).toBe(200);
      const lines = err.trimEnd().split('\n');
      expect(lines).toEqual([
        'nc-lens serve: internal error: stray callback (still serving)',
        'nc-lens serve: internal error: stray rejection (still serving)',
      ]);
    } finally {
      child.kill('SIGTERM');
    }
  }, 90_000);
});
