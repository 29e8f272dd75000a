/**
 * The preload contract without Electron: renderer client → preload bridge → main's IPC
 * handlers → message port → service, with only Electron's own transport replaced by direct
 * calls and a worker_threads MessageChannel.
 */
import { readFileSync } from 'node:fs';
import { MessageChannel } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { NcLensError } from '../../shared/errors.ts';
import type { MetricsResult } from '../../shared/schema.ts';
import type { ShellCommand } from '../../shared/transport.ts';
import { createBridge } from '../../main/electron/bridge.ts';
import { CHANNELS } from '../../main/electron/channels.ts';
import { fileArguments, ipcHandlers, recentFiles } from '../../main/electron/ipc.ts';
import { RemoteService, serveService } from '../../main/service/rpc.ts';
import { AnalysisService } from '../../main/service/session.ts';
import { createElectronClient } from '../../renderer/src/api/electron-client.ts';
import { MNIST } from '../fixtures.ts';

function wired() {
  const { port1, port2 } = new MessageChannel();
  const session = new AnalysisService({ shell: 'electron' });
  serveService(
    { post: (m) => port2.postMessage(m), listen: (cb) => port2.on('message', cb) },
    session,
  );
  const remote = new RemoteService({
    post: (m) => port1.postMessage(m),
    listen: (cb) => port1.on('message', cb),
  });
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const sender = {
    send: (channel: string, payload: unknown) => listeners.get(channel)?.forEach((l) => l(payload)),
  };
  const saved: { path: string; data: Uint8Array }[] = [];
  const opened: string[][] = [];
  const handlers = ipcHandlers({
    remote,
    chooseSavePath: async (name) => `/saved/${name}`,
    writeFile: async (path, data) => void saved.push({ path, data }),
    opened: (paths) => opened.push(paths),
  });
  const paths = new Map<File, string>();
  const bridge = createBridge({
    invoke: (channel, ...args) => handlers[channel](sender, ...args),
    on: (channel, listener) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(listener);
      return () => listeners.get(channel)!.delete(listener);
    },
    pathForFile: (f) => paths.get(f) ?? '',
  });
  const close = async () => {
    await session.dispose();
    port1.close();
    port2.close();
  };
  return { api: createElectronClient(bridge), sender, saved, opened, paths, close };
}

describe('Electron preload contract', () => {
  const w = wired();
  afterAll(() => w.close());

  it('opens dropped files by their path and analyses with progress', async () => {
    const file = new File([new Uint8Array(0)], 'mnist_small_epoch080.npz');
    w.paths.set(file, `${MNIST}/mnist_small_epoch080.npz`);
    const state = await w.api.openFiles([file]);
    expect(state.files[0].name).toBe('mnist_small_epoch080.npz');
    expect(w.opened).toEqual([[`${MNIST}/mnist_small_epoch080.npz`]]);
    const fractions: number[] = [];
    const { result } = await w.api.analyze((p) => fractions.push(p.fraction));
    const ref = JSON.parse(readFileSync(`${MNIST}/reference/mnist_small_epoch080.json`, 'utf8'));
    expect((result as MetricsResult).nc1).toBeCloseTo(ref.nc1, 6);
    expect(fractions.at(-1)).toBe(1);
    expect((await w.api.info()).shell).toBe('electron');
  });

  it('re-validates paths in main: relative paths, folders among files and upload ids are refused', async () => {
    const relative = await w.api.open([{ path: 'x.npy' }]).catch((e: unknown) => e);
    expect((relative as NcLensError).message).toMatch(/absolute path/);
    // One folder alone is a run folder to follow (test/service/watch.test.ts); among files, no.
    const file = { path: `${MNIST}/mnist_small_epoch080.npz` };
    const folder = await w.api.open([file, { path: MNIST }]).catch((e: unknown) => e);
    expect((folder as NcLensError).message).toMatch(/a folder/);
    const upload = await w.api.open([{ uploadId: 'u', name: 'a.npy' }]).catch((e: unknown) => e);
    expect(upload).toBeInstanceOf(NcLensError);
    expect((await w.api.state()).files).toHaveLength(1);
    const noPath = new File([new Uint8Array(0)], 'pasted.npy');
    const e = await w.api.openFiles([noPath]).catch((err: unknown) => err);
    expect((e as NcLensError).message).toMatch(/pasted\.npy/);
  });

  it('exports bytes and saves through the dialog', async () => {
    const out = await w.api.exportResult('json');
    expect(out.name).toBe('nc-lens.json');
    expect(JSON.parse(new TextDecoder().decode(out.data)).schema).toBe('nc-lens/metrics@1');
    await w.api.saveExport('csv-per-class', { title: 'epoch 80' });
    expect(w.saved[0].path).toBe('/saved/epoch-80-per-class.csv');
    const bad = await w.api.saveExport('bogus' as never).catch((e: unknown) => e);
    expect((bad as NcLensError).message).toMatch(/export format/);
    expect((bad as NcLensError).code).toBe('bad-input');
  });

  it('delivers menu commands and stops after unsubscribe', () => {
    const got: ShellCommand[] = [];
    const stop = w.api.onCommand((c) => got.push(c));
    w.sender.send(CHANNELS.command, { type: 'open-demo' });
    stop();
    w.sender.send(CHANNELS.command, { type: 'open-demo' });
    expect(got).toEqual([{ type: 'open-demo' }]);
  });

  it('keeps recent files newest first and finds files in argv', () => {
    expect(recentFiles(['/a', '/b'], ['/b', '/c'], 3)).toEqual(['/c', '/b', '/a']);
    expect(fileArguments(['--flag', '/x/a.npz', 'b.txt', '/y/m.onnx'])).toEqual([
      '/x/a.npz',
      '/y/m.onnx',
    ]);
  });
});
