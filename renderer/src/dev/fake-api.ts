// DEV ONLY, deleted before finishing: an in-memory NcLensApi over the fixtures' reference JSON.
import type { ClientApi } from '../api/client.ts';
export type { ClientApi, ShellCommand } from '../api/client.ts';
import type { SessionState, FileEntry, Role } from '../../../shared/api.ts';
import type { MetricsResult, SeriesResult } from '../../../shared/schema.ts';
import e1 from '../../../../shared/fixtures/mnist-mlp/reference/mnist_small_epoch001.json';
import e5 from '../../../../shared/fixtures/mnist-mlp/reference/mnist_small_epoch005.json';
import e20 from '../../../../shared/fixtures/mnist-mlp/reference/mnist_small_epoch020.json';
import e80 from '../../../../shared/fixtures/mnist-mlp/reference/mnist_small_epoch080.json';

const refs = [e1, e5, e20, e80] as unknown as MetricsResult[];
const epochs = [1, 5, 20, 80];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let cancelled = false;

function file(epoch: number): FileEntry {
  const id = `f${epoch}`;
  const arr = (name: string, shape: number[], role: Role, dtype = '<f4') => ({
    id: `${id}:${name}`,
    name,
    dtype,
    shape,
    bytes: shape.reduce((a, b) => a * b, 4),
    role,
  });
  return {
    id,
    name: `mnist_small_epoch${String(epoch).padStart(3, '0')}.npz`,
    bytes: 1_100_000,
    format: 'npz',
    arrays: [
      arr('features', [8000, 32], 'features'),
      arr('labels', [8000], 'labels', '<i8'),
      arr('weight', [10, 32], 'weight'),
      arr('bias', [10], 'bias'),
      arr('test_features', [2000, 32], 'test_features'),
      arr('test_labels', [2000], 'test_labels', '<i8'),
    ],
  };
}

function series(): SeriesResult {
  return {
    schema: 'nc-lens/series@1',
    kind: 'epochs',
    settings: { centering: state.centering },
    engine: { backend: 'wasm', threads: 1, seconds: 0.42 },
    warnings: ['labels 10..19 have classifier rows but no samples'],
    points: Array.from({ length: mode.includes('long') ? 25 : 4 }, (_, i) => i).map((i) => {
      const n = mode.includes('long') ? 25 : 4;
      const k = Math.min(3, Math.floor((i * 4) / n));
      return { index: i, epoch: n === 4 ? epochs[i] : i * 8, label: `epoch ${i}`,
        metrics: { ...refs[k], warnings: [], test: { ...refs[Math.max(0, k - 1)] } } };
    }),
  };
}

let state: SessionState = { files: [], result: null, centering: 'class-means', demo: false };
const mode = new URLSearchParams(location.search).get('fake') ?? '';

export function getApi(): ClientApi {
  return {
    openFiles: openBrowserFiles,
    saveExport: async () => {},
    onCommand: () => () => {},
    info: async () => ({ version: '0.1.0', backend: 'wasm', shell: 'browser' }),
    state: async () => state,
    open: async () => state,
    openDemo: async () => {
      await sleep(200);
      state = { ...state, files: epochs.map(file), result: null, demo: true };
      return state;
    },
    closeFile: async (id) => {
      state = { ...state, files: state.files.filter((f) => f.id !== id), result: null };
      return state;
    },
    setRole: async (arrayId, role) => {
      state = {
        ...state,
        result: null,
        files: state.files.map((f) => ({
          ...f,
          arrays: f.arrays.map((a) => (a.id === arrayId ? { ...a, role } : a)),
        })),
      };
      return state;
    },
    setCentering: async (centering) => {
      state = { ...state, centering, result: null };
      return state;
    },
    analyze: async (onProgress) => {
      cancelled = false;
      const steps = mode.includes('slow') ? 200 : 10;
      for (let i = 0; i < steps; i++) {
        if (cancelled) throw Object.assign(new Error('cancelled'), { code: 'cancelled' });
        onProgress?.({
          phase: i < steps / 2 ? 'pass 1: class means' : 'pass 2: scatter',
          fraction: i / steps,
        });
        await sleep(30);
      }
      if (mode.includes('single'))
        state = { ...state, result: { ...refs[3], warnings: [], test: refs[2] } };
      else if (mode.includes('notest')) state = { ...state, result: { ...refs[3], warnings: [] } };
      else state = { ...state, result: series() };
      return state;
    },
    cancel: async () => {
      cancelled = true;
    },
    exportResult: async (format) => ({
      name: `nc.${format}`,
      mime: 'application/json',
      data: new TextEncoder().encode(JSON.stringify(state.result)),
    }),
  };
}

export async function openBrowserFiles(files: File[]): Promise<SessionState> {
  await sleep(100);
  const bad = files.find((f) => !/\.(npy|npz)$/.test(f.name));
  if (bad)
    throw Object.assign(new Error(`${bad.name}: expected a .npy or .npz file, found text`), {
      code: 'bad-input',
      file: bad.name,
    });
  state = {
    ...state,
    result: null,
    demo: false,
    files: [
      ...state.files,
      ...files.map((f, i) => ({ ...file(900 + i), id: `u${Date.now()}${i}`, name: f.name })),
    ],
  };
  return state;
}
