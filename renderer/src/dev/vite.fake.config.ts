// DEV ONLY: the renderer against dev/fake-api.ts.
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vite';
import base from '../../vite.config.ts';

export default mergeConfig(
  base,
  defineConfig({
    resolve: {
      alias: [
        {
          find: /^\.\.\/api\/index\.ts$/,
          replacement: fileURLToPath(new URL('./fake-api.ts', import.meta.url)),
        },
      ],
    },
    build: { outDir: '/tmp/nc-fake-dist' },
  }),
);
