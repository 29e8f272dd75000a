/**
 * The page's transport worker: runs `wireRequest` (fetch, event stream, JSON.parse) off the
 * main thread and posts back the reply with the results' large arrays transferred as typed
 * arrays. Messages: in `{ id, req }`; out `{ id, progress }` or `{ id, reply }`.
 */
import { packLargeArrays, wireRequest, type WireReply, type WireRequest } from './wire.ts';

interface Scope {
  onmessage: ((e: MessageEvent<{ id: number; req: WireRequest }>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
}
const scope = self as unknown as Scope;

scope.onmessage = (e) => {
  const { id, req } = e.data;
  void wireRequest(req, (progress) => scope.postMessage({ id, progress })).then(
    (reply: WireReply) => {
      let transfer: ArrayBuffer[] = [];
      if (reply.kind === 'envelope' && reply.envelope?.ok)
        transfer = packLargeArrays(reply.envelope.value);
      if (reply.kind === 'stream' && reply.outcome?.ok)
        transfer = packLargeArrays(reply.outcome.value);
      scope.postMessage({ id, reply }, transfer);
    },
  );
};
