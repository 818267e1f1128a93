// Vite builds the web app into dist/, which the dashboard server serves: two entries, the control room
// (index.html) and the citizen report form with its status pages (report.html, served at /report/...),
// so a phone opening the form does not download the control room. `npx vite dashboard/web` runs a
// dev server that proxies the API, tiles and socket.io to a running `npm start` (DEV_API_URL).
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));
const apiUrl = process.env.DEV_API_URL ?? 'http://localhost:8080';

/** The dev server serves report.html for /report and /report/... as the dashboard server does (features/web-app.ts). */
const reportPages = (): Plugin => ({
  name: 'report-pages',
  configureServer(server) {
    server.middlewares.use((req, _res, next) => {
      if (req.url !== undefined && /^\/report(?:[/?]|$)/.test(req.url)) req.url = '/report.html';
      next();
    });
  },
});

export default defineConfig({
  root,
  base: '/',
  plugins: [react(), reportPages()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    // rolldownOptions: Vite 8's name for rollupOptions
    rolldownOptions: {
      input: { main: `${root}index.html`, report: `${root}report.html` },
    },
  },
  server: {
    proxy: {
      '/api': apiUrl,
      '/open311': apiUrl,
      '/media': apiUrl,
      '/map': apiUrl,
      '/tiles': apiUrl,
      '/socket.io': { target: apiUrl, ws: true },
    },
  },
});
