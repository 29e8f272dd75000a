/**
 * Electron's main process: one locked-down window, the service in a utility process, the File
 * menu. Everything that can be tested without Electron lives in ipc.ts, bridge.ts and
 * main/service/; this file only wires Electron to them.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, net, protocol, utilityProcess } from 'electron';
import type { MenuItemConstructorOptions, WebContents } from 'electron';
import { writeFile } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ExportFormat, RecentSession } from '../../shared/api.ts';
import { recentSessions } from '../service/sessions.ts';
import type { ShellCommand } from '../../shared/transport.ts';
import { RemoteService } from '../service/rpc.ts';
import { CHANNELS } from './channels.ts';
import { FILE_EXTENSIONS, fileArguments, ipcHandlers } from './ipc.ts';
import { saveDialogFilters, saveDialogPath, ShellStore, withOpened, withSaved } from './store.ts';
import { CSP, ISOLATION_HEADERS } from '../shells/csp.ts';

const SCHEME = 'app';
const ORIGIN = `${SCHEME}://nc-lens`;
const RENDERER = join(__dirname, '..', 'renderer');

protocol.registerSchemesAsPrivileged([
  { scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

let window: BrowserWindow | null = null;
/** Recent files and the last export folder; read once the app is ready. */
let store: ShellStore | null = null;
const pendingOpen: string[] = fileArguments(process.argv.slice(1));

function startService(): RemoteService {
  const child = utilityProcess.fork(join(__dirname, '..', 'service-host.js'), [], {
    serviceName: 'NC Lens service',
  });
  const remote = new RemoteService({
    post: (m) => child.postMessage(m),
    listen: (cb) => child.on('message', cb),
  });
  child.on('exit', () => remote.failAll('internal error: the analysis service stopped'));
  return remote;
}

/**
 * Serves dist/renderer under app://nc-lens with the CSP and cross-origin isolation (as the
 * browser shell: the 3-D view's worker then shares the result's arrays); nothing outside that
 * folder.
 */
function serveRenderer(): void {
  protocol.handle(SCHEME, async (request) => {
    const path = normalize(join(RENDERER, decodeURIComponent(new URL(request.url).pathname)));
    const file = path === normalize(RENDERER + sep) ? join(RENDERER, 'index.html') : path;
    if (!file.startsWith(RENDERER + sep)) return new Response('not found', { status: 404 });
    const res = await net.fetch(pathToFileURL(file).href);
    const headers = new Headers(res.headers);
    headers.set('Content-Security-Policy', CSP);
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) headers.set(k, v);
    return new Response(res.body, { status: res.status, headers });
  });
}

function send(cmd: ShellCommand): void {
  window?.webContents.send(CHANNELS.command, cmd);
}

function lockDown(contents: WebContents): void {
  contents.on('will-navigate', (e) => e.preventDefault());
  contents.on('will-redirect', (e) => e.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

function createWindow(): void {
  window = new BrowserWindow({
    width: 1280,
    height: 860,
    title: 'NC Lens',
    webPreferences: {
      preload: join(__dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  lockDown(window.webContents);
  window.webContents.once('did-finish-load', () => {
    if (pendingOpen.length)
      send({ type: 'open', refs: pendingOpen.splice(0).map((path) => ({ path })) });
  });
  void window.loadURL(`${ORIGIN}/index.html`);
  window.on('closed', () => (window = null));
}

/** The saved sessions (the service's sessions folder), newest first, for File ▸ Recent sessions. */
let sessionList: RecentSession[] = [];
function refreshSessions(): void {
  void recentSessions()
    .then((list) => {
      sessionList = list;
      buildMenu();
    })
    .catch(() => undefined);
}

async function openSessionDialog(): Promise<void> {
  const r = await dialog.showOpenDialog({
    properties: ['openFile'],
    filters: [{ name: 'NC Lens sessions', extensions: ['json'] }],
  });
  if (!r.canceled && r.filePaths.length)
    send({ type: 'open-session', ref: { path: r.filePaths[0] } });
}

function rememberOpened(paths: string[]): void {
  store?.update((m) => withOpened(m, paths));
  for (const p of paths) app.addRecentDocument(p);
  buildMenu();
}

/** The save dialog, opened in the folder of the last export (remembered across runs). */
async function chooseSavePath(name: string): Promise<string | null> {
  const memory = store?.current ?? { recent: [], exportFolder: null };
  const options = {
    defaultPath: saveDialogPath(memory, name, app.getPath('documents')),
    filters: saveDialogFilters(name),
  };
  const r = window
    ? await dialog.showSaveDialog(window, options)
    : await dialog.showSaveDialog(options);
  if (r.canceled || !r.filePath) return null;
  const chosen = r.filePath;
  store?.update((m) => withSaved(m, chosen));
  return chosen;
}

async function openDialog(): Promise<void> {
  const r = await dialog.showOpenDialog({
    properties: ['openFile', 'multiSelections'],
    filters: [
      { name: 'Activations', extensions: FILE_EXTENSIONS },
      { name: 'All files', extensions: ['*'] },
    ],
  });
  if (!r.canceled && r.filePaths.length)
    send({ type: 'open', refs: r.filePaths.map((path) => ({ path })) });
}

/** A run folder: followed live by the service (every dump in it, and those that land later). */
async function openFolderDialog(): Promise<void> {
  const r = await dialog.showOpenDialog({ properties: ['openDirectory'] });
  if (!r.canceled && r.filePaths.length) send({ type: 'open', refs: [{ path: r.filePaths[0] }] });
}

function buildMenu(): void {
  const recent = store?.current.recent ?? [];
  const exportItem = (label: string, format: ExportFormat): MenuItemConstructorOptions => ({
    label,
    click: () => send({ type: 'export', format }),
  });
  const file: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      { label: 'Open…', accelerator: 'CmdOrCtrl+O', click: () => void openDialog() },
      {
        label: 'Open Folder…',
        accelerator: 'CmdOrCtrl+Shift+O',
        click: () => void openFolderDialog(),
      },
      { label: 'Open demo', click: () => send({ type: 'open-demo' }) },
      {
        label: 'Open recent',
        enabled: recent.length > 0,
        submenu: recent.map((path) => ({
          label: path,
          click: () => send({ type: 'open', refs: [{ path }] }),
        })),
      },
      { type: 'separator' },
      {
        label: 'Save session',
        accelerator: 'CmdOrCtrl+S',
        click: () => send({ type: 'save-session' }),
      },
      { label: 'Open session…', click: () => void openSessionDialog() },
      {
        label: 'Recent sessions',
        enabled: sessionList.length > 0,
        submenu: sessionList.slice(0, 10).map((s) => ({
          label: `${s.title} (${s.saved.slice(0, 16).replace('T', ' ')})`,
          click: () => send({ type: 'open-session', ref: { recent: s.id } }),
        })),
      },
      { type: 'separator' },
      {
        label: 'Export',
        submenu: [
          exportItem('Metrics (JSON)…', 'json'),
          exportItem('Metrics (CSV)…', 'csv'),
          exportItem('Per-class table (CSV)…', 'csv-per-class'),
          exportItem('Report (PDF)…', 'pdf'),
        ],
      },
      { type: 'separator' },
      { role: 'quit' },
    ],
  };
  Menu.setApplicationMenu(
    Menu.buildFromTemplate([
      file,
      { role: 'editMenu' },
      { role: 'viewMenu' },
      { role: 'windowMenu' },
    ]),
  );
}

function registerIpc(remote: RemoteService): void {
  const handlers = ipcHandlers({
    remote,
    chooseSavePath,
    writeFile: (path, data) => writeFile(path, data),
    opened: rememberOpened,
    sessionsChanged: refreshSessions,
  });
  for (const [channel, handler] of Object.entries(handlers)) {
    ipcMain.handle(channel, (event, ...args) => {
      // Only our own page may call the service.
      if (!event.senderFrame?.url.startsWith(`${ORIGIN}/`)) {
        return { ok: false, error: { code: 'internal', message: 'refused: unknown sender' } };
      }
      return handler(event.sender, ...args);
    });
  }
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', (_e, argv) => {
    const paths = fileArguments(argv.slice(1));
    if (paths.length) send({ type: 'open', refs: paths.map((path) => ({ path })) });
    window?.focus();
  });
  app.on('open-file', (e, path) => {
    e.preventDefault();
    if (window) send({ type: 'open', refs: [{ path }] });
    else pendingOpen.push(path);
  });
  app.on('web-contents-created', (_e, contents) => lockDown(contents));
  app.on('window-all-closed', () => app.quit());
  void app.whenReady().then(() => {
    // recent.json: the file earlier versions kept the recent list in (still read).
    store = new ShellStore(join(app.getPath('userData'), 'recent.json'));
    serveRenderer();
    registerIpc(startService());
    buildMenu();
    refreshSessions();
    createWindow();
  });
}
