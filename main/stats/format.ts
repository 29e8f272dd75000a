/**
 * The `.ncstats` file: the partial sums of one pass over some shards of a dataset
 * (docs/stats-format.md). Layout:
 *
 *   "NCSTATS\0"  8 bytes magic
 *   u32 LE       format version (1)
 *   u32 LE       H, the header's length in bytes
 *   H bytes      header: UTF-8 JSON (StatsHeader), keys in a fixed order
 *   payload      the arrays the header lists, float64 little-endian, in that order
 *   32 bytes     SHA-256 of everything before it
 *
 * The file's digest is that trailing SHA-256 (hex): a pass-2 part names the pass-1 file it
 * depends on by it.
 */
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { badInput } from '../../shared/errors.ts';
import type { Centering } from '../../shared/schema.ts';

export const MAGIC = 'NCSTATS\0';
/** Float64 payloads are copied as bytes where the machine is little-endian (all we target). */
const LITTLE_ENDIAN = endianness() === 'LE';
export const FORMAT_VERSION = 1;
export const SCHEMA = 'nc-lens/stats@3';

/** The rows of one shard file a part covers. */
export interface ShardRecord {
  /** Absolute path where it was read (informative: identity is the digest). */
  file: string;
  /** Rows [start, end) of the file's arrays. */
  start: number;
  end: number;
  /** File size in bytes. */
  bytes: number;
  /** SHA-256 of the file's bytes (hex). */
  sha256: string;
  /**
   * The file's test split (`test_features`/`test_labels`): the test rows this record carries
   * (all of them for the range from row 0, 0 for a later range of the file), or null when
   * the file has none.
   */
  test: number | null;
}

/**
 * The test split of a part (docs/stats-format.md#the-test-split): analysed as `analyze` does
 * (its own means and NC1 directions; the NCC and the classifier choosing among the training
 * classes), its arrays named `test…` beside the training ones.
 */
export interface TestSection {
  /** Test rows covered. */
  n: number;
  c: number;
  /** Label value of each test class, ascending. */
  labels: number[];
  /** Plan and pass 2: the test split's NC1 directions. */
  r: number;
  /**
   * Pass 2: whether a classifier decided the test rows (the weight, or the test split's own
   * logits); null when the part decided none.
   */
  classifier: boolean | null;
  /** Plan and pass 2: warnings making the test plan (as `analyze` gives them, unprefixed). */
  warnings: string[];
  /** Plan and pass 2: why the test split is not analysed (the result's warning), or null. */
  problem: string | null;
}

/** What must agree between parts for them to merge. */
export interface StatsSettings {
  centering: Centering;
  /** Array names given for the roles (null: guessed). */
  features: string | null;
  labels: string | null;
}

export type StatsKind = 'pass1' | 'plan' | 'pass2';

export interface ClassifierRecord {
  /** 'weight': W (and b) given; 'logits': the shards' own logits decide. */
  kind: 'weight' | 'logits';
  /** SHA-256 of the classifier rows and bias as used (hex), or null for logits. */
  sha256: string | null;
}

export interface StatsHeader {
  schema: typeof SCHEMA;
  kind: StatsKind;
  settings: StatsSettings;
  /** Rows covered. */
  n: number;
  d: number;
  /** Classes (label values) this part knows of. */
  c: number;
  /** Label value of each class, ascending. */
  labels: number[];
  /** For a plan or pass-2 part: the digest of the merged pass-1 file its means come from. */
  means: string | null;
  /** For a pass-2 part: the digest of the plan file it ran with. */
  plan: string | null;
  /** For a plan or pass-2 part: the classifier, or null when there is none. */
  classifier: ClassifierRecord | null;
  /** NC1 directions in the plan (plan and pass-2 parts), else 0. */
  r: number;
  /**
   * Plan and pass-2 parts: the sample cloud's bound in rows (stats/samples.ts), its reservoir
   * in the pass-2 arrays; 0: no cloud.
   */
  samples: number;
  /** Warnings found making the plan (classifier layout, absent labels), carried along. */
  warnings: string[];
  /** The test split the part covers (TestSection), or null when its shards hold none. */
  test: TestSection | null;
  /** Shard records, sorted by (sha256, start). */
  shards: ShardRecord[];
  /** The payload's arrays, in order. */
  arrays: { name: string; length: number }[];
}

export interface StatsFile {
  header: StatsHeader;
  arrays: Record<string, Float64Array>;
  /** SHA-256 (hex) of the encoded file's content: its identity. */
  digest: string;
}

/** Shard records in canonical order: the same set always encodes the same way. */
export function canonicalShards(shards: ShardRecord[]): ShardRecord[] {
  return [...shards].sort((a, b) =>
    a.sha256 !== b.sha256 ? (a.sha256 < b.sha256 ? -1 : 1) : a.start - b.start,
  );
}

/** The header with its keys in the documented order (JSON.stringify keeps insertion order). */
function orderedHeader(h: StatsHeader): StatsHeader {
  return {
    schema: h.schema,
    kind: h.kind,
    settings: {
      centering: h.settings.centering,
      features: h.settings.features,
      labels: h.settings.labels,
    },
    n: h.n,
    d: h.d,
    c: h.c,
    labels: h.labels,
    means: h.means,
    plan: h.plan,
    classifier: h.classifier && { kind: h.classifier.kind, sha256: h.classifier.sha256 },
    r: h.r,
    samples: h.samples,
    warnings: h.warnings,
    test: h.test && {
      n: h.test.n,
      c: h.test.c,
      labels: h.test.labels,
      r: h.test.r,
      classifier: h.test.classifier,
      warnings: h.test.warnings,
      problem: h.test.problem,
    },
    shards: canonicalShards(h.shards).map((s) => ({
      file: s.file,
      start: s.start,
      end: s.end,
      bytes: s.bytes,
      sha256: s.sha256,
      test: s.test,
    })),
    arrays: h.arrays.map((a) => ({ name: a.name, length: a.length })),
  };
}

/** A stats file's bytes. `arrays` are written in the order given. */
export function encodeStats(
  header: Omit<StatsHeader, 'arrays' | 'schema'>,
  arrays: [string, Float64Array][],
): Uint8Array {
  const full = orderedHeader({
    ...header,
    schema: SCHEMA,
    arrays: arrays.map(([name, a]) => ({ name, length: a.length })),
  });
  const json = Buffer.from(JSON.stringify(full), 'utf8');
  const payload = arrays.reduce((s, [, a]) => s + a.length * 8, 0);
  const out = Buffer.alloc(16 + json.length + payload + 32);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(FORMAT_VERSION, 8);
  out.writeUInt32LE(json.length, 12);
  json.copy(out, 16);
  let at = 16 + json.length;
  for (const [, a] of arrays) {
    if (LITTLE_ENDIAN) out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    else for (let i = 0; i < a.length; i++) out.writeDoubleLE(a[i], at + 8 * i);
    at += a.length * 8;
  }
  createHash('sha256').update(out.subarray(0, at)).digest().copy(out, at);
  return out;
}

/** Decodes and checks a stats file's bytes; `where` names it in errors. */
export function decodeStats(bytes: Uint8Array, where: string): StatsFile {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (expected: string, found: string) => badInput(where, expected, found);
  if (buf.length < 48 || buf.toString('latin1', 0, 8) !== MAGIC) {
    throw bad('an .ncstats file (nc-lens stats)', 'other content');
  }
  const version = buf.readUInt32LE(8);
  if (version !== FORMAT_VERSION) {
    throw bad(`.ncstats format version ${FORMAT_VERSION}`, `version ${version}`);
  }
  const body = buf.length - 32;
  const sum = createHash('sha256').update(buf.subarray(0, body)).digest();
  if (!sum.equals(buf.subarray(body))) {
    throw bad('a matching SHA-256 checksum', 'a damaged or truncated file');
  }
  const h = buf.readUInt32LE(12);
  let header: StatsHeader;
  try {
    header = JSON.parse(buf.toString('utf8', 16, 16 + h)) as StatsHeader;
  } catch {
    throw bad('a JSON header', 'unreadable bytes');
  }
  if (header.schema !== SCHEMA) throw bad(`schema ${SCHEMA}`, `'${String(header.schema)}'`);
  const arrays: Record<string, Float64Array> = {};
  let at = 16 + h;
  for (const { name, length } of header.arrays) {
    if (at + length * 8 > body) throw bad('the payload the header lists', 'fewer bytes');
    const a = new Float64Array(length);
    if (LITTLE_ENDIAN) new Uint8Array(a.buffer).set(buf.subarray(at, at + length * 8));
    else for (let i = 0; i < length; i++) a[i] = buf.readDoubleLE(at + 8 * i);
    arrays[name] = a;
    at += length * 8;
  }
  if (at !== body) throw bad('the payload the header lists', `${body - at} extra bytes`);
  return { header, arrays, digest: sum.toString('hex') };
}

export async function readStats(path: string): Promise<StatsFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw badInput(path, 'a readable .ncstats file', (e as NodeJS.ErrnoException).code ?? 'error');
  }
  return decodeStats(bytes, path);
}

/** The digest an encoded file will have (its trailing SHA-256). */
export function digestOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.subarray(bytes.length - 32)).toString('hex');
}

/** Writes atomically (a temporary file renamed): a killed writer leaves no partial file. */
export async function writeStats(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
}
