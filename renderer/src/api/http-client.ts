/**
 * The browser shell's client: NcLensApi over the loopback HTTP server of `nc-lens serve`.
 * The per-run token (see page.ts) goes as a header on every API call. No DOM here, so the
 * client also runs in Node (the service tests drive the real server with it).
 */
import type { ExportFormat, FileRef, SessionState } from '../../../shared/api.ts';
import { NcLensError, fromErrorValue } from '../../../shared/errors.ts';
import type { ErrorValue } from '../../../shared/errors.ts';
import type { Progress } from '../../../shared/schema.ts';
import { ROUTES, TOKEN_HEADER } from '../../../shared/transport.ts';
import type { CallMethod, Envelope } from '../../../shared/transport.ts';
import { plainMethods, type ClientApi } from './client.ts';

/** What a refused connection means here: the `nc-lens serve` process is gone. */
const SERVER_GONE = 'the NC Lens server is not reachable; restart nc-lens serve and reload';

export interface HttpClientOptions {
  /** Server origin; '' for the page's own. */
  base?: string;
  token: string;
  /** Hands exported bytes to the user (a download in the page). */
  save?: (file: { name: string; mime: string; data: Uint8Array }) => void;
}

export function createHttpClient(options: HttpClientOptions): ClientApi {
  const base = options.base ?? '';
  const headers = { [TOKEN_HEADER]: options.token };

  async function post(route: string, body: unknown): Promise<Response> {
    try {
      return await fetch(base + route, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    } catch {
      throw new NcLensError('internal', SERVER_GONE);
    }
  }

  async function call<T>(method: CallMethod, ...args: unknown[]): Promise<T> {
    return unwrap<T>(await post(ROUTES.call + method, { args }));
  }

  async function upload(file: File): Promise<FileRef> {
    const url = `${base}${ROUTES.upload}?name=${encodeURIComponent(file.name)}`;
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers, body: file });
    } catch {
      throw new NcLensError('bad-input', `${file.name}: upload failed (${SERVER_GONE})`, file.name);
    }
    return unwrap<FileRef>(res);
  }

  const api: ClientApi = {
    ...plainMethods(call),
    async analyze(onProgress?: (p: Progress) => void): Promise<SessionState> {
      const res = await post(ROUTES.analyze, {});
      if (!res.ok || !res.body) return unwrap(res);
      let outcome: Envelope<SessionState> | undefined;
      try {
        for await (const ev of serverSentEvents(res.body)) {
          if (ev.event === 'progress') onProgress?.(JSON.parse(ev.data) as Progress);
          else if (ev.event === 'result') outcome = { ok: true, value: JSON.parse(ev.data) };
          else if (ev.event === 'error') outcome = { ok: false, error: JSON.parse(ev.data) };
        }
      } catch {
        // The stream broke: the server went away mid-analysis.
      }
      if (!outcome) throw new NcLensError('internal', SERVER_GONE);
      if (!outcome.ok) throw fromErrorValue(outcome.error);
      return outcome.value;
    },
    async exportResult(format: ExportFormat, extra?: { viewPng?: Uint8Array; title?: string }) {
      const viewPng = extra?.viewPng ? base64(extra.viewPng) : undefined;
      const res = await post(ROUTES.export, { format, title: extra?.title, viewPng });
      if (!res.ok) return unwrap(res);
      const name = decodeURIComponent(res.headers.get('x-nc-lens-name') ?? `nc-lens.${format}`);
      const mime = res.headers.get('content-type') ?? 'application/octet-stream';
      return { name, mime, data: new Uint8Array(await res.arrayBuffer()) };
    },
    async openFiles(files: File[], opts?: { add?: boolean }): Promise<SessionState> {
      return api.open(await Promise.all(files.map(upload)), opts);
    },
    async saveExport(format: ExportFormat, extra?: { viewPng?: Uint8Array; title?: string }) {
      const out = await api.exportResult(format, extra);
      options.save?.(out);
    },
    onCommand: () => () => {},
  };
  return api;
}

/** The value of an `Envelope` response, or its error rebuilt as an NcLensError. */
async function unwrap<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: Envelope<T> | undefined;
  try {
    body = JSON.parse(text) as Envelope<T>;
  } catch {
    body = undefined;
  }
  if (body && typeof body === 'object' && 'ok' in body) {
    if (body.ok) return body.value;
    throw fromErrorValue(body.error);
  }
  const error: ErrorValue = { code: 'internal', message: `server: ${res.status} ${text.trim()}` };
  throw fromErrorValue(error);
}

/** Parses a text/event-stream body into its events. */
export async function* serverSentEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<{ event: string; data: string }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      yield { event, data: data.join('\n') };
    }
    if (done) return;
  }
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}
