/**
 * The 3-D view's frames of many classes, off the main thread: each message is one point's
 * geometry (and the basis to draw it in, or none for its own PCA); the reply is its frame and
 * basis, the sample positions transferred.
 */
import { largeFrame, type LargeFrameInput } from './frames.ts';

interface Scope {
  onmessage:
    ((e: MessageEvent<{ id: number; input: LargeFrameInput; basis?: number[][] }>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
}
const scope = self as unknown as Scope;

scope.onmessage = (e) => {
  const { id, input, basis } = e.data;
  const out = largeFrame(input, basis);
  const positions = out.frame.samples?.positions;
  scope.postMessage({ id, ...out }, positions ? [positions.buffer] : []);
};
