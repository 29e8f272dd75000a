/**
 * The app's state and the actions the UI takes, over the one API (`getApi()`). Components
 * read `session` and call its methods; the 3D view and charts (#5) read `session.selected`
 * and call `session.select(i)` so one epoch is selected everywhere.
 */
import { getApi, type ClientApi, type ShellCommand } from '../api/index.ts';
import type { AppInfo, ExportFormat, FileRef, Role, SessionState } from '../../../shared/api.ts';
import type { AnalysisResult, Centering, MetricsResult } from '../../../shared/schema.ts';
import { alertText, errorCode, type AlertMessage } from '../lib/alerts.ts';
import { clampIndex, metricsAt, pointCount } from '../lib/series.ts';

/** How often a followed run folder's revision is asked for (a cheap info() call). */
const LIVE_POLL_MS = 700;

export interface Busy {
  /** `uploading`: the browser shell sending picked files (cancellable like an analysis). */
  kind: 'opening' | 'uploading' | 'analyzing' | 'exporting';
  phase: string;
  /** 0..1, or null while the duration is unknown. */
  fraction: number | null;
}

/** What the UI shows and the actions it takes (one instance: `session`). */
class AppState {
  info = $state.raw<AppInfo | null>(null);
  state = $state.raw<SessionState | null>(null);
  /** The result on screen: kept when a later analysis fails or is cancelled. */
  result = $state.raw<AnalysisResult | null>(null);
  busy = $state.raw<Busy | null>(null);
  alerts = $state<AlertMessage[]>([]);
  notice = $state<string | null>(null);
  /** Index of the series point shown (−1: the last). */
  selectedIndex = $state(-1);

  selected: MetricsResult | null = $derived(metricsAt(this.result, this.selectedIndex));
  /** How the last analysis ended: a failed or cancelled one leaves older numbers on screen. */
  lastRun = $state<'ok' | 'failed' | 'cancelled'>('ok');
  /**
   * Why the result on screen may not match the files and roles, or null when it does: it is
   * being replaced, the run that should have replaced it failed or was cancelled, or the
   * files or roles changed since.
   */
  staleReason: string | null = $derived.by(() => {
    if (this.result === null) return null;
    if (this.busy?.kind === 'uploading')
      return 'Opening other files: the numbers shown are from the previous analysis.';
    if (this.busy?.kind === 'analyzing' || this.busy?.kind === 'opening')
      return 'Analysing: the numbers shown are from the previous analysis.';
    if (this.lastRun === 'failed')
      return 'The last analysis failed: the numbers shown are from an earlier one.';
    if (this.lastRun === 'cancelled')
      return 'The last analysis was cancelled: the numbers shown are from an earlier one.';
    if (this.state !== null && this.state.result === null)
      return 'The numbers shown are from before the last change of files or roles.';
    return null;
  });
  stale = $derived(this.staleReason !== null);
  files = $derived(this.state?.files ?? []);
  /** The run folder the service follows (serve --watch, Open folder), or null. */
  live = $derived(this.state?.live ?? null);
  /** The compute backend: known to the service once its engine has started. */
  backend = $derived(
    this.info?.backend || (this.result?.engine ?? this.selected?.engine)?.backend || '',
  );

  /** Set by the 3D view (#5) so the PDF export can embed a picture of it. */
  viewSnapshot: (() => Promise<Uint8Array | undefined>) | null = null;

  #api: ClientApi | null = null;
  #queue: Promise<void> = Promise.resolve();
  #nextAlert = 1;
  /** Set when a new action cancelled the analysis: that cancel needs no notice. */
  #interrupted = false;
  #liveTimer: ReturnType<typeof setInterval> | null = null;
  #liveRevision = -1;
  #livePolling = false;
  /** Stops the upload under way (browser shell). */
  #upload: AbortController | null = null;

  get api(): ClientApi {
    this.#api ??= getApi();
    return this.#api;
  }

  /** First start: show what the service has, or open the demo when nothing is open. */
  init(): Promise<void> {
    return this.#enqueue(async () => {
      const [info, state] = await Promise.all([this.api.info(), this.api.state()]);
      this.info = info;
      this.#apply(state);
      // A followed folder is analysed by the service as its dumps land: nothing to start here.
      if (state.live) return;
      if (state.files.length === 0) await this.#openDemo();
      else if (!state.result) await this.#analyze();
    }, []);
  }

  openDemo(): Promise<void> {
    this.#interrupt();
    return this.#enqueue(() => this.#openDemo(), ['demo']);
  }

  /** Opens `files` in place of the open ones, or beside them with `add`. */
  openFiles(files: File[], opts: { add?: boolean } = {}): Promise<void> {
    if (files.length === 0) return Promise.resolve();
    this.#interrupt();
    const names = files.map((f) => f.name);
    return this.#enqueue(async () => {
      const phase = `Opening ${names.join(', ')}`;
      const upload = new AbortController();
      this.#upload = upload;
      this.busy = { kind: 'uploading', phase, fraction: null };
      let state: SessionState;
      try {
        state = await this.api.openFiles(files, {
          add: opts.add,
          signal: upload.signal,
          onProgress: (fraction) => {
            if (this.busy?.kind === 'uploading' && this.busy.phase !== 'Cancelling')
              this.busy = { kind: 'uploading', phase, fraction };
          },
        });
      } catch (e) {
        if (errorCode(e) !== 'cancelled') throw e;
        // Nothing was opened: the files and numbers on screen are the ones before.
        if (!this.#interrupted)
          this.notice = 'Upload cancelled: the files open before are still open.';
        this.#interrupted = false;
        return;
      } finally {
        this.#upload = null;
      }
      this.#apply(state);
      this.#opened();
      if (!state.live) await this.#analyze(names);
    }, names);
  }

  /**
   * Dropped files, and whether a folder was among them: in Electron the folder itself is
   * opened (followed live by the service); the browser uploads the folder's dumps instead.
   */
  async openDropped(files: File[], folderFiles: () => Promise<File[]>): Promise<void> {
    if (this.info?.shell === 'electron') return this.openFiles(files);
    return this.openFiles(await folderFiles());
  }

  closeAll(): Promise<void> {
    this.#interrupt();
    return this.#enqueue(async () => {
      this.#apply(await this.api.closeAll());
      this.#opened();
    }, []);
  }

  /** After a cancel: the same files and roles, analysed again. */
  analyzeAgain(): Promise<void> {
    this.notice = null;
    return this.#enqueue(() => this.#analyze(), []);
  }

  /** Files chosen in Electron's File menu arrive as paths, not File objects. */
  openRefs(refs: FileRef[]): Promise<void> {
    if (refs.length === 0) return Promise.resolve();
    this.#interrupt();
    const names = refs.map((r) => ('path' in r ? r.path : r.name));
    return this.#enqueue(async () => {
      this.busy = { kind: 'opening', phase: `Opening ${names.join(', ')}`, fraction: null };
      const state = await this.api.open(refs);
      this.#apply(state);
      this.#opened();
      if (!state.live) await this.#analyze(names);
    }, names);
  }

  /** What the Electron File menu asks for; returns the unsubscribe. */
  listenToShell(): () => void {
    return this.api.onCommand((cmd: ShellCommand) => {
      if (cmd.type === 'open') void this.openRefs(cmd.refs);
      else if (cmd.type === 'open-demo') void this.openDemo();
      else if (cmd.type === 'export') void this.exportAs(cmd.format);
    });
  }

  closeFile(fileId: string): Promise<void> {
    this.#interrupt();
    return this.#enqueue(async () => {
      const state = await this.api.closeFile(fileId);
      this.#apply(state);
      if (state.files.length > 0) await this.#analyze();
    }, []);
  }

  setRole(arrayId: string, role: Role): Promise<void> {
    this.#interrupt();
    return this.#enqueue(async () => {
      this.#apply(await this.api.setRole(arrayId, role));
      await this.#analyze();
    }, []);
  }

  setCentering(centering: Centering): Promise<void> {
    this.#interrupt();
    return this.#enqueue(async () => {
      this.#apply(await this.api.setCentering(centering));
      await this.#analyze();
    }, []);
  }

  async cancel(): Promise<void> {
    if (this.busy?.kind === 'uploading') {
      this.busy = { ...this.busy, phase: 'Cancelling' };
      this.#upload?.abort();
      return;
    }
    if (this.busy?.kind !== 'analyzing') return;
    this.busy = { ...this.busy, phase: 'Cancelling' };
    await this.api.cancel();
  }

  exportAs(format: ExportFormat): Promise<void> {
    return this.#enqueue(async () => {
      this.busy = { kind: 'exporting', phase: `Exporting ${format.toUpperCase()}`, fraction: null };
      // Exports follow the screen: the point selected is the one they show.
      await this.api.selectPoint(clampIndex(this.result, this.selectedIndex));
      const viewPng = format === 'pdf' ? await this.viewSnapshot?.() : undefined;
      await this.api.saveExport(format, viewPng ? { viewPng } : undefined);
    }, []);
  }

  select(index: number): void {
    const i = clampIndex(this.result, index);
    // In a followed run, picking the newest point means following the newest as they come.
    this.selectedIndex = this.live && i === pointCount(this.result) - 1 ? -1 : i;
  }

  dismissAlert(id: number): void {
    this.alerts = this.alerts.filter((a) => a.id !== id);
  }

  dismissNotice(): void {
    this.notice = null;
  }

  async #openDemo(): Promise<void> {
    this.busy = { kind: 'opening', phase: 'Opening the demo', fraction: null };
    const state = await this.api.openDemo();
    this.#apply(state);
    this.#opened();
    if (!state.result) await this.#analyze();
  }

  /** Analyses the session; `files` are the ones just opened, named when the error does not. */
  async #analyze(files: readonly string[] = []): Promise<void> {
    this.busy = { kind: 'analyzing', phase: 'Starting analysis', fraction: 0 };
    this.#interrupted = false;
    // Only the latest analysis's failure is news: closing files one by one must not pile up
    // the failures of each intermediate set.
    this.alerts = this.alerts.filter((a) => a.source !== 'analysis');
    try {
      this.#apply(
        await this.api.analyze((p) => {
          if (this.busy?.kind === 'analyzing' && this.busy.phase !== 'Cancelling')
            this.busy = { kind: 'analyzing', phase: p.phase, fraction: p.fraction };
        }),
      );
      this.lastRun = 'ok';
    } catch (e) {
      if (errorCode(e) !== 'cancelled') {
        this.lastRun = 'failed';
        return this.#alert(e, files, 'analysis');
      }
      if (this.#interrupted) return;
      this.lastRun = 'cancelled';
      this.notice = 'Analysis cancelled.';
    }
  }

  /** Stops a running analysis so the next action starts at once instead of waiting for it. */
  #interrupt(): void {
    if (this.busy?.kind === 'uploading') {
      // A newer action replaces the upload: stop it, without a notice.
      this.#interrupted = true;
      this.#upload?.abort();
      return;
    }
    if (this.busy?.kind !== 'analyzing') return;
    this.#interrupted = true;
    void this.cancel().catch(() => undefined);
  }

  #apply(state: SessionState): void {
    this.state = state;
    if (state.live) this.#follow(state.live.revision);
    else this.#unfollow();
    if (state.result && state.result !== this.result) {
      // A re-analysis of the same series (a role or centring change) keeps the chosen point;
      // in a followed run, so does a new epoch (−1 follows the newest).
      const grown = pointCount(state.result) !== pointCount(this.result);
      if (grown && !(state.live && this.selectedIndex >= 0)) this.selectedIndex = -1;
      this.result = state.result;
      this.notice = null;
    } else if (state.files.length === 0) {
      this.result = null;
      this.alerts = this.alerts.filter((a) => a.source !== 'analysis');
    }
  }

  /** Polls the followed folder's revision; a new one brings the session state (and result). */
  #follow(revision: number): void {
    this.#liveRevision = revision;
    this.#liveTimer ??= setInterval(() => void this.#pollLive(), LIVE_POLL_MS);
  }

  #unfollow(): void {
    if (this.#liveTimer) clearInterval(this.#liveTimer);
    this.#liveTimer = null;
  }

  async #pollLive(): Promise<void> {
    // An action under way applies the state itself when it is done.
    if (this.#livePolling || this.busy) return;
    this.#livePolling = true;
    try {
      const info = await this.api.info();
      const revision = info.live?.revision;
      if (revision === this.#liveRevision) return;
      const state = await this.api.state();
      if (!this.busy) this.#apply(state);
    } catch {
      // The next poll tries again; a server that is gone shows on the next action.
    } finally {
      this.#livePolling = false;
    }
  }

  /** Files opened: the banners of earlier failed actions no longer apply. */
  #opened(): void {
    this.alerts = this.alerts.filter((a) => a.source !== 'action');
    this.lastRun = 'ok';
  }

  /** One banner per problem: the same message again replaces the old one. */
  #alert(e: unknown, files: readonly string[], source: AlertMessage['source']): void {
    const text = alertText(e, files);
    const others = this.alerts.filter((a) => a.text !== text);
    this.alerts = [...others, { id: this.#nextAlert++, text, source }];
  }

  /**
   * Runs actions one after another; a failure becomes a banner and leaves the state as it was.
   * `files` are what the action opens: the banner names them when the error does not.
   */
  #enqueue(task: () => Promise<void>, files: readonly string[]): Promise<void> {
    const run = this.#queue.then(async () => {
      try {
        await task();
      } catch (e) {
        this.#alert(e, files, 'action');
      } finally {
        this.busy = null;
      }
    });
    this.#queue = run;
    return run;
  }
}

export const session = new AppState();
