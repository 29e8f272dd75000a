/**
 * The API the UI uses, whichever shell it runs in: Electron's preload bridge when present,
 * else the browser shell's HTTP server.
 */
import type { NcLensBridge } from '../../../shared/transport.ts';
import type { ClientApi } from './client.ts';
import { createElectronClient } from './electron-client.ts';
import { createHttpClient } from './http-client.ts';
import { download, pageToken } from './page.ts';
import { workerTransport } from './wire-page.ts';

export type { ClientApi, ShellCommand } from './client.ts';

declare global {
  interface Window {
    ncLens?: NcLensBridge;
  }
}

let api: ClientApi | undefined;

export function getApi(): ClientApi {
  api ??= window.ncLens
    ? createElectronClient(window.ncLens)
    : createHttpClient({
        token: pageToken(),
        save: download,
        transport: workerTransport() ?? undefined,
      });
  return api;
}
