/**
 * The 3-D view's benchmark and preview page (built by bench/view3d.ts, never shipped).
 * `?mode=bench`: frame times of the bare renderer with a 100 000-point cloud, orbiting and
 * animating between epochs. `?mode=ui`: the full view on a synthetic series, for screenshots.
 * Query: c, d, n (samples), epochs (comma list).
 */
import { mount } from 'svelte';
import '../../styles/app.css';
import CollapseView from '../CollapseView.svelte';
import { EtfRenderer } from '../etf-renderer.ts';
import { frameSource, lerpFrame } from '../frames.ts';
import { syntheticSeries } from '../synthetic.ts';

const q = new URLSearchParams(location.search);
const c = Number(q.get('c') ?? 10);
const d = Number(q.get('d') ?? 64);
const n = Number(q.get('n') ?? 100_000);
const epochs = (q.get('epochs') ?? '1,3,10,30,100').split(',').map(Number);
const target = document.getElementById('app')!;

export interface BenchResult {
  c: number;
  d: number;
  samples: number;
  setupMs: number;
  orbit: { meanMs: number; p95Ms: number; frames: number };
  rest: { meanMs: number; p95Ms: number; frames: number };
  animate: { meanMs: number; p95Ms: number; frames: number };
}

function stats(times: number[]) {
  const s = [...times].sort((a, b) => a - b);
  return {
    meanMs: s.reduce((a, b) => a + b, 0) / s.length,
    p95Ms: s[Math.floor(s.length * 0.95)],
    frames: s.length,
  };
}

/** Renders `frames` frames, each finished on the GPU (a 1-pixel read forces that). */
function timeFrames(etf: EtfRenderer, frames: number, step: (i: number) => void): number[] {
  const gl = etf.renderer.getContext();
  const px = new Uint8Array(4);
  const times: number[] = [];
  for (let i = 0; i < frames; i++) {
    const t0 = performance.now();
    step(i);
    etf.render();
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
    times.push(performance.now() - t0);
  }
  return times;
}

async function bench(): Promise<BenchResult> {
  const canvas = document.createElement('canvas');
  canvas.style.cssText = 'width:960px;height:600px;display:block';
  target.append(canvas);
  const t0 = performance.now();
  const series = syntheticSeries({ c, d, samples: n, epochs });
  const source = frameSource(series, 'pca', []);
  for (let i = 0; i < source.count; i++) source.get(i);
  const aa = q.get('aa');
  const etf = new EtfRenderer(canvas, aa === null ? {} : { antialias: aa !== '0' });
  etf.setFrame(source.get(source.count - 1));
  etf.resetCamera(EtfRenderer.extentOf(source.get(0)));
  const setupMs = performance.now() - t0;
  timeFrames(etf, 5, () => undefined); // warm-up: shader compile, buffer upload
  const orbitStep = (frames: number) => (i: number) => {
    const a = (i / frames) * Math.PI * 2;
    etf.camera.position.set(Math.sin(a) * 3, 1, Math.cos(a) * 3);
    etf.controls.update();
  };
  // At rest every point is drawn; while moving, MOVING_SAMPLES of them.
  const rest = timeFrames(etf, 20, orbitStep(20));
  etf.setAnimating(true);
  const orbit = timeFrames(etf, 60, orbitStep(60));
  // Epoch animation: all points re-interpolated and re-uploaded every frame.
  const animate = timeFrames(etf, 60, (i) => {
    const pos = (i / 60) * (source.count - 1);
    const lo = Math.floor(pos);
    etf.setFrame(
      lerpFrame(source.get(lo)!, source.get(Math.min(lo + 1, source.count - 1))!, pos - lo),
    );
  });
  etf.setAnimating(false);
  etf.dispose();
  return {
    c,
    d,
    samples: n,
    setupMs,
    rest: stats(rest),
    orbit: stats(orbit),
    animate: stats(animate),
  };
}

declare global {
  interface Window {
    runBench?: () => Promise<BenchResult>;
  }
}

if (q.get('mode') === 'bench') {
  window.runBench = bench;
} else {
  const series = syntheticSeries({ c, d, samples: n, epochs });
  const state = $state({ selected: Number(q.get('sel') ?? series.points.length - 1) });
  target.style.cssText = 'padding: 12px; max-width: 1200px';
  mount(CollapseView, {
    target,
    props: {
      get result() {
        return series;
      },
      get selected() {
        return state.selected;
      },
      onselect: (i: number) => (state.selected = i),
    },
  });
}
