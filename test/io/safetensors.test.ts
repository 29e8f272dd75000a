import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { isNcLensError } from '../../shared/errors.ts';
import { openDataset, openFile } from '../../main/io/index.ts';
import { firstDifference, ref } from './reference.ts';
import { tempDir } from './tmp.ts';

const tmp = tempDir();
afterAll(tmp.remove);

interface Tensor {
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

/** The safetensors layout: u64 LE header length, JSON header, then the tensors' bytes. */
function safetensors(tensors: Record<string, Tensor>, offsets?: [number, number]): Buffer {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let at = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = {
      dtype: t.dtype,
      shape: t.shape,
      data_offsets: offsets ?? [at, at + t.data.length],
    };
    at += t.data.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, ...Object.values(tensors).map((t) => t.data)]);
}

const bytesOf = (a: ArrayBufferView): Uint8Array =>
  new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe('.safetensors', () => {
  it('a file written here reads back: F32 features, I64 labels, F16 values, by row range', async () => {
    const half = Uint16Array.from([0x3c00, 0xc000, 0x0001, 0x7bff]); // 1, -2, 2^-24, 65504
    const file = tmp.file('dump.safetensors');
    writeFileSync(
      file,
      safetensors({
        'model.features': {
          dtype: 'F32',
          shape: [8000, 32],
          data: bytesOf(Float32Array.from(ref.features())),
        },
        labels: {
          dtype: 'I64',
          shape: [8000],
          data: bytesOf(BigInt64Array.from(ref.labels(), BigInt)),
        },
        'fc.weight': {
          dtype: 'F32',
          shape: [10, 32],
          data: bytesOf(Float32Array.from(ref.weight())),
        },
        halves: { dtype: 'F16', shape: [2, 2], data: bytesOf(half) },
      }),
    );
    const container = await openFile(file);
    try {
      expect(container.format).toBe('safetensors');
      const [features, labels, weight, halves] = container.arrays;
      expect([features.name, features.dtype, features.shape]).toEqual([
        'model.features',
        'f4',
        [8000, 32],
      ]);
      expect(firstDifference(await features.readRows(0, 8000), ref.features())).toBe('none');
      expect(
        firstDifference(await features.readRows(100, 103), ref.features().subarray(3200, 3296)),
      ).toBe('none');
      expect(firstDifference(await labels.readRows(0, 8000), ref.labels())).toBe('none');
      expect(firstDifference(await weight.readRows(0, 10), ref.weight())).toBe('none');
      expect(Array.from(await halves.readRows(0, 2))).toEqual([1, -2, 2 ** -24, 65504]);
    } finally {
      await container.close();
    }
    const opened = await openDataset([file]);
    expect(opened.dataset.roles).toMatchObject({
      'model.features': 'features',
      labels: 'labels',
      'fc.weight': 'weight',
    });
    await opened.close();
  });

  it('is recognised by content whatever the extension', async () => {
    const file = tmp.file('dump.bin');
    writeFileSync(
      file,
      safetensors({ x: { dtype: 'F64', shape: [2], data: bytesOf(Float64Array.from([1.5, -3])) } }),
    );
    const container = await openFile(file);
    expect(container.format).toBe('safetensors');
    expect(Array.from(await container.arrays[0].readRows(0, 2))).toEqual([1.5, -3]);
    await container.close();
  });

  it('reads BF16 exactly (widened like PyTorch does)', async () => {
    const file = tmp.file('bf16.safetensors');
    // 1.5 = 0x3fc00000 and -2.25 = 0xc0100000 as float32: bfloat16 keeps the top halves.
    const bits = Uint16Array.from([0x3fc0, 0xc010, 0x7f80]);
    writeFileSync(file, safetensors({ w: { dtype: 'BF16', shape: [3], data: bytesOf(bits) } }));
    const container = await openFile(file);
    expect(container.arrays[0].dtype).toBe('bf16');
    expect(Array.from(await container.arrays[0].readRows(0, 3))).toEqual([1.5, -2.25, Infinity]);
    await container.close();
  });

  it('refuses an unknown dtype by name and data offsets that disagree with the shape', async () => {
    const f8 = tmp.file('f8e4m3.safetensors');
    writeFileSync(
      f8,
      safetensors({ w: { dtype: 'F8_E4M3', shape: [2], data: new Uint8Array(2) } }),
    );
    const wrong = tmp.file('offsets.safetensors');
    writeFileSync(
      wrong,
      safetensors({ w: { dtype: 'F32', shape: [3], data: new Uint8Array(12) } }, [0, 8]),
    );
    const message = async (file: string) => {
      const e = await openFile(file).then(
        () => undefined,
        (err: unknown) => err,
      );
      return isNcLensError(e) ? e.message : String(e);
    };
    expect(await message(f8)).toMatch(
      /f8e4m3\.safetensors:w: expected one of F64 F32 F16 BF16 .* BOOL, found dtype F8_E4M3$/,
    );
    expect(await message(wrong)).toMatch(
      /offsets\.safetensors:w: expected 12 bytes for shape \[3\] F32 within the 12 data bytes, found data_offsets \[0, 8\]$/,
    );
  });
});
