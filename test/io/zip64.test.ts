/**
 * Issue 12: a zip64 entry claiming 16 GiB said "internal error: size out of range" (exit 1).
 * It must be exit 2 with one line naming the file, from `inspect` and from `analyze`.
 */
import { writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli.ts';
import { npyBytes, tempDir } from './tmp.ts';

const tmp = tempDir();
afterAll(() => tmp.remove());

const GiB16 = 17_179_869_184n; // 16 GiB

/**
 * An .npz of one stored entry whose zip64 extra fields (local and central) declare `size`
 * bytes, compressed and not, while the file holds a 2×2 float32 array; with `offset`, the
 * central record's zip64 field also declares where the local header is.
 */
function zip64Claiming(size: bigint, offset?: bigint): Buffer {
  const name = Buffer.from('features.npy');
  const data = Buffer.from(npyBytes('<f4', [2, 2], new Uint8Array(16)));
  const zip64 = (withOffset: boolean) => {
    const extra = Buffer.alloc(withOffset ? 28 : 20);
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(extra.length - 4, 2);
    extra.writeBigUInt64LE(size, 4);
    extra.writeBigUInt64LE(size, 12);
    if (withOffset) extra.writeBigUInt64LE(offset!, 20);
    return extra;
  };
  const localExtra = zip64(false);
  const centralExtra = zip64(offset !== undefined);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(45, 4);
  local.writeUInt32LE(crc32(data), 14);
  local.writeUInt32LE(0xffffffff, 18);
  local.writeUInt32LE(0xffffffff, 22);
  local.writeUInt16LE(name.length, 26);
  local.writeUInt16LE(localExtra.length, 28);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(45, 4);
  central.writeUInt16LE(45, 6);
  central.writeUInt32LE(crc32(data), 16);
  central.writeUInt32LE(0xffffffff, 20);
  central.writeUInt32LE(0xffffffff, 24);
  central.writeUInt16LE(name.length, 28);
  central.writeUInt16LE(centralExtra.length, 30);
  if (offset !== undefined) central.writeUInt32LE(0xffffffff, 42);
  const head = Buffer.concat([local, name, localExtra, data]);
  const cd = Buffer.concat([central, name, centralExtra]);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(1, 8);
  eocd.writeUInt16LE(1, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(head.length, 16);
  return Buffer.concat([head, cd, eocd]);
}

describe('a zip64 entry claiming 16 GiB', () => {
  const file = tmp.file('claims_16GiB.npz');
  writeFileSync(file, zip64Claiming(GiB16));

  for (const command of ['inspect', 'analyze']) {
    it(`nc-lens ${command}: exit 2, one line naming the file`, async () => {
      const r = await runCli([command, file]);
      expect(r.code).toBe(2);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('claims_16GiB.npz');
      expect(lines[0]).not.toMatch(/internal error|size out of range/);
      expect(r.stdout).toBe('');
    }, 60_000);
  }
});

describe('a zip64 field declaring an offset past 2**53 (fuzz)', () => {
  const file = tmp.file('offset_2e60.npz');
  writeFileSync(file, zip64Claiming(16n, 1n << 60n));

  it('is exit 2 with one line naming the file, not a crash from inside a callback', async () => {
    const r = await runCli(['inspect', file]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/offset_2e60\.npz\S*: expected .*unexpected EOF/);
    expect(lines[0]).not.toMatch(/internal error|ERR_OUT_OF_RANGE/);
  }, 60_000);
});
