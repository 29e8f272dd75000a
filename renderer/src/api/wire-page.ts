/**
 * The page's side of the transport worker (wire-worker.ts): each request goes to the worker,
 * which fetches and parses it; progress and the reply come back as messages.
 */
import type { WireReply, WireRequest } from './wire.ts';

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
    { resolve: (r: WireReply) => void; onProgress: (p: unknown) => void }
  >();
  worker.onmessage = (e: MessageEvent<{ id: number; progress?: unknown; reply?: WireReply }>) => {
    const w = waiting.get(e.data.id);
    if (!w) return;
    if (e.data.reply) {
      waiting.delete(e.data.id);
      w.resolve(e.data.reply);
    } else w.onProgress(e.data.progress);
  };
  return (req, onProgress) =>
    new Promise((resolve) => {
      const id = nextId++;
      waiting.set(id, { resolve, onProgress });
      worker.postMessage({ id, req });
    });
}
