// Built into the Python package so `onemap serve` can serve it at /app/ from the same origin.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/app/',
  build: {
    outDir: fileURLToPath(new URL('../onemap/api/webapp_dist', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
});
