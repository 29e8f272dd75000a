import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { isNcLensError } from '../../shared/errors.ts';
import { openFile } from '../../main/io/index.ts';
import { npyBytes, tempDir } from './tmp.ts';

const tmp = tempDir();
afterAll(tmp.remove);

const bytesOf = (a: ArrayBufferView): Uint8Array =>
  new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function write(name: string, descr: string, shape: number[], data: Uint8Array): string {
  const file = tmp.file(name);
  writeFileSync(file, npyBytes(descr, shape, data));
  return file;
}

async function values(file: string): Promise<number[]> {
  const c = await openFile(file);
  try {
    const a = c.arrays[0];
    return Array.from(await a.readRows(0, a.rows));
  } finally {
    await c.close();
  }
}

async function message(work: Promise<unknown>): Promise<string> {
  const e = await work.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isNcLensError(e)) throw new Error(`expected an NcLensError, got ${String(e)}`);
  return e.message;
}

describe('.npy dtypes beyond the fixtures', () => {
  it('b1, i1, u4, native-order f8 and a 0-D array', async () => {
    expect(await values(write('b.npy', '|b1', [4], Uint8Array.from([0, 1, 2, 0])))).toEqual([
      0, 1, 1, 0,
    ]);
    expect(
      await values(write('i1.npy', '|i1', [3], bytesOf(Int8Array.from([-128, 0, 127])))),
    ).toEqual([-128, 0, 127]);
    expect(
      await values(write('u4.npy', '<u4', [2], bytesOf(Uint32Array.from([4294967295, 7])))),
    ).toEqual([4294967295, 7]);
    expect(await values(write('n.npy', '=f8', [2], bytesOf(Float64Array.from([0.1, -2]))))).toEqual(
      [0.1, -2],
    );
    const scalar = write('s.npy', '<f4', [], bytesOf(Float32Array.from([2.5])));
    const c = await openFile(scalar);
    expect([c.arrays[0].rows, c.arrays[0].rowSize]).toEqual([1, 1]);
    await c.close();
    expect(await values(scalar)).toEqual([2.5]);
  });

  it('u8/i8 beyond 2^53 are refused with their row', async () => {
    const big = write('u8.npy', '<u8', [2, 1], bytesOf(BigUint64Array.from([1n, 2n ** 60n])));
    expect(await message(values(big))).toMatch(
      /u8\.npy: expected u8: integers within ±2\^53, found 1152921504606846976 at row 1$/,
    );
  });

  it('long double, strings and datetimes are refused by name', async () => {
    expect(await message(openFile(write('ld.npy', '<f16', [1], new Uint8Array(16))))).toMatch(
      /ld\.npy: expected a numeric dtype .*, found dtype '<f16'$/,
    );
    expect(await message(openFile(write('u.npy', '<U5', [1], new Uint8Array(20))))).toMatch(
      /u\.npy: expected a numeric dtype .*, found a string dtype '<U5'$/,
    );
    expect(await message(openFile(write('m.npy', '<M8', [1], new Uint8Array(8))))).toMatch(
      /m\.npy: expected a numeric dtype .*, found a datetime dtype '<M8'$/,
    );
  });
});
