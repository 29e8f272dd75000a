/**
 * The runs on screen (compare runs, issue 16) and the x axis of the trajectory charts. The
 * session's own files are the primary run (its result is `session.result`); `add` opens others
 * beside it through the API's addRun, each analysed with its own plan. The charts and the
 * comparison table read `compared`; the 3D view and heatmap show `viewResult`, one run at a time.
 */
import { PRIMARY_RUN, type FileRef, type RunEntry } from '../../../shared/api.ts';
import type { RunLogEntry, XAxisChoice, XQuantity } from '../../../shared/charts/registry.ts';
import type { AnalysisResult } from '../../../shared/schema.ts';
import { alertText } from '../lib/alerts.ts';
import { session } from './session.svelte.ts';

export interface ComparedRunView {
  id: string;
  name: string;
  result: AnalysisResult;
  /** Steps and wall time per epoch (the primary run's training log, when followed live). */
  log?: RunLogEntry[];
}

class RunsState {
  /** The runs as the service holds them (the primary one first). */
  list = $state.raw<RunEntry[]>([]);
  /** The x axis of every trajectory chart (single run and comparison), the PDF's too. */
  x = $state<{ quantity: XQuantity; scale: NonNullable<XAxisChoice['scale']> }>({
    quantity: 'epoch',
    scale: 'auto',
  });
  /** The epoch of the comparison table; null: each run's last point. */
  at = $state<number | null>(null);
  /** The run the 3D view and the heatmap show. */
  viewRun = $state<string>(PRIMARY_RUN);
  busy = $state<string | null>(null);
  error = $state<string | null>(null);

  /** Every run with a result; the primary one as on screen (`session.result`). */
  compared: ComparedRunView[] = $derived.by(() => {
    const out: ComparedRunView[] = [];
    const runs = this.list.length ? this.list : [];
    for (const r of runs) {
      const result = r.primary ? session.result : r.result;
      const log = r.primary ? this.primaryLog : undefined;
      if (result) out.push({ id: r.id, name: r.name, result, ...(log ? { log } : {}) });
    }
    if (!runs.some((r) => r.primary) && session.result)
      out.unshift({ id: PRIMARY_RUN, name: 'run 1', result: session.result });
    return out;
  });
  comparing = $derived(this.compared.length > 1);
  /** The primary run's training log (a followed run folder's), for the step and time axes. */
  primaryLog: RunLogEntry[] | undefined = $derived(session.live?.log?.epochs);
  /** The result the 3D view and the heatmap show: the picked run's, else the session's. */
  viewResult: AnalysisResult | null = $derived(
    (this.comparing && this.compared.find((r) => r.id === this.viewRun)?.result) || session.result,
  );

  /** The x-axis choice as the registry takes it. */
  get xChoice(): XAxisChoice {
    return { quantity: this.x.quantity, scale: this.x.scale };
  }

  async refresh(): Promise<void> {
    try {
      this.list = await session.api.runs();
    } catch (e) {
      this.error = alertText(e, []);
    }
    if (!this.list.some((r) => r.id === this.viewRun)) this.viewRun = PRIMARY_RUN;
  }

  /** Opens `files` as another run (a folder's files, or dumps picked together). */
  async add(files: File[], name?: string): Promise<void> {
    if (files.length === 0) return;
    const refs = await this.#refs(files);
    if (refs) await this.addRefs(refs, name);
  }

  async addRefs(refs: FileRef[], name?: string): Promise<void> {
    this.error = null;
    this.busy = `Opening and analysing ${refs.length} file${refs.length === 1 ? '' : 's'} as a run`;
    try {
      this.list = await session.api.addRun(refs, name ? { name } : undefined);
    } catch (e) {
      this.error = alertText(
        e,
        refs.map((r) => ('path' in r ? r.path : r.name)),
      );
    } finally {
      this.busy = null;
    }
  }

  async rename(id: string, name: string): Promise<void> {
    const clean = name.trim();
    if (!clean || this.list.find((r) => r.id === id)?.name === clean) return;
    try {
      this.list = await session.api.renameRun(id, clean);
    } catch (e) {
      this.error = alertText(e, []);
    }
  }

  async close(id: string): Promise<void> {
    try {
      this.list = await session.api.closeRun(id);
    } catch (e) {
      this.error = alertText(e, []);
    }
    if (this.viewRun === id) this.viewRun = PRIMARY_RUN;
  }

  /** The comparison report of the runs (Export → Comparison report). */
  async exportComparison(): Promise<void> {
    this.error = null;
    this.busy = 'Writing the comparison report';
    try {
      await session.api.saveExport('pdf-compare');
    } catch (e) {
      this.error = alertText(e, []);
    } finally {
      this.busy = null;
    }
  }

  async #refs(files: File[]): Promise<FileRef[] | null> {
    try {
      return await session.api.fileRefs(files);
    } catch (e) {
      this.error = alertText(
        e,
        files.map((f) => f.name),
      );
      return null;
    }
  }
}

export const runs = new RunsState();
