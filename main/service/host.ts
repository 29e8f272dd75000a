/**
 * Entry of the service process: Electron starts it with utilityProcess.fork (built to
 * dist/service-host.js) and talks to it over `process.parentPort`. It also runs as a
 * worker_threads worker, which is how it is exercised without Electron.
 */
import '../onnx/no-telemetry.ts';
import { parentPort as workerPort } from 'node:worker_threads';
import { serveService } from './rpc.ts';
import type { Port } from './rpc.ts';
import { AnalysisService } from './session.ts';

interface ElectronParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

function hostPort(): Port {
  const electronPort = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;
  if (electronPort) {
    return {
      post: (m) => electronPort.postMessage(m),
      listen: (cb) => electronPort.on('message', (e) => cb(e.data)),
    };
  }
  if (workerPort) {
    const port = workerPort;
    return { post: (m) => port.postMessage(m), listen: (cb) => port.on('message', cb) };
  }
  throw new Error('service host: started without a parent port');
}

serveService(hostPort(), new AnalysisService({ shell: 'electron' }));
