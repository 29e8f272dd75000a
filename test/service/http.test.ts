import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NcLensError } from '../../shared/errors.ts';
import type { MetricsResult } from '../../shared/schema.ts';
import { startServer } from '../../main/shells/browser/http.ts';
import type { RunningServer } from '../../main/shells/browser/http.ts';
import { createHttpClient } from '../../renderer/src/api/http-client.ts';
import { FORMATS, MNIST } from '../fixtures.ts';

/** A raw request, so Host and Origin can be anything (fetch would not send a foreign Host). */
function raw(
  server: RunningServer,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function fileOf(path: string, name = path.split('/').pop()!): File {
  return new File([readFileSync(path)], name);
}

describe('browser shell server', () => {
  let server: RunningServer;
  const staticDir = mkdtempSync(join(tmpdir(), 'nc-lens-static-'));

  beforeAll(async () => {
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>NC Lens</title>');
    writeFileSync(join(staticDir, 'app.js'), 'console.log(1)');
    server = await startServer({ port: 0, staticDir, maxUploadBytes: 2_000_000 });
  });
  afterAll(async () => {
    await server.close();
    rmSync(staticDir, { recursive: true, force: true });
  });

  it('serves the page only with the token, and its assets with the cookie it sets', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
    expect((await raw(server, '/', { host: `127.0.0.1:${server.port}` })).status).toBe(401);
    const page = await raw(server, `/?token=${server.token}`, { host: `127.0.0.1:${server.port}` });
    expect(page.status).toBe(200);
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
    const cookie = String(page.headers['set-cookie']).split(';')[0];
    const asset = await raw(server, '/app.js', { host: `127.0.0.1:${server.port}`, cookie });
    expect(asset.status).toBe(200);
    expect(asset.body).toBe('console.log(1)');
    // Cross-origin isolated (page and worker scripts), so workers can share large arrays.
    for (const res of [page, asset]) {
      expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(res.headers['cross-origin-embedder-policy']).toBe('require-corp');
    }
  });

  it('refuses a foreign Host or Origin even with the token (DNS rebinding)', async () => {
    const token = { 'x-nc-lens-token': server.token };
    const ok = await raw(
      server,
      '/api/call/state',
      { host: `127.0.0.1:${server.port}`, ...token },
      'POST',
    );
    expect(ok.status).toBe(200);
    const host = await raw(
      server,
      '/api/call/state',
      { host: `evil.example:${server.port}`, ...token },
      'POST',
    );
    expect(host.status).toBe(403);
    const origin = await raw(
      server,
      '/api/call/state',
      { host: `127.0.0.1:${server.port}`, origin: 'http://evil.example', ...token },
      'POST',
    );
    expect(origin.status).toBe(403);
  });

  it('refuses API calls whose token is missing, wrong, or only a cookie', async () => {
    const host = { host: `127.0.0.1:${server.port}` };
    expect((await raw(server, '/api/call/state', host, 'POST')).status).toBe(401);
    const wrong = { ...host, 'x-nc-lens-token': 'x'.repeat(server.token.length) };
    expect((await raw(server, '/api/call/state', wrong, 'POST')).status).toBe(401);
    const cookie = { ...host, cookie: `nc_lens_token_${server.port}=${server.token}` };
    expect((await raw(server, '/api/call/state', cookie, 'POST')).status).toBe(401);
  });

  it('does not serve files outside the renderer folder', async () => {
    const r = await raw(server, `/%2e%2e/%2e%2e/etc/passwd?token=${server.token}`, {
      host: `127.0.0.1:${server.port}`,
    });
    expect(r.status).toBe(404);
  });

  it('uploads into a private temp folder, analyses with progress, exports', async () => {
    const api = createHttpClient({ base: `http://127.0.0.1:${server.port}`, token: server.token });
    const state = await api.openFiles([
      fileOf(`${FORMATS}/features_f4.npy`),
      fileOf(`${FORMATS}/labels_i8.npy`),
    ]);
    expect(state.files.map((f) => f.name)).toEqual(['features_f4.npy', 'labels_i8.npy']);
    expect(statSync(server.uploads.dir).mode & 0o777).toBe(0o700);
    const fractions: number[] = [];
    const { result } = await api.analyze((p) => fractions.push(p.fraction));
    expect(fractions.length).toBeGreaterThan(0);
    expect((result as MetricsResult).nc1).toBeGreaterThan(0);
    const csv = await api.exportResult('csv');
    expect(csv.name).toBe('nc-lens.csv');
    expect(new TextDecoder().decode(csv.data)).toContain('nc1');
    await api.closeFile(state.files[0].id);
    await api.closeFile(state.files[1].id);
  });

  it('refuses an upload over the limit with a message naming the file and the limit', async () => {
    const api = createHttpClient({ base: `http://127.0.0.1:${server.port}`, token: server.token });
    const big = new File([new Uint8Array(3_000_000)], 'big.npy');
    const e = await api.openFiles([big]).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(NcLensError);
    expect((e as NcLensError).message).toMatch(/big\.npy: expected at most 1\.9 MB/);
    expect((await api.state()).files).toHaveLength(0);
  });

  it('names a bad file and keeps the earlier result; cancel rejects as cancelled', async () => {
    const api = createHttpClient({ base: `http://127.0.0.1:${server.port}`, token: server.token });
    await api.openFiles([fileOf(`${MNIST}/mnist_small_epoch080.npz`, 'epoch080.npz')]);
    const first = (await api.analyze()).result;
    expect(first).not.toBeNull();
    const bad = await api
      .openFiles([fileOf(`${FORMATS}/bad/not_npy.npy`)])
      .catch((e: unknown) => e);
    expect((bad as NcLensError).message).toContain('not_npy.npy');
    expect((await api.state()).result).toEqual(first);
    let cancelling = false;
    const cancelled = await api
      .analyze(() => {
        if (!cancelling) void api.cancel();
        cancelling = true;
      })
      .catch((e: unknown) => e);
    expect((cancelled as NcLensError).code).toBe('cancelled');
    expect((await api.state()).result).toEqual(first);
  });

  it('removes the upload folder on close', async () => {
    const other = await startServer({ port: 0, staticDir: null });
    expect(existsSync(other.uploads.dir)).toBe(true);
    await other.close();
    expect(existsSync(other.uploads.dir)).toBe(false);
  });
});
