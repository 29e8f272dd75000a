/**
 * Saved sessions (issue 16): a small JSON file (`nc-lens/session@1`) that names every file of
 * every run by path with its size and SHA-256, the roles of its arrays, the centring, the run
 * names, and what the renderer keeps (selected epoch, camera, selections). The service keeps
 * them in one folder, newest first, so both shells list the recent ones; a file that changed
 * since (size or digest) or is gone is flagged on reopening, never silently reused.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import type { RecentSession, Role, SessionDoc, SessionFile } from '../../shared/api.ts';
import { ROLES } from '../../shared/api.ts';
import { badInput } from '../../shared/errors.ts';

export const SESSION_SCHEMA = 'nc-lens/session@1';
/** Sessions kept in the folder (older ones are deleted). */
const KEEP = 20;
/** A session file is small; a bigger one is not one. */
const MAX_BYTES = 4 * 1024 * 1024;

/**
 * Where sessions are kept: NC_LENS_SESSIONS_DIR, else $XDG_STATE_HOME/nc-lens/sessions, else
 * ~/.local/state/nc-lens/sessions. Both shells use the same folder.
 */
export function sessionsDir(): string {
  if (process.env.NC_LENS_SESSIONS_DIR) return process.env.NC_LENS_SESSIONS_DIR;
  const state = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(state, 'nc-lens', 'sessions');
}

export async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A file of the session by path, size and digest. */
export async function describeFile(
  path: string,
  name: string,
  roles: Record<string, Role>,
  extra: Partial<SessionFile> = {},
): Promise<SessionFile> {
  return {
    path,
    name,
    bytes: (await stat(path)).size,
    sha256: await sha256(path),
    roles,
    ...extra,
  };
}

/** Why a saved file cannot be reused as it is, or null when it is the same file. */
export async function fileProblem(f: SessionFile): Promise<string | null> {
  const info = await stat(f.path).catch(() => undefined);
  if (!info || !info.isFile()) return `${f.name}: missing (was ${f.path})`;
  if (info.size !== f.bytes)
    return `${f.name}: changed since the session was saved (${f.bytes} bytes then, ${info.size} now)`;
  if ((await sha256(f.path)) !== f.sha256)
    return `${f.name}: changed since the session was saved (its SHA-256 differs)`;
  return null;
}

function stem(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'session';
}

/** Writes `doc` into the sessions folder; returns its path. Keeps the newest KEEP. */
export async function storeSession(doc: SessionDoc, dir = sessionsDir()): Promise<string> {
  await mkdir(dir, { recursive: true });
  const when = doc.saved.replace(/[:.]/g, '-');
  const path = join(dir, `${when}-${stem(doc.title)}.nclens-session.json`);
  await writeFile(path, JSON.stringify(doc, null, 2) + '\n');
  const all = await listFiles(dir);
  // Best effort: an old session that cannot be removed stays listed.
  const { rm } = await import('node:fs/promises');
  await Promise.all(all.slice(KEEP).map((p) => rm(p, { force: true }).catch(() => undefined)));
  return path;
}

async function listFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .filter((n) => n.endsWith('.nclens-session.json'))
    .sort()
    .reverse()
    .map((n) => join(dir, n));
}

/** The session file at `path`, checked: one line naming it when it is not one. */
export async function readSession(path: string): Promise<SessionDoc> {
  const expected = `an NC Lens session (${SESSION_SCHEMA})`;
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw badInput(path, expected, 'no such file');
  if (info.size > MAX_BYTES) throw badInput(path, expected, `a file of ${info.size} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw badInput(path, expected, (e as Error).message.split('\n')[0]);
  }
  return checkedDoc(doc, path);
}

function checkedDoc(doc: unknown, path: string): SessionDoc {
  const expected = `an NC Lens session (${SESSION_SCHEMA})`;
  const d = doc as Partial<SessionDoc> | null;
  if (!d || typeof d !== 'object' || d.schema !== SESSION_SCHEMA)
    throw badInput(path, expected, `schema ${JSON.stringify(d?.schema ?? null)}`);
  if (!Array.isArray(d.runs) || d.runs.length === 0)
    throw badInput(path, expected, 'no runs in it');
  for (const r of d.runs) {
    if (typeof r?.name !== 'string' || !Array.isArray(r.files))
      throw badInput(path, expected, 'a run without a name or files');
    for (const f of r.files) {
      const ok =
        typeof f?.path === 'string' &&
        typeof f.name === 'string' &&
        typeof f.bytes === 'number' &&
        typeof f.sha256 === 'string' &&
        typeof f.roles === 'object' &&
        f.roles !== null &&
        Object.values(f.roles).every((v) => (ROLES as readonly unknown[]).includes(v));
      if (!ok) throw badInput(path, expected, `a malformed file entry in run '${r.name}'`);
    }
  }
  if (d.centering !== 'class-means' && d.centering !== 'samples')
    throw badInput(path, expected, `centering ${JSON.stringify(d.centering ?? null)}`);
  return { ...d, ui: typeof d.ui === 'object' && d.ui !== null ? d.ui : {} } as SessionDoc;
}

/** The recent sessions of the folder, newest first (unreadable ones left out). */
export async function recentSessions(dir = sessionsDir()): Promise<RecentSession[]> {
  const out: RecentSession[] = [];
  for (const path of await listFiles(dir)) {
    const doc = await readSession(path).catch(() => null);
    if (!doc) continue;
    out.push({
      id: basename(path),
      title: doc.title,
      saved: doc.saved,
      runs: doc.runs.map((r) => r.name),
      files: doc.runs.reduce((n, r) => n + r.files.length, 0),
    });
  }
  return out;
}

/** The path of recent session `id` (a file name in the folder, nothing else). */
export function recentPath(id: string, dir = sessionsDir()): string {
  if (typeof id !== 'string' || !/^[A-Za-z0-9._-]+\.nclens-session\.json$/.test(id))
    throw badInput(undefined, 'a recent session id', `'${String(id)}'`);
  return join(dir, id);
}
