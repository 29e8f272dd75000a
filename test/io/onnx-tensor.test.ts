import { writeFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { isNcLensError } from '../../shared/errors.ts';
import { openFile } from '../../main/io/index.ts';
import { tempDir } from './tmp.ts';

const { onnx } = onnxProto;
const tmp = tempDir();
afterAll(tmp.remove);

function writeTensor(name: string, t: ConstructorParameters<typeof onnx.TensorProto>[0]): string {
  const file = tmp.file(name);
  writeFileSync(file, onnx.TensorProto.encode(onnx.TensorProto.create(t)).finish());
  return file;
}

async function values(file: string): Promise<{ dtype: string; shape: number[]; values: number[] }> {
  const c = await openFile(file);
  try {
    const a = c.arrays[0];
    return { dtype: a.dtype, shape: a.shape, values: Array.from(await a.readRows(0, a.rows)) };
  } finally {
    await c.close();
  }
}

describe('ONNX TensorProto beyond the fixtures', () => {
  it('external data beside the file, at an offset', async () => {
    const data = Buffer.alloc(8 + 12);
    [1.5, -2, 4].forEach((v, i) => data.writeFloatLE(v, 8 + i * 4));
    writeFileSync(tmp.file('w.bin'), data);
    const file = writeTensor('ext.pb', {
      name: 'w',
      dims: [3, 1],
      dataType: 1,
      dataLocation: 1,
      externalData: [
        { key: 'location', value: 'w.bin' },
        { key: 'offset', value: '8' },
        { key: 'length', value: '12' },
      ],
    });
    expect(await values(file)).toEqual({ dtype: 'f4', shape: [3, 1], values: [1.5, -2, 4] });
  });

  it('typed fields: FLOAT16 bits in int32_data, INT64 in int64_data, BOOL', async () => {
    const half = writeTensor('h.pb', {
      dims: [3],
      dataType: 10,
      int32Data: [0x3c00, 0xc000, 0x0001],
    });
    expect(await values(half)).toEqual({ dtype: 'f2', shape: [3], values: [1, -2, 2 ** -24] });
    const int64 = writeTensor('l.pb', { dims: [2], dataType: 7, int64Data: [3, -9] });
    expect((await values(int64)).values).toEqual([3, -9]);
    const bool = writeTensor('b.pb', { dims: [2], dataType: 9, int32Data: [1, 0] });
    expect((await values(bool)).values).toEqual([1, 0]);
  });

  it('BFLOAT16 is read exactly, from raw_data and from int32_data', async () => {
    const raw = writeTensor('bf.pb', {
      dims: [2],
      dataType: 16,
      rawData: new Uint8Array(Uint16Array.from([0x3fc0, 0xc010]).buffer),
    });
    expect((await values(raw)).values).toEqual([1.5, -2.25]);
    const typed = writeTensor('bf-typed.pb', {
      dims: [2],
      dataType: 16,
      int32Data: [0x3fc0, 0xc010],
    });
    expect((await values(typed)).values).toEqual([1.5, -2.25]);
  });

  it('raw data of the wrong length, a missing external file, and FLOAT8 are refused', async () => {
    const message = async (file: string) => {
      const e = await openFile(file).then(
        () => undefined,
        (err: unknown) => err,
      );
      return isNcLensError(e) ? e.message : String(e);
    };
    const short = writeTensor('short.pb', { dims: [4], dataType: 1, rawData: new Uint8Array(12) });
    expect(await message(short)).toMatch(
      /short\.pb: expected 16 bytes of data for dims \[4\] f4, found 12 bytes$/,
    );
    const gone = writeTensor('gone.pb', {
      dims: [1],
      dataType: 1,
      dataLocation: 1,
      externalData: [{ key: 'location', value: 'nothing.bin' }],
    });
    expect(await message(gone)).toMatch(
      /gone\.pb: expected external data file 'nothing\.bin', found no such file$/,
    );
    const f8 = writeTensor('f8.pb', { dims: [1], dataType: 17, rawData: new Uint8Array(1) });
    expect(await message(f8)).toMatch(
      /f8\.pb: expected a TensorProto of FLOAT, .*, found data type 17 \(FLOAT8E4M3FN\)$/,
    );
  });
});
