/**
 * Reading the browser shell's responses: an API envelope (JSON), or records (shared/packed.ts):
 * an analysis's progress and outcome, or a value with large number arrays, which arrive as
 * Float64Arrays. No DOM here: the same code runs in Node (the service tests), on the page, and
 * in the page's transport worker (wire-worker.ts), which keeps reading a result of many
 * classes off the main thread and hands its arrays over, transferred or shared, not copied.
 */
import { RECORDS_MIME, readRecords } from '../../../shared/packed.ts';
import type { ErrorValue } from '../../../shared/errors.ts';
import type { Envelope } from '../../../shared/transport.ts';

/** What a POST to the server came back as. */
export type WireReply =
  /** A JSON envelope, or text that is none (a server error page): `text` then. */
  | { kind: 'envelope'; status: number; envelope: Envelope<unknown> | null; text: string }
  /** An analysis's records ended: its outcome (value or error), if any arrived. */
  | { kind: 'stream'; outcome: Envelope<unknown> | null }
  | { kind: 'unreachable' };

/** What a reply's arrays were read into: the buffers to transfer on (none when shared). */
export type WireBuffers = ArrayBuffer[];

export interface WireRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** The answer is an analysis's records: progress records go to `onProgress`. */
  stream: boolean;
}

/** Whether this page can share memory with its workers (the browser shell sends the headers). */
const canShare = () =>
  typeof SharedArrayBuffer !== 'undefined' &&
  (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;

/**
 * POSTs `req` and reads the answer; `onProgress` gets each progress record's value. The large
 * arrays of a record are read into SharedArrayBuffers where the page is cross-origin isolated
 * (its workers then read them without a copy); otherwise into buffers listed in `buffers`.
 */
export async function wireRequest(
  req: WireRequest,
  onProgress: (data: unknown) => void,
  buffers: WireBuffers = [],
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
  if (res.headers.get('content-type') === RECORDS_MIME && res.body) {
    const shared = canShare();
    const allocate = (n: number) => {
      if (shared) return new SharedArrayBuffer(n);
      const b = new ArrayBuffer(n);
      buffers.push(b);
      return b;
    };
    let outcome: Envelope<unknown> | null = null;
    try {
      for await (const r of readRecords(res.body, allocate)) {
        if (r.kind === 'progress') onProgress(r.value);
        else if (r.kind === 'value') outcome = { ok: true, value: r.value };
        else outcome = { ok: false, error: r.value as ErrorValue };
      }
    } catch {
      // The stream broke: the server went away mid-analysis.
      outcome = null;
    }
    if (req.stream) return { kind: 'stream', outcome };
    if (outcome) return { kind: 'envelope', status: res.status, envelope: outcome, text: '' };
    return { kind: 'unreachable' };
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
