/**
 * The README's picture of the real app: `node --import tsx test/e2e/screenshot.ts [out.png]`
 * opens the browser shell on its demo and saves the window (default docs/screenshot.png).
 */
import { join } from 'node:path';
import { ROOT, startApp, waitForValue } from './harness.ts';

const out = process.argv[2] ?? join(ROOT, 'docs', 'screenshot.png');
const app = await startApp();
try {
  await waitForValue(app.page, 'nc1', { timeout: 60_000 });
  // Let the 3D view and the charts settle after the metrics arrive.
  await app.page.waitForTimeout(1500);
  await app.page.screenshot({ path: out });
  process.stdout.write(`wrote ${out}\n`);
} finally {
  await app.close();
}
