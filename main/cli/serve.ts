/**
 * `nc-lens serve [--port N] [--no-open] [--max-upload MB] [--watch RUN_DIR]`: the app in a
 * browser. Listens on 127.0.0.1 only and prints one line with the URL (and its per-run token).
 * With --watch, the page follows the run folder: each dump that lands in it is analysed.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { badInput } from '../../shared/errors.ts';
import { startServer } from '../shells/browser/http.ts';
import { DEFAULT_MAX_UPLOAD } from '../shells/browser/uploads.ts';
import { checkedFolder } from '../service/watch.ts';

const HELP = `usage: nc-lens serve [--port N] [--no-open] [--max-upload MB] [--watch RUN_DIR]

Serves the app on http://127.0.0.1 (loopback only) and opens it in the default browser.
  --port N         port to listen on (default 0: any free port)
  --no-open        print the URL but do not open a browser
  --max-upload MB  largest file the page may upload (default ${DEFAULT_MAX_UPLOAD / 1024 ** 2})
  --watch RUN_DIR  follow a training run: every dump in the folder is a point of the epoch
                   series, new dumps are analysed as they land, run.json marks the terminal phase`;

interface ServeArgs {
  port: number;
  open: boolean;
  maxUploadBytes?: number;
  watch?: string;
}

function parsed(argv: string[]): ServeArgs | 'help' {
  const args: ServeArgs = { port: 0, open: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') return 'help';
    if (a === '--no-open') args.open = false;
    else if (a === '--port') args.port = integer('--port', argv[++i], 0, 65535);
    else if (a === '--watch') {
      if (!argv[i + 1]) throw badInput(undefined, 'a run folder after --watch', 'nothing');
      args.watch = argv[++i];
    } else if (a === '--max-upload')
      args.maxUploadBytes = integer('--max-upload', argv[++i], 1, 2 ** 40) * 1024 ** 2;
    else
      throw badInput(
        undefined,
        'serve options --port N, --no-open, --max-upload MB, --watch RUN_DIR',
        `'${a}'`,
      );
  }
  return args;
}

function integer(flag: string, value: string | undefined, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw badInput(undefined, `an integer ${min}..${max} after ${flag}`, `'${value ?? ''}'`);
  }
  return n;
}

/** dist/renderer, found from the source (main/cli/) or the bundle (dist/). */
function rendererDir(): string | null {
  const candidates = ['../../dist/renderer', './renderer'].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  return candidates.find((d) => existsSync(`${d}/index.html`)) ?? null;
}

/** Opens the URL in the default browser; silently does nothing where there is none. */
function openInBrowser(url: string): void {
  const [cmd, ...args] =
    process.platform === 'darwin'
      ? ['open', url]
      : process.platform === 'win32'
        ? ['cmd', '/c', 'start', '""', url]
        : ['xdg-open', url];
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    /* no opener: the printed URL is the way in */
  }
}

export async function run(argv: string[]): Promise<number> {
  const args = parsed(argv);
  if (args === 'help') {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const watched = args.watch ? await checkedFolder(args.watch) : undefined;
  const staticDir = rendererDir();
  if (!staticDir) {
    process.stderr.write(
      'nc-lens serve: the app is not built (dist/renderer is missing): run npm run build\n',
    );
    return 1;
  }
  const server = await startServer({
    port: args.port,
    staticDir,
    maxUploadBytes: args.maxUploadBytes,
  });
  // The temp folder of uploads must go whatever way the process ends.
  process.on('exit', () => server.uploads.dispose());
  // A failure outside any request (a library's stray callback) is logged in one line; the
  // server keeps serving: a user must not lose their session to one bad file or request.
  const survive = (e: unknown) => {
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`nc-lens serve: internal error: ${msg.split('\n')[0]} (still serving)\n`);
    if (process.env.NC_LENS_DEBUG) console.error(e);
  };
  process.on('uncaughtException', survive);
  process.on('unhandledRejection', survive);
  if (watched) await server.session.openFolder(watched);
  process.stdout.write(`NC Lens: ${server.url}\n`);
  if (args.open) openInBrowser(server.url);
  return new Promise<number>((resolve) => {
    const stop = () => {
      void server.close().finally(() => resolve(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
