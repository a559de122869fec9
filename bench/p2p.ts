/**
 * `npm run bench:p2p`: ten listeners start the same ~8 MB 24/96 FLAC within
 * a few seconds, each a real WebTorrent client over real WebRTC
 * (@roamhq/wrtc), with the library origin and the tracker on one port.
 * Each reads like the player: from byte 0, at most `--buffer` seconds ahead
 * of its play head, which starts `startupMs` after its first read.
 *
 * Prints, per piece length: origin bytes ÷ track bytes (target ≤ 1.3), time
 * to first byte and to the first 2 s of audio, pieces that missed their
 * deadline; then a replay of the same track by every listener and its cache
 * hit ratio (target ≥ 80 %).
 *
 * Options: --listeners 10 --spread 3 (s) --pieces 64,128,256 (KiB)
 *          --seconds 20 (track length) --buffer 10 (s) --startup 750 (ms)
 *          --lead, --connected-lead, --ahead, --jitter (ms): override the origin plan's unheldLeadMs, connectedLeadMs, aheadLeadMs, jitterMs
 */
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_ORIGIN_PLAN } from '../client/src/lib/p2p/piece-plan.ts'
import type { Track } from '../protocol/index.ts'
import { NodeListener } from '../tests/support/swarm-listener.ts'
import { startSwarmServer } from '../tests/support/swarm-server.ts'
import { musicLikeFlacFile, requireAudioTools } from './support/flac-gen.ts'
import { fmt, percentile } from './support/stats.ts'

const { values: args } = parseArgs({
  options: {
    listeners: { type: 'string', default: '10' },
    spread: { type: 'string', default: '3' },
    pieces: { type: 'string', default: '64,128,256' },
    seconds: { type: 'string', default: '20' },
    buffer: { type: 'string', default: '10' },
    startup: { type: 'string', default: '750' },
    seed: { type: 'string', default: '1' },
    lead: { type: 'string' },
    'connected-lead': { type: 'string' },
    ahead: { type: 'string' },
    jitter: { type: 'string' },
  },
})
const PLAN = {
  ...DEFAULT_ORIGIN_PLAN,
  ...(args.lead ? { unheldLeadMs: Number(args.lead) } : {}),
  ...(args['connected-lead'] ? { connectedLeadMs: Number(args['connected-lead']) } : {}),
  ...(args.ahead ? { aheadLeadMs: Number(args.ahead) } : {}),
  ...(args.jitter ? { jitterMs: Number(args.jitter) } : {}),
}
const LISTENERS = Number(args.listeners)
const SPREAD_MS = Number(args.spread) * 1000
const BUFFER_SEC = Number(args.buffer)
const STARTUP_MS = Number(args.startup)
const FIRST_AUDIO_SEC = 2

requireAudioTools('bench:p2p')
const dir = mkdtempSync(join(tmpdir(), 'aula-bench-p2p-'))
const flac = new Uint8Array(readFileSync(musicLikeFlacFile(dir, 96000, 24, Number(args.seconds))))
rmSync(dir, { recursive: true, force: true })

console.log(`bench:p2p — ${LISTENERS} listeners start one 24-bit/96 kHz FLAC (${fmt(flac.byteLength / 1e6, 2)} MB, ${args.seconds} s) within ${args.spread} s`)
console.log(`  reader: ≤ ${BUFFER_SEC} s ahead of a play head starting ${STARTUP_MS} ms after the first read; origin plan ${JSON.stringify(PLAN)}`)

/** Deterministic start offsets, so runs compare. */
function offsets(n: number, spread: number, seed: number): number[] {
  let x = seed >>> 0 || 1
  const next = () => ((x = (x * 1664525 + 1013904223) >>> 0) / 2 ** 32)
  return Array.from({ length: n }, (_, i) => (i === 0 ? 0 : Math.round(next() * spread))).sort((a, b) => a - b)
}

interface Listen {
  firstByteMs: number
  firstAudioMs: number
  late: number
  origin: number
  peers: number
  cache: number
  ok: boolean
}

/** Reads like the player: never more than BUFFER_SEC ahead of the play head. */
async function listen(l: NodeListener, track: Track): Promise<Listen> {
  const bps = track.bytes / track.durationSec
  const source = l.source(track)
  const t0 = performance.now()
  const playStart = t0 + STARTUP_MS
  let bytes = 0
  let firstByteMs = -1
  let firstAudioMs = -1
  const hash = createHash('sha256')
  for (;;) {
    const ahead = bytes / bps - (performance.now() - playStart) / 1000
    if (ahead > BUFFER_SEC) {
      await new Promise((r) => setTimeout(r, (ahead - BUFFER_SEC) * 1000))
      continue
    }
    const chunk = await source.read()
    if (!chunk) break
    hash.update(chunk)
    bytes += chunk.byteLength
    const now = performance.now() - t0
    if (firstByteMs < 0) firstByteMs = now
    if (firstAudioMs < 0 && bytes >= FIRST_AUDIO_SEC * bps) firstAudioMs = now
  }
  await source.cacheSettled()
  source.close()
  const c = source.counters()
  return {
    firstByteMs,
    firstAudioMs,
    late: c.piecesLate,
    origin: c.bytesFromOrigin,
    peers: c.bytesFromPeers,
    cache: c.bytesFromCache,
    ok: hash.digest('hex') === track.sha256 && bytes === track.bytes,
  }
}

const ms = (xs: number[]) => `p50 ${fmt(percentile(xs, 50), 0)} ms, max ${fmt(Math.max(...xs), 0)} ms`

for (const kib of args.pieces.split(',').map(Number)) {
  const pieceLength = kib * 1024
  const server = await startSwarmServer({ 'hires.flac': flac }, { pieceLength })
  const track = server.library.tracks[0]!
  const meta = await server.torrents.forTrack(track.id)
  server.allow.set('bench', [meta!.infoHash])
  const listeners = Array.from({ length: LISTENERS }, (_, i) => new NodeListener(server, { name: `b${i}`, startupMs: STARTUP_MS, pieceLength, plan: PLAN }))
  const starts = offsets(LISTENERS, SPREAD_MS, Number(args.seed))
  const t0 = performance.now()
  const runs = await Promise.all(
    listeners.map(async (l, i) => {
      await new Promise((r) => setTimeout(r, starts[i]! - (performance.now() - t0)))
      return listen(l, track)
    }),
  )
  const origin = server.originBytes.get(track.id) ?? 0
  const bad = runs.filter((r) => !r.ok).length
  console.log(
    `\npiece ${kib} KiB (${Math.ceil(track.bytes / pieceLength)} pieces): origin ${fmt(origin / track.bytes, 3)}× track bytes` +
      ` (${fmt(origin / 1e6, 2)} MB); peers ${fmt(runs.reduce((n, r) => n + r.peers, 0) / 1e6, 1)} MB${bad ? `; ${bad} WRONG FILES` : ''}`,
  )
  console.log(`  first byte ${ms(runs.map((r) => r.firstByteMs))}; first ${FIRST_AUDIO_SEC} s of audio ${ms(runs.map((r) => r.firstAudioMs))}`)
  console.log(`  pieces past their deadline: ${runs.reduce((n, r) => n + r.late, 0)} (per listener max ${Math.max(...runs.map((r) => r.late))})`)
  console.log(`  origin per listener (MB; start offset ms): ${runs.map((r, i) => `${fmt(r.origin / 1e6, 2)}@${starts[i]}`).join(' ')}`)

  const before = origin
  const replays = await Promise.all(listeners.map((l) => listen(l, track)))
  const cached = replays.reduce((n, r) => n + r.cache, 0)
  const total = replays.length * track.bytes
  console.log(
    `  replay: cache hit ratio ${fmt((100 * cached) / total, 1)} % of bytes, origin ${fmt(((server.originBytes.get(track.id) ?? 0) - before) / 1e6, 2)} MB` +
      `, ${replays.filter((r) => r.ok).length}/${replays.length} exact`,
  )
  for (const l of listeners) await l.destroy()
  await server.close()
}
process.exit(0)
