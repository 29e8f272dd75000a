/**
 * The page's side of the transport worker (wire-worker.ts): each request goes to the worker,
 * which fetches and parses it; progress and the reply come back as messages.
 */
import { joinRowParts, type RowPart, type WireReply, type WireRequest } from './wire.ts';

export type Transport = (req: WireRequest, onProgress: (p: unknown) => void) => Promise<WireReply>;

/** A transport through one module worker, or null where workers are not available. */
export function workerTransport(): Transport | null {
  if (typeof Worker === 'undefined') return null;
  let worker: Worker;
  try {
    worker = new Worker(new URL('./wire-worker.ts', import.meta.url), { type: 'module' });
  } catch {
    return null;
  }
  let nextId = 1;
  const waiting = new Map<
    number,
    { resolve: (r: WireReply) => void; onProgress: (p: unknown) => void; parts: RowPart[] }
  >();
  worker.onmessage = (
    e: MessageEvent<{ id: number; progress?: unknown; part?: RowPart; reply?: WireReply }>,
  ) => {
    const w = waiting.get(e.data.id);
    if (!w) return;
    if (e.data.reply) {
      waiting.delete(e.data.id);
      const reply = e.data.reply;
      if (w.parts.length > 0) {
        if (reply.kind === 'envelope' && reply.envelope?.ok)
          joinRowParts(reply.envelope.value, w.parts);
        if (reply.kind === 'stream' && reply.outcome?.ok)
          joinRowParts(reply.outcome.value, w.parts);
      }
      w.resolve(reply);
    } else if (e.data.part) w.parts.push(e.data.part);
    else w.onProgress(e.data.progress);
  };
  return (req, onProgress) =>
    new Promise((resolve) => {
      const id = nextId++;
      waiting.set(id, { resolve, onProgress, parts: [] });
      worker.postMessage({ id, req });
    });
}
