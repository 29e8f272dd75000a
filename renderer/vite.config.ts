// The renderer bundle: one static app both shells load (Electron from disk, the browser shell
// over HTTP), hence relative asset URLs.
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [svelte()],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    // three.js makes the one bundle ~700 kB; it is loaded from disk or loopback, never over a
    // network, so splitting it would only add requests.
    chunkSizeWarningLimit: 1024,
  },
});
