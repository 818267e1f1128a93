// Vite builds the web app into dist/, which the dashboard server serves. `npx vite dashboard/web` runs a
// dev server that proxies the API, tiles and socket.io to a running `npm start` (DEV_API_URL).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const apiUrl = process.env.DEV_API_URL ?? 'http://localhost:8080';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
  server: {
    proxy: {
      '/api': apiUrl,
      '/map': apiUrl,
      '/tiles': apiUrl,
      '/socket.io': { target: apiUrl, ws: true },
    },
  },
});
