/**
 * A room member's side of peer-to-peer delivery: one WebTorrent client for
 * the membership, the track cache, and a byte source per track for the
 * player (peers first, the library origin as a deadline-aware last resort,
 * the cache before both). The curator also tells the server which swarms
 * its room plays now and next (swarm-window.ts), so the tracker answers for
 * them and nothing else.
 */
import parseTorrent from 'parse-torrent'
import { SWARM_ERRORS, TORRENT_PATH_PREFIX, TRACKER_PATH, type LocalTrack, type Track } from '../../../../protocol/index.ts'
import type { ByteSource } from '../player/byte-source.ts'
import type { RoomSession } from '../room-session.svelte.ts'
import { settings } from '../settings.svelte.ts'
import type { SignalClient } from '../signal-client.svelte.ts'
import { roomTrack, streamUrl } from '../tracks.ts'
import { idbCacheStorage } from './cache-storage.ts'
import { sha256Hex } from './digest.ts'
import { localTrack } from './local-file.ts'
import { LazySwarm } from './lazy-swarm.ts'
import { SwarmByteSource } from './swarm-byte-source.ts'
import { TorrentExchange } from './torrent-exchange.ts'
import { cacheSettings, TrackCache, type PutResult } from './track-cache.ts'
import { buildTrackTorrent } from './track-torrent.ts'

/** One cache per page, shared by every room this page joins. */
let pageCache: TrackCache | undefined
export function trackCache(): TrackCache {
  return (pageCache ??= new TrackCache(idbCacheStorage(), () => cacheSettings(settings), Date.now, sha256Hex))
}

export interface RoomSwarmOptions {
  client: SignalClient
  session: RoomSession
  /** Why a finished track was not cached (full disk, cache too small…), for the page to show. */
  onCacheNote?: (note: string) => void
}

export class RoomSwarm {
  private readonly swarm: LazySwarm
  private readonly cache = trackCache()
  /** trackId → its .torrent (fetched once; a failure is retried on the next use). */
  private readonly torrents = new Map<string, Promise<Uint8Array>>()
  private readonly infoHashes = new Map<string, string>()
  /** .torrent files by infohash, for peers who ask (torrent-exchange.ts). */
  private readonly files = new Map<string, Uint8Array>()
  /** This page's own files: seeded for as long as the membership lasts. */
  private readonly own = new Set<string>()
  private readonly exchange: TorrentExchange
  private announced = ''
  private queueWork: Promise<void> = Promise.resolve()
  private destroyed = false

  constructor(private readonly opts: RoomSwarmOptions) {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
    this.swarm = new LazySwarm({ announceUrl: `${scheme}//${location.host}${TRACKER_PATH}`, iceServers: opts.session.iceServers })
    this.exchange = new TorrentExchange(opts.session, (h) => this.files.get(h))
    void this.cache.ready()
  }

  /**
   * A file from this curator's disk: probed, made a torrent and seeded to
   * the room. Throws LocalFileError with a sentence for the person.
   */
  async addLocalFile(name: string, bytes: Uint8Array): Promise<LocalTrack> {
    const track = await localTrack(name, bytes)
    const meta = await buildTrackTorrent(bytes, track)
    await this.swarm.seed(meta, bytes)
    this.own.add(meta.infoHash)
    this.files.set(meta.infoHash, meta.file)
    this.infoHashes.set(track.id, meta.infoHash)
    this.torrents.set(track.id, Promise.resolve(meta.file))
    return { ...track, infoHash: meta.infoHash }
  }

  /** The player's byte source for a track of this room. */
  readonly sourceFor = (track: Track): ByteSource => {
    return new SwarmByteSource({
      track,
      swarm: this.swarm,
      torrent: () => this.torrentOf(track.id),
      // A curator's own file has no origin: peers (the curator first) are the only source.
      originUrl: roomTrack(track.id) ? null : streamUrl(track.id),
      cache: this.cache,
      onCacheResult: (r) => this.cacheResult(r),
      // A play, for the server's hit ratio: counted when it sounds, so a warm next entry that is skipped is not one.
      onSounding: (fromCache) => this.opts.client.send({ type: 'cache.report', hit: fromCache }),
    })
  }

  /**
   * What the room plays now and next changed (`trackIds`, swarm-window.ts):
   * the curator registers their swarms with the server (the tracker refuses
   * announces for anything else). Listeners keep only those torrents.
   */
  queueChanged(trackIds: readonly string[], isCurator: boolean): Promise<void> {
    // One after another: a slow torrent fetch must not let an older queue win.
    this.queueWork = this.queueWork.then(() => this.applyQueue(trackIds, isCurator)).catch((err: Error) => console.warn('[swarm]', err.message))
    return this.queueWork
  }

  private async applyQueue(trackIds: readonly string[], isCurator: boolean): Promise<void> {
    const wanted = new Set<string>()
    for (const id of trackIds) {
      // Listeners only need the swarms they opened; the curator, all (the server is told).
      const hash = roomTrack(id)?.infoHash ?? (isCurator ? await this.infoHashOf(id).catch(() => null) : this.infoHashes.get(id))
      if (this.destroyed) return
      if (hash) wanted.add(hash)
    }
    for (const h of this.swarm.infoHashes) if (!wanted.has(h) && !this.own.has(h)) this.swarm.release(h)
    const list = [...wanted].sort()
    const key = list.join()
    if (!isCurator) this.announced = '' // becoming curator again later: tell the server afresh
    if (!isCurator || key === this.announced) return
    this.announced = key
    this.opts.client.send({ type: 'room.swarm', roomId: this.opts.session.roomId, infoHashes: list })
  }

  destroy(): Promise<void> {
    this.destroyed = true
    this.exchange.destroy()
    return this.swarm.destroy()
  }

  private torrentOf(trackId: string): Promise<Uint8Array> {
    let p = this.torrents.get(trackId)
    if (!p) {
      const local = roomTrack(trackId)
      p = (local ? this.exchange.request(local.infoHash) : this.fetchTorrent(trackId)).then(async (file) => {
        const infoHash = (await parseTorrent(file)).infoHash
        this.infoHashes.set(trackId, infoHash)
        this.files.set(infoHash, file)
        return file
      })
      this.torrents.set(trackId, p)
      p.catch(() => this.torrents.delete(trackId))
    }
    return p
  }

  private async fetchTorrent(trackId: string): Promise<Uint8Array> {
    const res = await fetch(`${TORRENT_PATH_PREFIX}${trackId}`)
    if (!res.ok) throw new Error(`the library answered HTTP ${res.status} for this track's torrent`)
    return new Uint8Array(await res.arrayBuffer())
  }

  private async infoHashOf(trackId: string): Promise<string | null> {
    await this.torrentOf(trackId)
    return this.infoHashes.get(trackId) ?? null
  }

  private cacheResult(r: PutResult): void {
    if (!r.stored && r.code) this.opts.onCacheNote?.(SWARM_ERRORS[r.code])
    else if (r.evicted.length > 0) this.opts.onCacheNote?.(`Cached; ${r.evicted.length} older track${r.evicted.length > 1 ? 's were' : ' was'} removed to make room.`)
  }
}
