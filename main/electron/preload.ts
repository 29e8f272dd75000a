/** Sandboxed preload (one CJS bundle): exposes the typed bridge and nothing else. */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { IpcRendererEvent } from 'electron';
import { createBridge } from './bridge.ts';

contextBridge.exposeInMainWorld(
  'ncLens',
  createBridge({
    invoke: (channel, ...args) => ipcRenderer.invoke(channel, ...args),
    on: (channel, listener) => {
      const wrapped = (_e: IpcRendererEvent, payload: unknown) => listener(payload);
      ipcRenderer.on(channel, wrapped);
      return () => ipcRenderer.removeListener(channel, wrapped);
    },
    pathForFile: (file) => webUtils.getPathForFile(file),
  }),
);
