/**
 * `npm start`: build the client when its sources are newer than the build,
 * then serve everything on one port and print the addresses to open.
 */
import { networkInterfaces } from 'node:os'
import { buildClientIfStale } from './client-build.ts'
import { readConfig } from './config.ts'
import { startServer } from './server.ts'

const config = readConfig()

if (!process.env.CLIENT_DIR) buildClientIfStale(config.clientDir)

const server = await startServer(config)
const n = server.library.tracks.length
console.log(`\nAula Sonora is playing ${n} track${n === 1 ? '' : 's'} from ${server.library.dir}`)
console.log('Open one of these addresses:')
for (const url of addresses(config.host, server.port)) console.log(`  ${url}`)
console.log('(A LAN address works without internet; see the README about secure contexts.)\n')

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0))
  })
}

function addresses(host: string, port: number): string[] {
  if (host !== '0.0.0.0' && host !== '::') return [`http://${host}:${port}`]
  const out = [`http://localhost:${port}`]
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal) continue
      out.push(a.family === 'IPv6' ? `http://[${a.address}]:${port}` : `http://${a.address}:${port}`)
    }
  }
  return out
}
