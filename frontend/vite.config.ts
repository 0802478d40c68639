import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

const backend = 'http://localhost:8000';

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '/api': backend,
      '/health': backend,
      '/ready': backend,
      '/docs': backend, // a prefix: also /docs-json
      '/metrics': backend,
      '/socket.io': { target: backend, ws: true },
    },
  },
  test: { environment: 'jsdom' },
});
