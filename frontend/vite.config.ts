/// <reference types="node" />
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// The API the dev server proxies to: the Compose dev stack sets API_PROXY_TARGET to its api service.
const backend = process.env.API_PROXY_TARGET ?? 'http://localhost:8000';

export default defineConfig({
  plugins: [react()],
  server: {
    port: 3000,
    proxy: {
      '/api': backend,
      '/health': backend,
      '/ready': backend,
      '/docs': backend, // a prefix: also /docs-json
      '/metrics': backend,
      '/socket.io': { target: backend, ws: true },
      '^/ws([?]|$)': { target: backend, ws: true }, // the plain WebSocket, query and all; /wsanything stays the SPA's
    },
  },
  test: { environment: 'jsdom' },
});
