/**
 * The browser shell's HTTP server: the built renderer and the service API, on 127.0.0.1 only.
 * A local server is reachable by every web page the user visits, so every request must carry
 * the per-run token and a Host/Origin of this server (DNS rebinding: a foreign page that
 * resolves its own name to 127.0.0.1 still sends its own Host and Origin).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { badInput, toErrorValue } from '../../../shared/errors.ts';
import type { ErrorValue } from '../../../shared/errors.ts';
import type { Progress } from '../../../shared/schema.ts';
import { CALL_METHODS, ROUTES, TOKEN_HEADER } from '../../../shared/transport.ts';
import { RECORDS_MIME, largeArrays, packRecord, type RecordKind } from '../../../shared/packed.ts';
import type { CallMethod } from '../../../shared/transport.ts';
import { AnalysisService } from '../../service/session.ts';
import { UploadQuotaFull, UploadStore, UploadTooLarge } from './uploads.ts';
import { CSP, ISOLATION_HEADERS } from '../csp.ts';
import { callArgs, exportArgs } from '../../service/args.ts';

export interface ServerOptions {
  /** 0 picks a free port. */
  port?: number;
  /** The built renderer (index.html and assets); null serves the API only. */
  staticDir: string | null;
  maxUploadBytes?: number;
  /** All uploads together (default DEFAULT_MAX_TOTAL_UPLOADS, and never past the free disk). */
  maxTotalUploadBytes?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  session: AnalysisService;
  uploads: UploadStore;
  close(): Promise<void>;
}

/** Cookies ignore ports: each server names its own, so two servers on one host do not clash. */
const cookieName = (port: number) => `nc_lens_token_${port}`;
/** JSON bodies are small (a view PNG at most); uploads go through their own streaming route. */
const MAX_JSON_BYTES = 32 * 1024 * 1024;

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const token = randomBytes(24).toString('base64url');
  const uploads = new UploadStore(opts.maxUploadBytes, opts.maxTotalUploadBytes);
  const session = new AnalysisService({
    shell: 'browser',
    resolveUpload: (id) => uploads.resolve(id),
  });
  const server = createServer();
  await listen(server, opts.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  const ctx: Context = { token, port, session, uploads, staticDir: opts.staticDir };
  server.on('request', (req, res) => {
    handle(ctx, req, res).catch((e) => sendError(res, e));
  });
  const close = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await session.dispose();
    uploads.dispose();
  };
  return { url: `http://127.0.0.1:${port}/?token=${token}`, port, token, session, uploads, close };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? badInput(undefined, `a free port`, `port ${port} in use (try --port 0)`)
          : e,
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

interface Context {
  token: string;
  port: number;
  session: AnalysisService;
  uploads: UploadStore;
  staticDir: string | null;
}

async function handle(ctx: Context, req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
  const refusal = foreignRequest(ctx.port, req);
  if (refusal) return sendText(res, 403, refusal);
  const url = new URL(req.url ?? '/', `http://127.0.0.1:${ctx.port}`);
  const isApi = url.pathname.startsWith('/api/');
  if (!tokenMatches(ctx.token, presentedToken(req, url, isApi, ctx.port))) {
    return sendText(res, 401, 'missing or wrong token: open the URL that nc-lens serve printed');
  }
  if (!isApi) return serveStatic(ctx, req, res, url);
  if (req.method !== 'POST') return sendText(res, 405, 'API calls are POST');
  if (url.pathname === ROUTES.upload) return upload(ctx, req, res, url);
  if (url.pathname === ROUTES.analyze) return analyze(ctx, req, res);
  if (url.pathname === ROUTES.export) return exportResult(ctx, req, res);
  if (url.pathname.startsWith(ROUTES.call)) {
    return call(ctx, url.pathname.slice(ROUTES.call.length), req, res);
  }
  sendText(res, 404, 'no such API route');
}

/** Why the request is refused, if it names a host or origin other than this server. */
function foreignRequest(port: number, req: IncomingMessage): string | null {
  const hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  if (!hosts.includes(req.headers.host ?? '')) return 'refused: foreign Host header';
  const origin = req.headers.origin;
  if (origin !== undefined && !hosts.some((h) => origin === `http://${h}`)) {
    return 'refused: foreign Origin';
  }
  return null;
}

/**
 * The page gets the token in its URL once (and a same-site cookie for its own assets); API
 * calls must send it in a header, which a cross-site form or image cannot do.
 */
function presentedToken(
  req: IncomingMessage,
  url: URL,
  isApi: boolean,
  port: number,
): string | undefined {
  const header = req.headers[TOKEN_HEADER];
  if (typeof header === 'string') return header;
  if (isApi) return undefined;
  return url.searchParams.get('token') ?? cookieToken(req.headers.cookie, port);
}

function cookieToken(cookie: string | undefined, port: number): string | undefined {
  const m = (cookie ?? '').match(new RegExp(`(?:^|;\\s*)${cookieName(port)}=([^;]+)`));
  return m?.[1];
}

function tokenMatches(expected: string, given: string | undefined): boolean {
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.npz': 'application/octet-stream',
};

function serveStatic(ctx: Context, req: IncomingMessage, res: ServerResponse, url: URL): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'GET only');
  if (!ctx.staticDir || !existsSync(join(ctx.staticDir, 'index.html'))) {
    return sendText(res, 503, 'the app is not built: run npm run build');
  }
  let rel: string;
  try {
    rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
  } catch {
    return sendText(res, 400, 'bad request: a malformed percent-encoding in the path');
  }
  const path = normalize(join(ctx.staticDir, rel));
  if (!path.startsWith(normalize(ctx.staticDir) + sep) || !isFile(path)) {
    return sendText(res, 404, 'not found');
  }
  if (url.searchParams.has('token')) {
    res.setHeader(
      'Set-Cookie',
      `${cookieName(ctx.port)}=${ctx.token}; HttpOnly; SameSite=Strict; Path=/`,
    );
  }
  res.setHeader('Content-Type', MIME[extname(path)] ?? 'application/octet-stream');
  res.setHeader('Content-Security-Policy', CSP);
  for (const [name, value] of Object.entries(ISOLATION_HEADERS)) res.setHeader(name, value);
  res.writeHead(200);
  if (req.method === 'HEAD') return void res.end();
  createReadStream(path).pipe(res);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

async function upload(
  ctx: Context,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const name = url.searchParams.get('name') ?? 'upload';
  const declared = Number(req.headers['content-length'] ?? NaN);
  try {
    if (declared > ctx.uploads.maxBytes) {
      // Answer at once, then drop the body: the browser reads the 413 without waiting.
      req.resume();
      throw new UploadTooLarge(name, ctx.uploads.maxBytes);
    }
    try {
      ctx.uploads.checkQuota(name, declared);
    } catch (e) {
      req.resume();
      throw e;
    }
    sendJson(res, 200, { ok: true, value: await ctx.uploads.receive(req, name) });
  } catch (e) {
    const full = e instanceof UploadTooLarge || e instanceof UploadQuotaFull;
    sendError(res, e, full ? 413 : undefined);
  }
}

async function call(
  ctx: Context,
  method: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (!(CALL_METHODS as readonly string[]).includes(method)) {
    return sendError(res, badInput(undefined, 'an API method', `'${method}'`), 404);
  }
  const args = callArgs(method as CallMethod, await readJson(req));
  const fn = ctx.session[method as CallMethod] as (...a: unknown[]) => Promise<unknown>;
  const value = await fn.apply(ctx.session, args);
  // A value with large number arrays (a session state of many classes) goes as one record.
  if (largeArrays(value).length > 0) {
    res.writeHead(200, { 'Content-Type': RECORDS_MIME });
    writeRecord(res, 'value', value);
    return void res.end();
  }
  sendJson(res, 200, { ok: true, value: value ?? null });
}

function writeRecord(res: ServerResponse, kind: RecordKind, value: unknown): void {
  for (const part of packRecord(kind, value)) res.write(part);
}

/**
 * Analysis as a stream of records (shared/packed.ts) on the POST response: `progress` records,
 * then one `value` (the session state) or `error`. A client that goes away cancels its
 * analysis.
 */
async function analyze(ctx: Context, req: IncomingMessage, res: ServerResponse): Promise<void> {
  await readJson(req);
  res.writeHead(200, { 'Content-Type': RECORDS_MIME, 'X-Accel-Buffering': 'no' });
  let done = false;
  res.on('close', () => {
    if (!done) void ctx.session.cancel();
  });
  let last = 0;
  const onProgress = (p: Progress) => {
    const now = Date.now();
    // Throttled: the engine may report per chunk; the page repaints at most every frame anyway.
    if (now - last < 50 && p.fraction < 1) return;
    last = now;
    writeRecord(res, 'progress', p);
  };
  try {
    const state = await ctx.session.analyze(onProgress);
    writeRecord(res, 'value', state);
  } catch (e) {
    writeRecord(res, 'error', toErrorValue(e));
  } finally {
    done = true;
    res.end();
  }
}

async function exportResult(
  ctx: Context,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { format, title, viewPng } = exportArgs(await readJson(req));
  const out = await ctx.session.exportResult(format, { title, viewPng });
  res.writeHead(200, {
    'Content-Type': out.mime,
    'Content-Disposition': `attachment; filename="${out.name.replace(/"/g, '')}"`,
    'X-NC-Lens-Name': encodeURIComponent(out.name),
  });
  res.end(out.data);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BYTES)
      throw badInput(undefined, `a request body under ${MAX_JSON_BYTES / 1024 ** 2} MiB`, 'more');
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw badInput(undefined, 'a JSON request body', 'invalid JSON');
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text + '\n');
}

function sendError(res: ServerResponse, e: unknown, status?: number): void {
  const error: ErrorValue = toErrorValue(e);
  const code = status ?? (error.code === 'internal' ? 500 : error.code === 'cancelled' ? 409 : 400);
  sendJson(res, code, { ok: false, error });
}
