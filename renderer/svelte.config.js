// The Svelte options shared by Vite (renderer/vite.config.ts), svelte-check and the editor
// tooling. Svelte 5's defaults are what the app wants (components opt into runes themselves,
// TypeScript in <script lang="ts"> needs no preprocessor); the file exists so that every tool
// reads the same options instead of each guessing its own.
/** @type {import('@sveltejs/vite-plugin-svelte').SvelteConfig} */
export default {};
