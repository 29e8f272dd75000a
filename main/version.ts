import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** The app version, from package.json (found relative to this file, built or not). */
export const version: string = (() => {
  for (const p of ['../package.json', '../../package.json']) {
    try {
      return (require(p) as { version: string }).version;
    } catch {
      /* try the next layout */
    }
  }
  return '0.0.0';
})();
