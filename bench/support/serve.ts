/**
 * A signal server in its own process, so a benchmark measures the server's
 * memory and not its own. Prints `{"port":N}` once listening.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readConfig } from '../../signal/config.ts'
import { startServer } from '../../signal/server.ts'

const server = await startServer({
  ...readConfig({}),
  port: 0,
  host: '127.0.0.1',
  hashCacheFile: join(mkdtempSync(join(tmpdir(), 'aula-bench-')), 'hashes.json'),
  roomGraceMs: 1000,
})
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`)
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)))
