/**
 * The one API the UI calls. The Electron preload bridge and the browser shell's HTTP client
 * both implement `NcLensApi`; the service in main/service implements it in Node. Everything
 * crossing it is plain JSON-able data; errors cross as `ErrorValue` and are rebuilt into
 * NcLensError on the UI side.
 */
import type { LiveRun } from './live.ts';
import type { AnalysisResult, Centering, Progress } from './schema.ts';

export type Role =
  | 'features'
  | 'labels'
  | 'weight'
  | 'bias'
  | 'logits'
  | 'test_features'
  | 'test_labels'
  | 'test_logits'
  /** Rows fed to an open ONNX model (its features are computed by running it). */
  | 'inputs'
  | 'test_inputs'
  | 'layer'
  | 'ignore';

export const ROLES: readonly Role[] = [
  'features',
  'labels',
  'weight',
  'bias',
  'logits',
  'test_features',
  'test_labels',
  'test_logits',
  'inputs',
  'test_inputs',
  'layer',
  'ignore',
];

export interface ArrayEntry {
  /** Stable id: `<fileId>:<array name>`. */
  id: string;
  name: string;
  dtype: string;
  shape: number[];
  bytes: number;
  role: Role;
}

export interface FileEntry {
  id: string;
  /** Base name shown to the user. */
  name: string;
  bytes: number;
  format: string;
  arrays: ArrayEntry[];
  /** For format 'onnx-model' (which has no arrays): what the model offers. */
  model?: ModelEntry;
  /** Why the analysis plan (main/plan) leaves this file out; absent when it is used. */
  ignored?: string;
}

/**
 * An open ONNX model. The analysis runs it on the arrays with roles 'inputs' (and
 * 'test_inputs'), labelled by 'labels' ('test_labels'). Another features tensor is picked with
 * `setRole('<file id>:<tensor>', 'features')`, the tensor one of `candidates`.
 */
export interface ModelEntry {
  /** The graph inputs to feed: fixed sizes as numbers, symbolic ones by name. */
  inputs: { name: string; shape: (number | string)[]; type: string }[];
  /**
   * The final linear classifier found: W is C×D, its input the default features. Null when the
   * model has none: the user picks the features tensor, and the classifier metrics stay null.
   */
  classifier: {
    node: string;
    op: string;
    weightShape: [number, number];
    hasBias: boolean;
    featuresTensor: string;
    logitsTensor: string;
  } | null;
  /** Tensors that can be taken as features, in graph order. */
  candidates: string[];
  /** The features tensor the analysis uses; null until one is picked when there is no classifier. */
  featuresTensor: string | null;
}

/**
 * A file to open. Electron passes absolute paths (re-validated in main); the browser shell
 * first uploads the file and passes the returned upload id.
 */
export type FileRef = { path: string } | { uploadId: string; name: string };

export interface SessionState {
  files: FileEntry[];
  /** The latest analysis of the current files and roles, if any. */
  result: AnalysisResult | null;
  centering: Centering;
  /** Whether the demo is what is open. */
  demo: boolean;
  /** The run folder followed live (serve --watch, Open folder), when one is. */
  live?: LiveRun;
}

export interface AppInfo {
  version: string;
  /** Compute backend in use ('onnxruntime': float64 ONNX Runtime graphs). */
  backend: string;
  shell: 'electron' | 'browser';
  /** While a run folder is followed: its revision (the UI fetches the state when it moves). */
  live?: { revision: number };
}

/** `pdf-compare`: the comparison report of the open runs (at least two). */
export type ExportFormat =
  | 'json'
  | 'csv'
  | 'csv-per-class'
  /** The per-class table as a LaTeX tabular. */
  | 'tex-per-class'
  | 'pdf'
  | 'pdf-compare';

/**
 * A run: files analysed together (one dump, a folder of epoch dumps), named by the user. The
 * session's own files are the primary run, which the single-run calls (open, setRole,
 * analyze, …) work on; `addRun` opens others beside it, each with its own plan and result.
 */
export interface RunEntry {
  id: string;
  name: string;
  primary: boolean;
  files: FileEntry[];
  /** Null for the primary run: its result is the session state's (`SessionState.result`). */
  result: AnalysisResult | null;
}

/** The x axis (shared/charts/registry.ts XAxisChoice) and the comparison table's epoch. */
export interface ExportView {
  x?: { quantity?: 'epoch' | 'step' | 'time'; scale?: 'log' | 'linear' | 'auto' };
  at?: number | null;
}

/** A file of a saved session: by path, with its size and digest, and its arrays' roles. */
export interface SessionFile {
  path: string;
  name: string;
  bytes: number;
  sha256: string;
  /** Array name → role. */
  roles: Record<string, Role>;
  /** An ONNX model's features tensor, when the user picked one. */
  featuresTensor?: string;
}

/** What the renderer keeps in a session: the point on screen, the camera, selections, axes. */
export interface SessionUi {
  /** Index of the series point on screen (−1: the last) and its epoch, when it has one. */
  point?: number;
  epoch?: number;
  /** The 3D view's camera: position, target and up vector. */
  camera?: { position: number[]; target: number[]; up: number[] };
  /** Selected classes (label values, in the order chosen), the 3D view's mode and exact-view classes. */
  selection?: { classes?: number[]; mode?: string; picked?: number[] };
  viewRun?: string;
  x?: ExportView['x'];
  at?: number | null;
}

/** A saved session (`nc-lens/session@1`). */
export interface SessionDoc {
  schema: 'nc-lens/session@1';
  title: string;
  /** ISO time of saving. */
  saved: string;
  centering: Centering;
  runs: { name: string; primary: boolean; files: SessionFile[] }[];
  ui: SessionUi;
}

export interface RecentSession {
  /** Its file name in the service's sessions folder. */
  id: string;
  title: string;
  saved: string;
  runs: string[];
  files: number;
}

/** A reopened session: the state, the runs, the renderer's part, and what could not be reused. */
export interface OpenedSession {
  state: SessionState;
  runs: RunEntry[];
  ui: SessionUi;
  /** Files that are missing or changed since (size or SHA-256): not opened, each named. */
  problems: string[];
}

/** The primary run's id. */
export const PRIMARY_RUN = 'main';

/** Classes per side of one `cosineTile` at most. */
export const MAX_TILE_CLASSES = 512;

/** Cosines of the centred class means μ_k − μ_G between two lists of classes. */
export interface CosineTile {
  /** Class positions (indices into the point's `geometry.labels`) of the rows and columns. */
  rows: number[];
  cols: number[];
  /** rows.length × cols.length, row-major, float64. */
  cos: number[];
}

export interface NcLensApi {
  info(): Promise<AppInfo>;
  state(): Promise<SessionState>;
  /**
   * Opens files in place of the open ones, or beside them with `add`; a file already open is
   * not opened twice. A file that cannot be opened is listed as ignored (with the reason) when
   * others of the drop open; when none does, the error names it and the session stays as it was.
   */
  open(files: FileRef[], opts?: { add?: boolean }): Promise<SessionState>;
  openDemo(): Promise<SessionState>;
  closeFile(fileId: string): Promise<SessionState>;
  closeAll(): Promise<SessionState>;
  setRole(arrayId: string, role: Role): Promise<SessionState>;
  setCentering(centering: Centering): Promise<SessionState>;
  /**
   * The series point on screen (an index into the result's points; −1: the last): the
   * per-class CSV and the report's 3D, heatmap, norm and per-class pages show it.
   */
  selectPoint(index: number): Promise<SessionState>;
  /**
   * A tile of the cosine matrix of series point `point` (−1: the last), computed from the class
   * means the service keeps: the heatmap zooms into full resolution with it. At most
   * MAX_TILE_CLASSES rows and columns.
   */
  cosineTile(point: number, rows: number[], cols: number[]): Promise<CosineTile>;
  /** Analyses the current files with their roles. Progress arrives through `onProgress`. */
  analyze(onProgress?: (p: Progress) => void): Promise<SessionState>;
  /** Cancels a running analysis; `analyze` then rejects with code 'cancelled'. */
  cancel(): Promise<void>;
  /** The runs: the primary one (the session's files) first, then those added with `addRun`. */
  runs(): Promise<RunEntry[]>;
  /**
   * Opens `files` as another run beside the session's own and analyses it with the session's
   * centring (its own plan: main/plan). Nothing is added when it cannot be analysed.
   */
  addRun(files: FileRef[], opts?: { name?: string }): Promise<RunEntry[]>;
  renameRun(id: string, name: string): Promise<RunEntry[]>;
  /** Closes an added run (the primary run closes with closeAll). */
  closeRun(id: string): Promise<RunEntry[]>;
  /**
   * How the charts on screen are drawn, for the exports to draw them alike: the x axis of the
   * trajectories and the epoch of the comparison table (null: each run's last point).
   */
  setExportView(view: ExportView): Promise<void>;
  /**
   * Saves the session (every run's files by path with size and SHA-256, roles, centring, run
   * names, and the renderer's `ui`) into the service's sessions folder; returns it as JSON too.
   */
  saveSession(ui: SessionUi, opts?: { title?: string }): Promise<{ id: string; json: string }>;
  /** The saved sessions, newest first. */
  recentSessions(): Promise<RecentSession[]>;
  /**
   * Reopens a saved session (a recent one by id, or a session file) in place of what is open:
   * files that changed since or are gone are flagged in `problems` and left out.
   */
  openSession(ref: { recent: string } | FileRef): Promise<OpenedSession>;
  /** The exported bytes (the shell saves them: a dialog in Electron, a download in the browser). */
  exportResult(
    format: ExportFormat,
    extra?: { viewPng?: Uint8Array; title?: string },
  ): Promise<{ name: string; mime: string; data: Uint8Array }>;
}
