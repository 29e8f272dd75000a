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
import { plainMethods, type ClientApi, type OpenFilesOptions } from './client.ts';
import type { Transport } from './wire-page.ts';
import { wireRequest } from './wire.ts';

/** What a refused connection means here: the `nc-lens serve` process is gone. */
const SERVER_GONE = 'the NC Lens server is not reachable; restart nc-lens serve and reload';

export interface HttpClientOptions {
  /** Server origin; '' for the page's own. */
  base?: string;
  token: string;
  /** Hands exported bytes to the user (a download in the page). */
  save?: (file: { name: string; mime: string; data: Uint8Array }) => void;
  /** How requests travel and are parsed; default `wireRequest` here (the page: its worker). */
  transport?: Transport;
}

export function createHttpClient(options: HttpClientOptions): ClientApi {
  const base = options.base ?? '';
  const headers = { [TOKEN_HEADER]: options.token };
  const transport = options.transport ?? wireRequest;

  async function request<T>(
    route: string,
    body: unknown,
    onProgress?: (p: Progress) => void,
  ): Promise<T> {
    const reply = await transport(
      { url: base + route, headers, body: JSON.stringify(body), stream: !!onProgress },
      (p) => onProgress?.(p as Progress),
    );
    if (reply.kind === 'unreachable') throw new NcLensError('internal', SERVER_GONE);
    if (reply.kind === 'stream') {
      if (!reply.outcome) throw new NcLensError('internal', SERVER_GONE);
      return valueOf<T>(reply.outcome);
    }
    if (reply.envelope) return valueOf<T>(reply.envelope);
    const error: ErrorValue = {
      code: 'internal',
      message: `server: ${reply.status} ${reply.text.trim()}`,
    };
    throw fromErrorValue(error);
  }

  async function call<T>(method: CallMethod, ...args: unknown[]): Promise<T> {
    return request<T>(ROUTES.call + method, { args });
  }

  /**
   * One file streamed to the server (XMLHttpRequest: fetch reports no upload progress).
   * `sent(bytes)` reports the bytes sent so far; `signal` aborts it as `cancelled`.
   */
  function upload(
    file: File,
    sent: (bytes: number) => void,
    signal?: AbortSignal,
  ): Promise<FileRef> {
    const url = `${base}${ROUTES.upload}?name=${encodeURIComponent(file.name)}`;
    if (typeof XMLHttpRequest === 'undefined') return uploadByFetch(url, file, sent, signal);
    return new Promise<FileRef>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      const abort = () => xhr.abort();
      const done = () => signal?.removeEventListener('abort', abort);
      xhr.open('POST', url);
      for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => sent(e.loaded);
      xhr.onload = () => {
        done();
        sent(file.size);
        const res = new Response(xhr.responseText, { status: xhr.status });
        unwrap<FileRef>(res).then(resolve, reject);
      };
      xhr.onerror = () => {
        done();
        reject(
          new NcLensError('bad-input', `${file.name}: upload failed (${SERVER_GONE})`, file.name),
        );
      };
      xhr.onabort = () => {
        done();
        reject(new NcLensError('cancelled', `${file.name}: upload cancelled`, file.name));
      };
      if (signal?.aborted) return xhr.onabort(new ProgressEvent('abort'));
      signal?.addEventListener('abort', abort, { once: true });
      xhr.send(file);
    });
  }

  /** Where there is no XMLHttpRequest (Node drives this client in tests): progress at the end. */
  async function uploadByFetch(
    url: string,
    file: File,
    sent: (bytes: number) => void,
    signal?: AbortSignal,
  ): Promise<FileRef> {
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers, body: file, signal });
    } catch {
      if (signal?.aborted)
        throw new NcLensError('cancelled', `${file.name}: upload cancelled`, file.name);
      throw new NcLensError('bad-input', `${file.name}: upload failed (${SERVER_GONE})`, file.name);
    }
    sent(file.size);
    return unwrap<FileRef>(res);
  }

  const api: ClientApi = {
    ...plainMethods(call),
    analyze(onProgress?: (p: Progress) => void): Promise<SessionState> {
      return request<SessionState>(ROUTES.analyze, {}, onProgress ?? (() => undefined));
    },
    async exportResult(format: ExportFormat, extra?: { viewPng?: Uint8Array; title?: string }) {
      const viewPng = extra?.viewPng ? base64(extra.viewPng) : undefined;
      let res: Response;
      try {
        res = await fetch(base + ROUTES.export, {
          method: 'POST',
          headers: { ...headers, 'Content-Type': 'application/json' },
          body: JSON.stringify({ format, title: extra?.title, viewPng }),
        });
      } catch {
        throw new NcLensError('internal', SERVER_GONE);
      }
      if (!res.ok) return unwrap(res);
      const name = decodeURIComponent(res.headers.get('x-nc-lens-name') ?? `nc-lens.${format}`);
      const mime = res.headers.get('content-type') ?? 'application/octet-stream';
      return { name, mime, data: new Uint8Array(await res.arrayBuffer()) };
    },
    async openFiles(files: File[], opts?: OpenFilesOptions): Promise<SessionState> {
      const total = files.reduce((s, f) => s + f.size, 0);
      const sent = files.map(() => 0);
      const report = (i: number) => (bytes: number) => {
        sent[i] = bytes;
        if (total > 0) opts?.onProgress?.(sent.reduce((a, b) => a + b, 0) / total);
      };
      const refs = await Promise.all(files.map((f, i) => upload(f, report(i), opts?.signal)));
      // A cancel after the last byte still keeps the open files: the uploads are not opened.
      if (opts?.signal?.aborted) throw new NcLensError('cancelled', 'upload cancelled');
      return api.open(refs, { add: opts?.add });
    },
    fileRefs(files: File[], opts?: { signal?: AbortSignal }): Promise<FileRef[]> {
      return Promise.all(files.map((f) => upload(f, () => undefined, opts?.signal)));
    },
    async saveExport(format: ExportFormat, extra?: { viewPng?: Uint8Array; title?: string }) {
      const out = await api.exportResult(format, extra);
      options.save?.(out);
    },
    onCommand: () => () => {},
  };
  return api;
}

function valueOf<T>(envelope: Envelope<unknown>): T {
  if (envelope.ok) return envelope.value as T;
  throw fromErrorValue(envelope.error);
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
  if (body && typeof body === 'object' && 'ok' in body) return valueOf<T>(body);
  const error: ErrorValue = { code: 'internal', message: `server: ${res.status} ${text.trim()}` };
  throw fromErrorValue(error);
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}
