/**
 * The Content-Security-Policy of the renderer, the same in both shells: scripts and styles
 * only from the app itself, no plugins, no framing, no form posts elsewhere.
 */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

/**
 * Headers that make the browser shell's page cross-origin isolated (everything it loads is its
 * own), so its workers can share the large arrays of a result of many classes
 * (SharedArrayBuffer) instead of copying tens of MB on the main thread for each view's worker.
 */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};
