/**
 * Reading the browser shell's responses: an API envelope (JSON) or an analysis's event
 * stream. No DOM here: the same code runs in Node (the service tests), on the page, and in
 * the page's transport worker (wire-worker.ts), which keeps parsing a result of many classes
 * (tens of MB of JSON) off the main thread and hands its large number arrays over as typed
 * arrays, transferred rather than copied.
 */
import type { Envelope } from '../../../shared/transport.ts';

/** What a POST to the server came back as. */
export type WireReply =
  /** A JSON envelope, or text that is none (a server error page): `text` then. */
  | { kind: 'envelope'; status: number; envelope: Envelope<unknown> | null; text: string }
  /** An event stream ended: the last `result` or `error` event, if any. */
  | { kind: 'stream'; outcome: Envelope<unknown> | null }
  | { kind: 'unreachable' };

export interface WireRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** The answer is an event stream (analyze): progress events go to `onProgress`. */
  stream: boolean;
}

/** Parses a text/event-stream body into its events. */
export async function* serverSentEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<{ event: string; data: string }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  // The result event can be tens of MB: chunks are kept in a list and joined once an event
  // ends, and each chunk is searched for the end of an event only once.
  let parts: string[] = [];
  let carry = '';
  for (;;) {
    const { value, done } = await reader.read();
    let chunk = value ? decoder.decode(value, { stream: true }) : '';
    if (done) chunk += decoder.decode();
    // `carry` is the tail of the previous chunk that may begin a '\n\n' across chunks.
    let text = carry + chunk;
    carry = '';
    let end: number;
    while ((end = text.indexOf('\n\n')) >= 0) {
      parts.push(text.slice(0, end));
      text = text.slice(end + 2);
      yield parseEvent(parts.join(''));
      parts = [];
    }
    if (text.endsWith('\n')) {
      parts.push(text.slice(0, -1));
      carry = '\n';
    } else parts.push(text);
    if (done) return;
  }
}

function parseEvent(block: string): { event: string; data: string } {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  return { event, data: data.join('\n') };
}

/** POSTs `req` and reads the answer; `onProgress` gets each progress event's data. */
export async function wireRequest(
  req: WireRequest,
  onProgress: (data: unknown) => void,
): Promise<WireReply> {
  let res: Response;
  try {
    res = await fetch(req.url, {
      method: 'POST',
      headers: { ...req.headers, 'Content-Type': 'application/json' },
      body: req.body,
    });
  } catch {
    return { kind: 'unreachable' };
  }
  if (req.stream && res.ok && res.body) {
    let outcome: Envelope<unknown> | null = null;
    try {
      for await (const ev of serverSentEvents(res.body)) {
        if (ev.event === 'progress') onProgress(JSON.parse(ev.data));
        else if (ev.event === 'result') outcome = { ok: true, value: JSON.parse(ev.data) };
        else if (ev.event === 'error') outcome = { ok: false, error: JSON.parse(ev.data) };
      }
    } catch {
      // The stream broke: the server went away mid-analysis.
    }
    return { kind: 'stream', outcome };
  }
  const text = await res.text();
  let envelope: Envelope<unknown> | null = null;
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object' && 'ok' in body) envelope = body as Envelope<unknown>;
  } catch {
    envelope = null;
  }
  return { kind: 'envelope', status: res.status, envelope, text: envelope ? '' : text };
}

/** Points of a reply's result (a series' points, or the one result), for the helpers below. */
function replyMetrics(value: unknown): Record<string, unknown>[] {
  const result = (value as { result?: unknown } | null)?.result;
  if (!result || typeof result !== 'object') return [];
  const points = (result as { points?: { metrics: Record<string, unknown> }[] }).points;
  return Array.isArray(points) ? points.map((p) => p.metrics) : [result as Record<string, unknown>];
}

/** Geometry fields that grow with C·D or with the sample cloud. */
const LARGE_GEOMETRY = ['means', 'weights'] as const;
const LARGE_SAMPLES = ['basis', 'coords', 'classes'] as const;
/** Arrays shorter than this stay plain arrays (a few classes: nothing to gain). */
export const TYPED_FROM = 20_000;

/** Whether this page can share memory with its workers (the browser shell sends the headers). */
const canShare = () =>
  typeof SharedArrayBuffer !== 'undefined' &&
  (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;

/**
 * Replaces the large number arrays of every result in `value` (geometry means, weights, the
 * sample cloud, the cosine summary) by Float64Arrays, in place, and returns their buffers to
 * transfer. Where the page is cross-origin isolated they are SharedArrayBuffers (nothing to
 * transfer): the page then hands them to the 3-D view's worker without copying them. The
 * arrays are read only (by index and length), never grown, so the views take either kind.
 */
export function packLargeArrays(value: unknown): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  const shared = canShare();
  const pack = (o: Record<string, unknown> | undefined, keys: readonly string[]) => {
    if (!o) return;
    for (const k of keys) {
      const a = o[k];
      if (Array.isArray(a) && a.length >= TYPED_FROM) {
        if (shared) {
          const t = new Float64Array(new SharedArrayBuffer(a.length * 8));
          t.set(a as number[]);
          o[k] = t;
        } else {
          const t = Float64Array.from(a as number[]);
          o[k] = t;
          buffers.push(t.buffer);
        }
      }
    }
  };
  const visit = (m: unknown) => {
    const g = (m as { geometry?: Record<string, unknown> } | null)?.geometry;
    if (!g) return;
    pack(g, LARGE_GEOMETRY);
    pack(g.samples as Record<string, unknown> | undefined, LARGE_SAMPLES);
    pack(g.cosine_summary as Record<string, unknown> | undefined, ['cos']);
  };
  replyMetrics(value).forEach(visit);
  return buffers;
}

/** Per-class rows sent in one message at most (each message is one task to read on the page). */
export const PART_ROWS = 1_500;

/** A slice of one point's per-class rows (`split`: the train rows, or the test split's). */
export interface RowPart {
  point: number;
  split: 'train' | 'test';
  rows: unknown[];
}

/**
 * Takes the per-class rows of every result in `value` out, in place, as parts of at most
 * PART_ROWS rows: the page reads each part as a message of its own (structured clone of
 * 10 000 rows of objects is a few hundred milliseconds in one task) and puts them back with
 * `joinRowParts`. Fewer rows stay where they are.
 */
export function splitRowParts(value: unknown): RowPart[] {
  const parts: RowPart[] = [];
  replyMetrics(value).forEach((m, point) => {
    const splits: [RowPart['split'], Record<string, unknown> | undefined][] = [
      ['train', m],
      ['test', m.test as Record<string, unknown> | undefined],
    ];
    for (const [split, holder] of splits) {
      const rows = holder?.per_class;
      if (!Array.isArray(rows) || rows.length <= PART_ROWS) continue;
      for (let i = 0; i < rows.length; i += PART_ROWS)
        parts.push({ point, split, rows: rows.slice(i, i + PART_ROWS) });
      holder!.per_class = [];
    }
  });
  return parts;
}

/** Puts parts taken by `splitRowParts` back into `value`, in their order. */
export function joinRowParts(value: unknown, parts: RowPart[]): void {
  const metrics = replyMetrics(value);
  for (const part of parts) {
    const m = metrics[part.point];
    const holder = (part.split === 'test' ? m?.test : m) as { per_class: unknown[] } | undefined;
    if (!holder) continue;
    for (const row of part.rows) holder.per_class.push(row);
  }
}
