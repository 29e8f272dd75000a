/**
 * The page's transport worker: runs `wireRequest` (fetch, records, JSON.parse) off the main
 * thread and posts back the reply with the results' large arrays transferred (or shared), and
 * many classes' per-class rows ahead of it in parts (each read by the page in a task of its
 * own). Messages: in `{ id, req }`; out `{ id, progress }`, `{ id, part }` or `{ id, reply }`
 * (last).
 */
import {
  splitRowParts,
  wireRequest,
  type WireBuffers,
  type WireReply,
  type WireRequest,
} from './wire.ts';

interface Scope {
  onmessage: ((e: MessageEvent<{ id: number; req: WireRequest }>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
}
const scope = self as unknown as Scope;

scope.onmessage = (e) => {
  const { id, req } = e.data;
  const buffers: WireBuffers = [];
  void wireRequest(req, (progress) => scope.postMessage({ id, progress }), buffers).then(
    (reply: WireReply) => {
      let value: unknown;
      if (reply.kind === 'envelope' && reply.envelope?.ok) value = reply.envelope.value;
      if (reply.kind === 'stream' && reply.outcome?.ok) value = reply.outcome.value;
      if (value !== undefined)
        for (const part of splitRowParts(value)) scope.postMessage({ id, part });
      scope.postMessage({ id, reply }, buffers);
    },
  );
};
