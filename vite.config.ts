import { svelte } from '@sveltejs/vite-plugin-svelte'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import { p2pBundleAliases } from './client/src/lib/p2p/bundle-aliases.ts'

const signal = `http://localhost:${process.env.SIGNAL_PORT ?? 8080}`

export default defineConfig({
  root: 'client',
  plugins: [svelte({ configFile: fileURLToPath(new URL('./svelte.config.js', import.meta.url)) })],
  // WebTorrent's browser build needs these (client/src/lib/p2p/bundle-aliases.ts).
  resolve: { alias: p2pBundleAliases() },
  // The entry is ~360 KB (~120 KB gzipped); WebTorrent, ~180 KB more, loads when a room first needs it (lazy-swarm.ts).
  build: { outDir: '../dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 500 },
  // `npm run dev`: Vite serves the client, the signal server the rest.
  server: {
    proxy: {
      '/api': signal,
      '/metrics': signal,
      '/healthz': signal,
      '/socket.io': { target: signal, ws: true },
      '/tracker': { target: signal.replace('http', 'ws'), ws: true },
      '/clock': { target: signal.replace('http', 'ws'), ws: true },
    },
  },
})
