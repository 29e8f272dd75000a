import type { Role } from '../../shared/api.ts';

export type { Role };

/**
 * What every reader produces. Arrays are never loaded whole: a reader hands out an
 * ArraySource that reads row ranges on demand (through a file handle, or an inflate stream
 * for deflated .npz entries), so dumps larger than RAM can be analysed chunk by chunk.
 */
export type DType =
  'f2' | 'bf16' | 'f4' | 'f8' | 'i1' | 'i2' | 'i4' | 'i8' | 'u1' | 'u2' | 'u4' | 'u8' | 'b1';

export type Format =
  | 'npy'
  | 'npz'
  | 'onnx-tensor'
  | 'onnx-model'
  | 'safetensors'
  | 'torch'
  /** Class names (main/io/names.ts): no arrays. */
  | 'names';

export interface ArrayInfo {
  /** Array name: the npz entry without `.npy`, the tensor name, or the file's base name. */
  name: string;
  /** The file it came from (the path given by the user). */
  file: string;
  dtype: DType;
  /** Shape as stored (C order semantics). */
  shape: number[];
  /** Bytes of data. */
  bytes: number;
}

export interface ArraySource extends ArrayInfo {
  /** shape[0] (1 for a 0-D array). */
  readonly rows: number;
  /** Product of shape[1..] (1 for 1-D): trailing dimensions flatten. */
  readonly rowSize: number;
  /**
   * Rows [start, end) as float64 in C order, length (end − start)·rowSize. Float16 is widened
   * exactly; int64 beyond 2^53 is a bad-input error.
   */
  readRows(start: number, end: number, signal?: AbortSignal): Promise<Float64Array>;
  /**
   * Rows [start, end) in C order as the engine feeds them to its graphs: float32 data as a
   * Float32Array straight from the bytes read (no widening), anything else as readRows gives
   * it. Absent where a source has no cheaper path than readRows.
   */
  readFeatures?(
    start: number,
    end: number,
    signal?: AbortSignal,
  ): Promise<Float32Array | Float64Array>;
}

export interface Container {
  file: string;
  format: Format;
  bytes: number;
  arrays: ArraySource[];
  /** A class-names file's names, by label value. */
  classNames?: string[];
  close(): Promise<void>;
}

/** A small matrix held in memory (classifier weight, bias). Row-major. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

export interface Split {
  features: ArraySource;
  labels: ArraySource;
  logits?: ArraySource;
}

/** Validated inputs for the engine: roles assigned, shapes checked. */
export interface Dataset {
  train: Split;
  test?: Split;
  /** C_W × D (already transposed from a D × C_W layout when that was unambiguous). */
  weight?: Matrix;
  /** Length C_W. */
  bias?: Float64Array;
  /** Several feature layers (layer-wise collapse), in bundle order, with the train labels. */
  layers?: { name: string; features: ArraySource }[];
  /** Name → role actually used, for reports. */
  roles: Record<string, Role>;
  warnings: string[];
}
