/**
 * One report, two doors: `nc-lens report` and the app's Export → PDF (the service) give the same
 * report for the same inputs. The app's 3D picture is the only legitimate difference, and it is
 * left out here (without a canvas PNG both draw the view as vectors).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportBytes } from '../../main/service/export.ts';
import { AnalysisService } from '../../main/service/session.ts';
import { pdfText } from './poppler.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const FIXTURES = new URL('../../../shared/fixtures/mnist-mlp/', import.meta.url).pathname;
const npz = (e: string) => join(FIXTURES, `mnist_small_epoch${e}.npz`);
// A fixed report date (the reproducible-builds convention) for both doors.
const DATE = '1767225600';
const dir = mkdtempSync(join(tmpdir(), 'nc-report-same-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cliReport(files: string[], title: string): Buffer {
  const out = join(dir, `cli-${files.length}.pdf`);
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'bin/nc-lens.js'), 'report', ...files, '-o', out, '--title', title],
    {
      env: { ...process.env, NC_LENS_FROM_SOURCE: '1', SOURCE_DATE_EPOCH: DATE },
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return readFileSync(out);
}

/** The app's session: open the files, analyse, and hand back the session for exporting. */
async function appSession(files: string[]): Promise<AnalysisService> {
  const session = new AnalysisService({ shell: 'browser' });
  await session.open(files.map((path) => ({ path })));
  await session.analyze();
  return session;
}

/** Runs `work` with the report date fixed as for the CLI. */
async function withDate<T>(work: () => Promise<T>): Promise<T> {
  const before = process.env.SOURCE_DATE_EPOCH;
  process.env.SOURCE_DATE_EPOCH = DATE;
  try {
    return await work();
  } finally {
    if (before === undefined) delete process.env.SOURCE_DATE_EPOCH;
    else process.env.SOURCE_DATE_EPOCH = before;
  }
}

function textOf(bytes: Uint8Array, name: string): string {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return pdfText(file);
}

describe('the CLI report and the app export', () => {
  it('a series: the same bytes from the same result and files', async () => {
    const files = ['005', '001'].map(npz);
    const cli = cliReport(files, 'Same report');
    const session = await appSession(files);
    try {
      const { result } = await session.state();
      const app = await withDate(() =>
        exportBytes(
          result!,
          'pdf',
          { title: 'Same report' },
          { files: files.map((path) => ({ path, name: basename(path) })) },
        ),
      );
      expect(Buffer.from(app.data).equals(cli)).toBe(true);
    } finally {
      await session.dispose();
    }
  }, 120_000);

  it("one bundle: the service's own export reads the same, input list aside", async () => {
    const file = npz('080');
    const cli = textOf(cliReport([file], 'Same report'), 'cli.pdf');
    const session = await appSession([file]);
    let app: string;
    try {
      const out = await withDate(() => session.exportResult('pdf', { title: 'Same report' }));
      expect(out.mime).toBe('application/pdf');
      app = textOf(out.data, 'app.pdf');
    } finally {
      await session.dispose();
    }
    // Both list the file the plan used, with its size and hash (the same SHA-256 prefix);
    // everything else must match to the character.
    const listed = /mnist_small_epoch080\.npz: 1\.7 MB \(1763328 bytes\), SHA-256\s+[0-9a-f]{16}…/;
    expect(cli).toMatch(listed);
    expect(app).toMatch(listed);
    expect(app.match(listed)![0].replace(/\s+/g, ' ')).toBe(
      cli.match(listed)![0].replace(/\s+/g, ' '),
    );
    expect(app).not.toContain('not recorded');
    expect(app.replace(listed, '<inputs>')).toBe(cli.replace(listed, '<inputs>'));
    expect(app).toContain('Summary');
  }, 120_000);
});
