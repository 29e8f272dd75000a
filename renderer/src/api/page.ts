/** What the browser shell's client needs from the page: the token, and downloads. */

const STORAGE_KEY = 'nc-lens-token';

/**
 * The token from `?token=` (then removed from the address bar, so it does not end up in
 * history or screenshots), or the one kept for this tab across reloads.
 */
export function pageToken(): string {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(STORAGE_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return sessionStorage.getItem(STORAGE_KEY) ?? '';
}

/** Saves bytes through the browser's download. */
export function download(file: { name: string; mime: string; data: Uint8Array }): void {
  const url = URL.createObjectURL(new Blob([file.data as BlobPart], { type: file.mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = file.name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
