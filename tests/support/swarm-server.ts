/**
 * What the signal server will mount for P2P, on a real port: the library
 * origin (counting the bytes it sends), GET /api/torrent/:trackId, the
 * WebSocket tracker, and a Socket.IO server on the same HTTP server to prove
 * the tracker's upgrade handling leaves Socket.IO's alone.
 */
import { randomFillSync } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { Server as SocketServer } from 'socket.io'
import type { Track } from '../../protocol/index.ts'
import { libraryRoutes } from '../../signal/library/routes.ts'
import { scanLibrary, type Library } from '../../signal/library/scan.ts'
import { SwarmAllowList } from '../../signal/swarm/swarm-allow-list.ts'
import { torrentRoutes } from '../../signal/swarm/torrent-routes.ts'
import { TrackTorrents } from '../../signal/swarm/track-torrents.ts'
import { mountTracker, type MountedTracker } from '../../signal/tracker.ts'
import { buildWav, recordingLog, tempDir } from './library.ts'

export interface SwarmServer {
  base: string
  wsBase: string
  library: Library
  torrents: TrackTorrents
  allow: SwarmAllowList
  tracker: MountedTracker
  /** Body bytes the origin sent for /api/stream/:trackId, per track id. */
  originBytes: Map<string, number>
  track(title: string): Track
  close(): Promise<void>
}

/** A WAV of noise (incompressible, no two pieces alike) of about `bytes`. */
export function noiseWav(bytes: number, seed: number): Buffer {
  const frames = Math.floor(bytes / 6)
  const wav = buildWav({ rate: 96000, bits: 24, channels: 2, frames, seed })
  randomFillSync(wav, 44)
  return wav
}

export interface SwarmServerOptions {
  pieceLength?: number
  /** Extra files served as they are, by exact path (a page and its bundle). */
  pages?: Record<string, { type: string; body: string | Uint8Array }>
}

export async function startSwarmServer(files: Record<string, Buffer | Uint8Array>, opts: SwarmServerOptions = {}): Promise<SwarmServer> {
  const tmp = await tempDir('aula-swarm-')
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(tmp.dir, name), bytes)
  const { log } = recordingLog()
  const library = await scanLibrary(tmp.dir, { hashCacheFile: join(tmp.dir, 'hashes.json'), log })
  const torrents = new TrackTorrents(library, opts.pieceLength)
  const allow = new SwarmAllowList()
  const originBytes = new Map<string, number>()
  const library$ = libraryRoutes(library, log)
  const torrents$ = torrentRoutes(torrents, log)

  const http = createServer((req, res) => {
    const m = /^\/api\/stream\/([a-f0-9]+)/.exec(req.url ?? '')
    if (m) countBody(res, (n) => originBytes.set(m[1]!, (originBytes.get(m[1]!) ?? 0) + n))
    if (library$(req, res) || torrents$(req, res)) return
    const page = opts.pages?.[req.url ?? '']
    if (page) return void res.writeHead(200, { 'Content-Type': page.type }).end(page.body)
    res.writeHead(404).end()
  })
  const io = new SocketServer(http)
  const tracker = mountTracker(http, { allowInfoHash: (h) => allow.allows(h), log })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const { port } = http.address() as AddressInfo
  return {
    base: `http://127.0.0.1:${port}`,
    wsBase: `ws://127.0.0.1:${port}`,
    library,
    torrents,
    allow,
    tracker,
    originBytes,
    track: (title) => library.tracks.find((t) => t.title === title) ?? assertNever(title),
    async close() {
      await tracker.close()
      io.close()
      http.closeAllConnections()
      await new Promise((r) => http.close(r))
      await tmp.cleanup()
    },
  }
}

function countBody(res: ServerResponse, add: (n: number) => void): void {
  const write = res.write.bind(res) as (...a: unknown[]) => boolean
  const end = res.end.bind(res) as (...a: unknown[]) => ServerResponse
  const size = (c: unknown) => (typeof c === 'string' ? Buffer.byteLength(c) : c instanceof Uint8Array ? c.byteLength : 0)
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    add(size(chunk))
    return write(chunk, ...rest)
  }) as ServerResponse['write']
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (typeof chunk !== 'function') add(size(chunk))
    return end(chunk, ...rest)
  }) as ServerResponse['end']
}

function assertNever(title: string): never {
  throw new Error(`no track titled ${title}`)
}
