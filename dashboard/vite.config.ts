import { defineConfig } from 'vite';

/**
 * The dashboard is plain Preact with JSX compiled by Vite's own transformer (oxc): no Babel, no
 * plugin. The build writes `dist/` — `index.html` and content-hashed files under `assets/` — which
 * the gateway serves at `/` (services/gateway/src/dashboard.ts).
 */
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, assetsInlineLimit: 0, sourcemap: false },
});
