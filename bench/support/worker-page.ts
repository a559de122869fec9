/**
 * Builds the decode-worker benchmark page (bench/support/worker-page/) with
 * Vite into a folder of the caller's, and serves that folder on a free
 * loopback port. The page bundles workers/decode.worker.ts the way the app
 * does, so the benchmark needs no hook in the app. Also builds the app
 * itself into a folder of the caller's.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import sirv from 'sirv'
import { build } from 'vite'
import { projectRoot } from '../../signal/config.ts'

const ROOT = fileURLToPath(new URL('./worker-page/', import.meta.url))

export async function buildWorkerPage(outDir: string): Promise<void> {
  await build({
    root: ROOT,
    configFile: false,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, target: 'es2022' },
  })
}

/** The app itself, built with the project's Vite config into `outDir` instead of dist/. */
export async function buildApp(outDir: string): Promise<void> {
  await build({
    configFile: join(projectRoot, 'vite.config.ts'),
    root: join(projectRoot, 'client'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  })
}

export interface StaticServer {
  origin: string
  close(): Promise<void>
}

export async function serveStatic(dir: string): Promise<StaticServer> {
  const handler = sirv(dir, { dev: true })
  const server: Server = createServer((req, res) => handler(req, res, () => {
    res.statusCode = 404
    res.end('not found')
  }))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}
