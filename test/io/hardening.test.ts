/**
 * Issue 12, readers: each test is named after a defect found by mutating files, and failed
 * before its fix. Tiny files must not cost gigabytes, and every bad file is a one-line
 * bad-input error naming it.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { zipSync } from 'fflate';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { isNcLensError } from '../../shared/errors.ts';
import { openDataset, openFile } from '../../main/io/index.ts';
import { FORMATS } from '../fixtures.ts';
import { npyBytes, tempDir } from './tmp.ts';

const { onnx } = onnxProto;
const tmp = tempDir();
afterAll(() => tmp.remove());

async function badMessage(work: Promise<unknown>): Promise<string> {
  const e = await work.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isNcLensError(e)) throw e ?? new Error('expected a failure');
  expect(e.code).toBe('bad-input');
  expect(e.message).not.toContain('\n');
  return e.message;
}

/** A v1.0 .npy header with fortran_order as given and no data. */
function npyHeader(descr: string, shape: string, fortran: boolean): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shape}, }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(Buffer.from(header, 'latin1'), 10);
  return out;
}

const u8 = (values: number[]) => new Uint8Array(values);

describe('tiny files that cost gigabytes', () => {
  it('npy fortran_order (0, 2**31) opens without building an index of 2**31 entries', async () => {
    for (const shape of ['(0, 2147483648)', '(0, 300000000)', '(0, 1099511627776)']) {
      const file = tmp.file('features.npy');
      writeFileSync(file, npyHeader('<f4', shape, true));
      expect(readFileSync(file).length).toBe(128);
      const before = process.memoryUsage().arrayBuffers;
      const t0 = performance.now();
      const c = await openFile(file);
      const rows = await c.arrays[0].readRows(0, 10);
      expect(rows.length).toBe(0);
      await c.close();
      expect(performance.now() - t0).toBeLessThan(500);
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 << 20);
      const labels = tmp.file('labels.npy');
      writeFileSync(labels, npyBytes('|u1', [0], u8([])));
      expect(await badMessage(openDataset([file, labels]))).toMatch(
        /features\.npy: expected features of shape N×D, found shape 0×\d+$/,
      );
    }
  });

  it('labels declared 16 M in a small deflated npz are streamed and kept as bytes, not float64', async () => {
    const n = 16 << 20;
    const labels = new Uint8Array(n);
    labels[n - 1] = 1;
    labels[12345] = 3;
    const npy = (descr: string, shape: number[], data: Uint8Array) => npyBytes(descr, shape, data);
    const zip = zipSync(
      {
        'features.npy': npy('|u1', [n, 1], new Uint8Array(n)),
        'labels.npy': npy('|u1', [n], labels),
      },
      { level: 1 },
    );
    const file = tmp.file('many_labels.npz');
    writeFileSync(file, zip);
    expect(zip.length).toBeLessThan(200_000);
    const before = process.memoryUsage().arrayBuffers;
    const opened = await openDataset([file]);
    const kept = process.memoryUsage().arrayBuffers - before;
    // float64 labels alone were 128 MiB; one byte each is 16 MiB.
    expect(kept).toBeLessThan(48 << 20);
    const back = await opened.dataset.train.labels.readRows(n - 3, n);
    expect([...back]).toEqual([0, 0, 1]);
    expect([...(await opened.dataset.train.labels.readRows(12344, 12347))]).toEqual([0, 3, 0]);
    await opened.close();
  });

  it('.pb with 150 000 small fields reads in well under a second (buffered, not two reads per field)', async () => {
    const count = 150_000;
    // Unpacked float_data: tag (field 4, wire type 5) then 4 bytes, one field per value.
    const body = Buffer.alloc(count * 5);
    for (let i = 0; i < count; i++) {
      body[i * 5] = (4 << 3) | 5;
      body.writeFloatLE(i % 7, i * 5 + 1);
    }
    const head = onnx.TensorProto.encode({ dims: [count / 3, 3], dataType: 1 }).finish();
    const file = tmp.file('many_fields.pb');
    writeFileSync(file, Buffer.concat([head, body]));
    const t0 = performance.now();
    const c = await openFile(file);
    const rows = await c.arrays[0].readRows(0, 2);
    await c.close();
    expect(performance.now() - t0).toBeLessThan(1500);
    expect([...rows]).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('bad input that said internal error', () => {
  it('npz local-header errors (invalid signature) are bad input naming the entry', async () => {
    const bytes = readFileSync(`${FORMATS}/bundle_stored.npz`);
    bytes[0] = 0x51;
    const file = tmp.file('bad_local.npz');
    writeFileSync(file, bytes);
    expect(await badMessage(openFile(file))).toMatch(
      /bad_local\.npz:\S+\.npy: expected a readable zip entry, found invalid local file header signature/,
    );
  });

  it('npz local-header errors (unexpected EOF, file data overflows file bounds) are bad input naming the file', async () => {
    const bytes = readFileSync(`${FORMATS}/bundle_stored.npz`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // The first central directory record, found from the end-of-central-directory record.
    const eocd = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    const central = view.getUint32(eocd + 16, true);
    const cases: [string, (b: Buffer) => void, RegExp][] = [
      // The local header offset points 10 bytes before the end: the header runs past it.
      ['eof', (b) => b.writeUInt32LE(b.length - 10, central + 42), /unexpected EOF/],
      // The entry's sizes claim more than the file holds.
      [
        'overflow',
        (b) => {
          b.writeUInt32LE(0x7ffffff0, central + 20);
          b.writeUInt32LE(0x7ffffff0, central + 24);
        },
        /file data overflows file bounds|expected \d+ bytes/,
      ],
    ];
    for (const [name, edit, found] of cases) {
      const b = Buffer.from(bytes);
      edit(b);
      const file = tmp.file(`local_${name}.npz`);
      writeFileSync(file, b);
      const msg = await badMessage(openFile(file));
      expect(msg).toMatch(new RegExp(`^\\S*local_${name}\\.npz(:\\S+)?: expected `));
      expect(msg).toMatch(found);
    }
  });

  it('a safetensors shape nested 500 000 deep is one line, not a stack overflow', async () => {
    const deep = '['.repeat(500_000) + ']'.repeat(500_000);
    const header = Buffer.from(`{"x":{"dtype":"F32","shape":${deep},"data_offsets":[0,0]}}`);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    const file = tmp.file('deep.safetensors');
    writeFileSync(file, Buffer.concat([len, header]));
    const msg = await badMessage(openFile(file));
    expect(msg).toMatch(/deep\.safetensors:x: expected a shape of sizes, found \[\[\[/);
    expect(msg.length).toBeLessThan(200);
  });

  it('negative .pb dims are refused by inspect', async () => {
    const file = tmp.file('negative.pb');
    writeFileSync(
      file,
      onnx.TensorProto.encode({ dims: [-3, 2], dataType: 1, floatData: [] }).finish(),
    );
    expect(await badMessage(openFile(file))).toMatch(
      /negative\.pb: expected dims of sizes ≥ 0, found \[-3, 2\]$/,
    );
  });

  it('.pb external data pointing at a folder or a FIFO is refused at once (no EISDIR, no hang)', async () => {
    execFileSync('mkdir', ['-p', tmp.file('folder')]);
    execFileSync('mkfifo', [tmp.file('fifo')]);
    for (const location of ['folder', 'fifo']) {
      const file = tmp.file(`ext_${location}.pb`);
      const tensor = onnx.TensorProto.encode({
        dims: [2],
        dataType: 1,
        dataLocation: 1,
        externalData: [{ key: 'location', value: location }],
      }).finish();
      writeFileSync(file, tensor);
      expect(await badMessage(openFile(file))).toMatch(
        new RegExp(
          `ext_${location}\\.pb: expected external data file '${location}', found a folder or special file$`,
        ),
      );
    }
  });

  it('features of shape N×0 are refused', async () => {
    const f = tmp.file('features_n0.npy');
    writeFileSync(f, npyBytes('<f4', [4, 0], u8([])));
    const l = tmp.file('labels_n0.npy');
    writeFileSync(l, npyBytes('|u1', [4], u8([0, 1, 0, 1])));
    expect(await badMessage(openDataset([f, l]))).toMatch(
      /features_n0\.npy: expected features of shape N×D, found shape 4×0$/,
    );
  });

  it('a weight of shape (0, 32) is refused naming the weight, not the bias', async () => {
    const w = tmp.file('weight.npy');
    writeFileSync(w, npyBytes('<f4', [0, 32], u8([])));
    const b = tmp.file('bias.npy');
    copyFileSync(`${FORMATS}/bias.npy`, b);
    const msg = await badMessage(
      openDataset([`${FORMATS}/features_f4.npy`, `${FORMATS}/labels_i8.npy`, w, b]),
    );
    expect(msg).toMatch(/weight\.npy: expected classifier weight C×32 or 32×C .*found 0×32$/);
  });

  it('a listing of many npz names is capped at 10 names and "and N more"', async () => {
    const entries: Record<string, Uint8Array> = {};
    for (let i = 0; i < 2000; i++) entries[`a${i}.npy`] = npyBytes('<f4', [1], new Uint8Array(4));
    const file = tmp.file('many.npz');
    writeFileSync(file, zipSync(entries, { level: 0 }));
    const msg = await badMessage(openDataset([file]));
    expect(msg).toMatch(
      /expected a features array \(N×D\), found only a0, a1, .*a9 and 1990 more$/,
    );
    expect(msg.length).toBeLessThan(300);
  });
});
