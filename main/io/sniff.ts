/**
 * Which reader a file needs: magic bytes first (a misnamed file still opens), then the
 * extension for formats without magic (ONNX protobufs).
 */
import path from 'node:path';
import { NPY_MAGIC } from './npy.ts';
import { LEGACY_MAGIC } from './torch.ts';
import type { Format } from './types.ts';

const ZIP_MAGICS = [
  [0x50, 0x4b, 0x03, 0x04],
  [0x50, 0x4b, 0x05, 0x06],
];

const EXTENSIONS: Record<string, Format> = {
  '.npy': 'npy',
  '.npz': 'npz',
  '.pb': 'onnx-tensor',
  '.tensor': 'onnx-tensor',
  '.onnx': 'onnx-model',
  '.safetensors': 'safetensors',
  '.pt': 'torch',
  '.pth': 'torch',
  '.bin': 'torch',
  '.txt': 'names',
  '.json': 'names',
};

export const SUPPORTED_FORMATS =
  'a .npy, .npz, ONNX TensorProto (.pb), .safetensors or PyTorch (.pt) file';

/** How many leading bytes `sniffFormat` looks at (a zip's first entry name included). */
export const HEAD_BYTES = 512;

/** `head`: the file's first HEAD_BYTES bytes or fewer; `size`: its length. */
export function sniffFormat(file: string, head: Uint8Array, size: number): Format | undefined {
  if (startsWith(head, NPY_MAGIC)) return 'npy';
  if (startsWith(head, LEGACY_MAGIC)) return 'torch';
  if (ZIP_MAGICS.some((m) => startsWith(head, m))) return isTorchZip(head) ? 'torch' : 'npz';
  if (looksLikeSafetensors(head, size)) return 'safetensors';
  return EXTENSIONS[path.extname(file).toLowerCase()];
}

/** torch.save's zip archives start with the entry `<name>/data.pkl`. */
function isTorchZip(head: Uint8Array): boolean {
  if (head.length < 30) return false;
  const length = head[26] | (head[27] << 8);
  const name = Buffer.from(head.subarray(30, 30 + length)).toString('latin1');
  return /^([^/]+\/)?data\.pkl$/.test(name);
}

function startsWith(head: Uint8Array, magic: ArrayLike<number>): boolean {
  if (head.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (head[i] !== magic[i]) return false;
  return true;
}

/** A plausible header length followed by the JSON header's opening brace. */
function looksLikeSafetensors(head: Uint8Array, size: number): boolean {
  if (head.length < 9 || head[8] !== 0x7b) return false;
  const length = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  return length >= 2n && 8n + length <= BigInt(size);
}
