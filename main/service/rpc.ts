/**
 * The session across a message port: Electron's main process talks to the service running in
 * a utility process (so the window never waits on a file read or a metric). Messages are plain
 * structured-clone data (large number arrays as Float64Arrays, shared/packed.ts); failures
 * travel as ErrorValue envelopes, never as thrown objects.
 */
import type { ExportFormat } from '../../shared/api.ts';
import { toErrorValue } from '../../shared/errors.ts';
import { typedArrays } from '../../shared/packed.ts';
import type { Progress } from '../../shared/schema.ts';
import { CALL_METHODS } from '../../shared/transport.ts';
import type { CallMethod, Envelope } from '../../shared/transport.ts';
import type { AnalysisService } from './session.ts';

/** The two ends differ (Electron's parentPort, a worker_threads port); this is what both do. */
export interface Port {
  post(message: unknown): void;
  listen(onMessage: (message: unknown) => void): void;
}

export type RemoteMethod = CallMethod | 'analyze' | 'exportResult';

interface Request {
  id: number;
  method: RemoteMethod;
  args: unknown[];
}
type Reply = { id: number; progress: Progress } | { id: number; envelope: Envelope<unknown> };

/** Answers requests arriving on `port` with `session`. */
export function serveService(port: Port, session: AnalysisService): void {
  port.listen((message) => {
    const { id, method, args } = message as Request;
    const progress = (p: Progress) => port.post({ id, progress: p } satisfies Reply);
    // Large number arrays go as Float64Arrays: each structured clone to the window (service
    // process → main → renderer) copies them as bytes, not as lists of numbers.
    void envelopeOf(() => dispatch(session, method, args, progress)).then((envelope) =>
      port.post({
        id,
        envelope: envelope.ok ? { ok: true, value: typedArrays(envelope.value) } : envelope,
      } satisfies Reply),
    );
  });
}

function dispatch(
  session: AnalysisService,
  method: RemoteMethod,
  args: unknown[],
  onProgress: (p: Progress) => void,
): Promise<unknown> {
  if (method === 'analyze') return session.analyze(onProgress);
  if (method === 'exportResult') {
    const [format, extra] = args as [ExportFormat, { viewPng?: Uint8Array; title?: string }?];
    return session.exportResult(format, extra);
  }
  if (!(CALL_METHODS as readonly string[]).includes(method)) {
    return Promise.reject(new Error(`unknown method ${String(method)}`));
  }
  const fn = session[method] as (...a: unknown[]) => Promise<unknown>;
  return fn.apply(session, args);
}

export async function envelopeOf<T>(work: () => Promise<T>): Promise<Envelope<T>> {
  try {
    return { ok: true, value: ((await work()) ?? null) as T };
  } catch (e) {
    return { ok: false, error: toErrorValue(e) };
  }
}

/** The calling end: each request resolves with its envelope; progress goes to its listener. */
export class RemoteService {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (e: Envelope<unknown>) => void; onProgress?: (p: Progress) => void }
  >();

  constructor(private readonly port: Port) {
    port.listen((message) => {
      const reply = message as Reply;
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      if ('progress' in reply) waiting.onProgress?.(reply.progress);
      else {
        this.pending.delete(reply.id);
        waiting.resolve(reply.envelope);
      }
    });
  }

  request(
    method: RemoteMethod,
    args: unknown[],
    onProgress?: (p: Progress) => void,
  ): Promise<Envelope<unknown>> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, onProgress });
      this.port.post({ id, method, args } satisfies Request);
    });
  }

  /** Fails every waiting request (the service process died). */
  failAll(message: string): void {
    for (const [id, w] of this.pending) {
      this.pending.delete(id);
      w.resolve({ ok: false, error: { code: 'internal', message } });
    }
  }
}
