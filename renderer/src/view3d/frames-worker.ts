/**
 * The 3-D view's frames of many classes, off the main thread: each message is one point's
 * geometry (and the basis to draw it in, or none for its own PCA); the reply is its frame and
 * basis, the sample positions transferred.
 */
import { largeFrame, packRows, type LargeFrameInput } from './frames.ts';

interface Scope {
  onmessage:
    ((e: MessageEvent<{ id: number; input: LargeFrameInput; basis?: number[][] }>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
}
const scope = self as unknown as Scope;

scope.onmessage = (e) => {
  const { id, input, basis } = e.data;
  const { frame, basis: used } = largeFrame(input, basis);
  const positions = frame.samples?.positions;
  // The means, ideal vertices and classifier rows flat (packRows): 3·10⁴ little arrays took the
  // page's thread ~100 ms to receive, a flat array almost nothing.
  const { means, ideal, weights, ...rest } = frame;
  const packed = {
    means: packRows(means),
    ideal: packRows(ideal),
    weights: weights && packRows(weights),
  };
  const buffers = [packed.means, packed.ideal, packed.weights].flatMap((r) =>
    r ? [r.flat.buffer] : [],
  );
  scope.postMessage(
    { id, frame: rest, packed, basis: used },
    positions ? [positions.buffer, ...buffers] : buffers,
  );
};
