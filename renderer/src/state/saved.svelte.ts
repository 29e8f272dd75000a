/**
 * Saved sessions in the UI (issue 16): Save session keeps the files (by path, size, digest),
 * roles, centring, run names and what is on screen (the point, the 3D camera, the runs' axis
 * and epoch, the selection) in the service's sessions folder and downloads the same JSON; a
 * recent session (the start page, the Sessions menu, Electron's File menu) or a session file
 * reopens to the same point and camera. Files that changed since are named, never reused.
 */
import type { FileRef, RecentSession, SessionUi } from '../../../shared/api.ts';
import { alertText } from '../lib/alerts.ts';
import { clampIndex } from '../lib/series.ts';
import { cameraOf, view3d } from '../view3d/camera.ts';
import { runs } from './runs.svelte.ts';
import { session } from './session.svelte.ts';

/**
 * The class selection the views share, when a view provides it (get) and can restore it (set):
 * kept in the session as `ui.selection`.
 */
export const selectionHooks: {
  get: (() => SessionUi['selection']) | null;
  set: ((s: NonNullable<SessionUi['selection']>) => void) | null;
} = { get: null, set: null };

class SavedSessions {
  recent = $state.raw<RecentSession[]>([]);
  /** Files of the last reopened session that changed since or are gone (not reused). */
  problems = $state.raw<string[]>([]);
  notice = $state<string | null>(null);
  error = $state<string | null>(null);
  busy = $state(false);

  async refresh(): Promise<void> {
    try {
      this.recent = await session.api.recentSessions();
    } catch {
      this.recent = [];
    }
  }

  /** What is on screen, for the session file. */
  ui(): SessionUi {
    const point = clampIndex(session.result, session.selectedIndex);
    const p =
      session.result?.schema === 'nc-lens/series@1' ? session.result.points[point] : undefined;
    const selection = selectionHooks.get?.();
    return {
      point,
      ...(p?.epoch !== undefined ? { epoch: p.epoch } : {}),
      ...(view3d.current ? { camera: cameraOf(view3d.current) } : {}),
      ...(selection ? { selection } : {}),
      viewRun: runs.viewRun,
      x: runs.xChoice,
      at: runs.at,
    };
  }

  /** Saves the session; the browser also downloads the JSON (the service keeps a copy). */
  async save(opts: { download?: boolean } = {}): Promise<void> {
    this.error = null;
    this.busy = true;
    try {
      const { id, json } = await session.api.saveSession(this.ui());
      if (opts.download !== false && session.info?.shell !== 'electron') {
        const url = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
        const a = document.createElement('a');
        a.href = url;
        a.download = id;
        a.click();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      }
      this.notice = `Session saved (${id})`;
      await this.refresh();
    } catch (e) {
      this.error = alertText(e, []);
    } finally {
      this.busy = false;
    }
  }

  /** Reopens a recent session by id, or a session file picked or dropped. */
  async open(ref: { recent: string } | FileRef): Promise<void> {
    this.error = null;
    this.notice = null;
    this.busy = true;
    try {
      const opened = await session.api.openSession(ref);
      const ui = opened.ui;
      runs.list = opened.runs;
      if (ui.x) runs.x = { quantity: ui.x.quantity ?? 'epoch', scale: ui.x.scale ?? 'auto' };
      runs.at = ui.at ?? null;
      runs.viewRun = opened.runs.some((r) => r.id === ui.viewRun) ? ui.viewRun! : 'main';
      // The camera waits for the view to fit itself to the reopened result, then applies.
      view3d.pending = ui.camera ?? null;
      await session.init();
      session.select(ui.point ?? -1);
      if (ui.selection) selectionHooks.set?.(ui.selection);
      this.problems = opened.problems;
    } catch (e) {
      this.error = alertText(e, []);
    } finally {
      this.busy = false;
    }
  }

  /** Electron's File menu: Save session, Open session…, its recent sessions. Returns the stop. */
  listenToShell(): () => void {
    return session.api.onCommand((cmd) => {
      if (cmd.type === 'save-session') void this.save();
      else if (cmd.type === 'open-session') void this.open(cmd.ref);
    });
  }

  async openFile(file: File): Promise<void> {
    try {
      const [ref] = await session.api.fileRefs([file]);
      await this.open(ref);
    } catch (e) {
      this.error = alertText(e, [file.name]);
    }
  }
}

export const saved = new SavedSessions();
