/**
 * A listener in Node: its own SwarmClient (WebTorrent + real WebRTC through
 * @roamhq/wrtc) and a SwarmByteSource for one track, read to the end like the
 * player reads it. Each listener announces on its own tracker URL (a
 * `?listener=` query): bittorrent-tracker pools WebSocket connections per URL
 * per process, and listeners sharing one socket would each answer the
 * others' offers. In a browser every tab is its own process.
 */
import { createHash } from 'node:crypto'
import MemoryChunkStore from 'memory-chunk-store'
import type { SwarmCounters, Track } from '../../protocol/index.ts'
import { MemoryCacheStorage } from '../../client/src/lib/p2p/cache-storage.ts'
import type { OriginPlanConfig } from '../../client/src/lib/p2p/piece-plan.ts'
import { SwarmByteSource } from '../../client/src/lib/p2p/swarm-byte-source.ts'
import { SwarmClient } from '../../client/src/lib/p2p/swarm-client.ts'
import { TrackCache } from '../../client/src/lib/p2p/track-cache.ts'
import { readTrackTorrent } from '../../client/src/lib/p2p/track-torrent.ts'

export interface ListenerOptions {
  name: string
  startupMs?: number
  plan?: Partial<OriginPlanConfig>
  /** A store that lies when serving peers (the hostile-peer test). */
  chunkStore?: unknown
  /** Only for bench/p2p.ts's comparison. */
  pieceLength?: number
}

export interface PlayResult {
  sha256: string
  bytes: number
  counters: SwarmCounters
  /** ms from the first read to the first byte, and to each full piece. */
  firstByteMs: number
  /** ms from the first read until `bytesAt(n)` had arrived. */
  arrivals: { at: number; bytes: number }[]
}

export class NodeListener {
  readonly swarm: SwarmClient
  readonly storage = new MemoryCacheStorage()
  readonly cache: TrackCache

  constructor(
    readonly server: { base: string; wsBase: string },
    readonly opts: ListenerOptions,
  ) {
    this.swarm = new SwarmClient({
      announceUrl: `${server.wsBase}/tracker?listener=${encodeURIComponent(opts.name)}`,
      iceServers: [],
      chunkStore: opts.chunkStore ?? MemoryChunkStore,
    })
    this.cache = new TrackCache(this.storage, () => ({ maxCacheSize: 1 << 30, popularTrackThreshold: 2, popularTrackCacheDurationMs: 86_400_000 }))
  }

  source(track: Track, extra: Partial<ConstructorParameters<typeof SwarmByteSource>[0]> = {}): SwarmByteSource {
    return new SwarmByteSource({
      track,
      swarm: this.swarm,
      torrent: () => fetchTorrent(this.server.base, track),
      originUrl: `${this.server.base}/api/stream/${track.id}`,
      cache: this.cache,
      startupMs: this.opts.startupMs,
      plan: this.opts.plan,
      pieceLength: this.opts.pieceLength,
      ...extra,
    })
  }

  /** Plays a track from the start: reads every byte as the decoder would. */
  async play(track: Track, extra: Partial<ConstructorParameters<typeof SwarmByteSource>[0]> = {}): Promise<PlayResult & { source: SwarmByteSource }> {
    const source = this.source(track, extra)
    const hash = createHash('sha256')
    const t0 = performance.now()
    let bytes = 0
    let firstByteMs = -1
    const arrivals: PlayResult['arrivals'] = []
    for (let chunk = await source.read(); chunk; chunk = await source.read()) {
      if (firstByteMs < 0) firstByteMs = performance.now() - t0
      hash.update(chunk)
      bytes += chunk.byteLength
      arrivals.push({ at: performance.now() - t0, bytes })
    }
    await source.cacheSettled()
    source.close()
    return { sha256: hash.digest('hex'), bytes, counters: source.counters(), firstByteMs, arrivals, source }
  }

  /** Holds a track completely and serves it, as a listener that finished it does. */
  async seed(track: Track, bytes: Uint8Array): Promise<void> {
    const meta = await readTrackTorrent(await fetchTorrent(this.server.base, track), track, this.opts.pieceLength)
    const pieces = await this.swarm.seed(meta, bytes)
    if (!pieces.complete) throw new Error('seed: the bytes do not match the torrent')
  }

  destroy(): Promise<void> {
    return this.swarm.destroy()
  }
}

export async function fetchTorrent(base: string, track: Track): Promise<Uint8Array> {
  const res = await fetch(`${base}/api/torrent/${track.id}`)
  if (!res.ok) throw new Error(`torrent: HTTP ${res.status}`)
  return new Uint8Array(await res.arrayBuffer())
}
