/**
 * The browser shell's request bodies checked against the API types (shared/api.ts) before
 * the session sees them: a malformed call is the caller's error (400, one line), never an
 * internal one. The browser shell opens uploads (and the demo) only: paths on disk are for
 * the Electron shell, whose main process re-validates them.
 */
import type { ExportFormat, ExportView, FileRef } from '../../shared/api.ts';
import { ROLES } from '../../shared/api.ts';
import { badInput } from '../../shared/errors.ts';
import type { CallMethod } from '../../shared/transport.ts';

const EXPORT_FORMATS: readonly ExportFormat[] = [
  'json',
  'csv',
  'csv-per-class',
  'tex-per-class',
  'pdf',
  'pdf-compare',
];
const CENTERINGS = ['class-means', 'samples'];

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkString(v: unknown, what: string): string {
  if (typeof v !== 'string') throw badInput(undefined, what, describe(v));
  return v;
}

/** An uploaded file's reference; anything else (a path, null, a number) is refused. */
function uploadRef(v: unknown): FileRef {
  if (isRecord(v) && 'path' in v) {
    throw badInput(undefined, 'an uploaded file (the browser shell opens uploads only)', 'a path');
  }
  if (!isRecord(v) || typeof v.uploadId !== 'string' || typeof v.name !== 'string') {
    throw badInput(undefined, 'a file reference {uploadId, name}', describe(v));
  }
  return { uploadId: v.uploadId, name: v.name };
}

const X_QUANTITIES = ['epoch', 'step', 'time'];
const X_SCALES = ['log', 'linear', 'auto'];

/** `{x?: {quantity?, scale?}, at?: number | null}`, checked. */
function exportView(v: unknown): ExportView {
  const expected = 'an export view {x?: {quantity?, scale?}, at?: epoch or null}';
  if (!isRecord(v)) throw badInput(undefined, expected, describe(v));
  const out: ExportView = {};
  if (v.x !== undefined) {
    const x = v.x;
    if (
      !isRecord(x) ||
      (x.quantity !== undefined && !X_QUANTITIES.includes(x.quantity as string)) ||
      (x.scale !== undefined && !X_SCALES.includes(x.scale as string))
    )
      throw badInput(undefined, expected, describe(x));
    out.x = x as ExportView['x'];
  }
  if (v.at !== undefined) {
    if (v.at !== null && (typeof v.at !== 'number' || !Number.isFinite(v.at)))
      throw badInput(undefined, expected, describe(v.at));
    out.at = v.at;
  }
  return out;
}

/** The arguments of `method` from a call body `{args: [...]}`, checked. */
export function callArgs(method: CallMethod, body: unknown): unknown[] {
  if (!isRecord(body)) throw badInput(undefined, 'a JSON object {args: [...]}', describe(body));
  const args = body.args ?? [];
  if (!Array.isArray(args)) throw badInput(undefined, 'args as an array', describe(args));
  const count = (n: number) => {
    if (args.length !== n)
      throw badInput(undefined, `${n} arguments to ${method}`, `${args.length}`);
  };
  switch (method) {
    case 'info':
    case 'runs':
    case 'state':
    case 'openDemo':
    case 'closeAll':
    case 'cancel':
      count(0);
      return [];
    case 'open': {
      if (args.length !== 1 && args.length !== 2)
        throw badInput(undefined, `1 or 2 arguments to ${method}`, `${args.length}`);
      const refs = args[0];
      if (!Array.isArray(refs) || refs.length === 0)
        throw badInput(undefined, 'a list of files to open', describe(refs));
      const opts = args[1] ?? {};
      if (!isRecord(opts) || (opts.add !== undefined && typeof opts.add !== 'boolean'))
        throw badInput(undefined, 'open options {add?: boolean}', describe(opts));
      return [refs.map(uploadRef), { add: opts.add === true }];
    }
    case 'closeFile':
      count(1);
      return [checkString(args[0], 'a file id')];
    case 'addRun': {
      if (args.length !== 1 && args.length !== 2)
        throw badInput(undefined, `1 or 2 arguments to ${method}`, `${args.length}`);
      const refs = args[0];
      if (!Array.isArray(refs) || refs.length === 0)
        throw badInput(undefined, 'a list of files for the run', describe(refs));
      const opts = args[1] ?? {};
      if (!isRecord(opts) || (opts.name !== undefined && typeof opts.name !== 'string'))
        throw badInput(undefined, 'run options {name?: string}', describe(opts));
      return [refs.map(uploadRef), opts.name === undefined ? {} : { name: opts.name }];
    }
    case 'renameRun':
      count(2);
      return [checkString(args[0], 'a run id'), checkString(args[1], 'a run name')];
    case 'closeRun':
      count(1);
      return [checkString(args[0], 'a run id')];
    case 'setExportView':
      count(1);
      return [exportView(args[0])];
    case 'recentSessions':
      count(0);
      return [];
    case 'saveSession': {
      if (args.length !== 1 && args.length !== 2)
        throw badInput(undefined, `1 or 2 arguments to ${method}`, `${args.length}`);
      if (!isRecord(args[0]))
        throw badInput(undefined, 'the session view {point, camera, ...}', describe(args[0]));
      const opts = args[1] ?? {};
      if (!isRecord(opts) || (opts.title !== undefined && typeof opts.title !== 'string'))
        throw badInput(undefined, 'session options {title?: string}', describe(opts));
      // The view is kept as given (plain JSON, at most 64 KB): the renderer reads it back.
      if (JSON.stringify(args[0]).length > 65536)
        throw badInput(undefined, 'a session view under 64 KB', 'a larger one');
      return [args[0], opts.title === undefined ? {} : { title: opts.title }];
    }
    case 'openSession': {
      count(1);
      const ref = args[0];
      if (isRecord(ref) && typeof ref.recent === 'string') return [{ recent: ref.recent }];
      return [uploadRef(ref)];
    }
    case 'setRole': {
      count(2);
      const id = checkString(args[0], 'an array id');
      const role = args[1];
      if (!(ROLES as readonly unknown[]).includes(role))
        throw badInput(undefined, `a role (${ROLES.join(', ')})`, describe(role));
      return [id, role];
    }
    case 'selectPoint':
      count(1);
      if (!Number.isInteger(args[0]) || (args[0] as number) < -1)
        throw badInput(undefined, 'a point index (an integer, −1 for the last)', describe(args[0]));
      return [args[0]];
    case 'setCentering':
      count(1);
      if (!CENTERINGS.includes(args[0] as string))
        throw badInput(undefined, "centering 'class-means' or 'samples'", describe(args[0]));
      return [args[0]];
    case 'cosineTile': {
      count(3);
      if (!Number.isInteger(args[0]) || (args[0] as number) < -1)
        throw badInput(undefined, 'a point index (an integer, −1 for the last)', describe(args[0]));
      // The class lists are checked against the result by the service (main/service/tile.ts).
      return [args[0], args[1], args[2]];
    }
  }
}

export interface ExportBody {
  format: ExportFormat;
  title?: string;
  viewPng?: Uint8Array;
}

/** `{format, title?, viewPng? (base64)}`, checked. */
export function exportArgs(body: unknown): ExportBody {
  if (!isRecord(body)) throw badInput(undefined, 'a JSON object {format, ...}', describe(body));
  const format = body.format ?? 'json';
  if (!(EXPORT_FORMATS as readonly unknown[]).includes(format))
    throw badInput(
      undefined,
      'export format json, csv, csv-per-class, pdf or pdf-compare',
      describe(format),
    );
  const title = body.title === undefined ? undefined : checkString(body.title, 'a title string');
  const png =
    body.viewPng === undefined ? undefined : checkString(body.viewPng, 'viewPng as base64');
  const viewPng = png ? new Uint8Array(Buffer.from(png, 'base64')) : undefined;
  return { format: format as ExportFormat, title, viewPng };
}
