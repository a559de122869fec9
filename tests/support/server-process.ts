/**
 * A signal server in its own process, as `npm start` runs it: a benchmark
 * measures the server's memory and not its own, and the server's answers do
 * not wait on the benchmark's own work (Playwright's traffic with its pages).
 * Prints `{"port":N}` once listening. Started by startServerProcess
 * (server.ts); LIBRARY_DIR, CLIENT_DIR etc. as for `npm start`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readConfig } from '../../signal/config.ts'
import { startServer } from '../../signal/server.ts'

const tmp = mkdtempSync(join(tmpdir(), 'aula-server-'))
const server = await startServer({
  ...readConfig(process.env),
  port: 0,
  host: '127.0.0.1',
  hashCacheFile: join(tmp, 'hashes.json'),
  roomGraceMs: Number(process.env.ROOM_GRACE_MS ?? 1000),
})
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`)
process.on('SIGTERM', () =>
  void server.close().then(() => {
    rmSync(tmp, { recursive: true, force: true })
    process.exit(0)
  }),
)
