/**
 * This listener's one WebTorrent client: the torrents of the tracks it is
 * playing, about to play, or seeding from cache. Owns the client and every
 * torrent; `destroy()` ends them all.
 *
 * WebTorrent is configured for rooms on a LAN with no internet: peers come
 * only from our own WebSocket tracker; no DHT, local service discovery, uTP,
 * NAT-PMP/UPnP, peer exchange or web seeds; and ICE servers are exactly the
 * room's (none by default). simple-peer would otherwise fall back to Google's
 * and Twilio's STUN servers (@thaunknown/simple-peer `Peer.config`), calling
 * out and, offline, holding every offer back ~5 s until ICE gathering times out.
 */
import Peer from '@thaunknown/simple-peer/lite.js'
import MemoryChunkStore from 'memory-chunk-store'
import WebTorrent from 'webtorrent'
import { connecting, settleCrossedOffers } from './crossed-offers.ts'
import { batchStreamWrites } from './simple-peer-compat.ts'
import { TorrentPieces } from './torrent-pieces.ts'
import type { TrackTorrent } from './track-torrent.ts'
import { applyWebTorrentCompat } from './webtorrent-compat.ts'

export interface SwarmClientOptions {
  /** `ws(s)://<signal host>/tracker`. */
  announceUrl: string
  iceServers: RTCIceServer[]
  /** Connections across all torrents (WebTorrent's default is 55). */
  maxConns?: number
  /** abstract-chunk-store constructor for each torrent; memory by default (tests substitute a lying one). */
  chunkStore?: unknown
}

/**
 * What a reader wants of a torrent, for the order downloads go in
 * (schedule): it plays now, it is the next queued track (held warm, not
 * playing), or it is done reading (skipped, paused, ended).
 */
export type SwarmWant = 'playing' | 'next' | 'done'

interface Entry {
  pieces: TorrentPieces
  /** Each reader's want (a reader is any object: a byte source, a test). */
  wants: Map<object, SwarmWant>
  /** WebTorrent is asking peers for its pieces. */
  selected: boolean
}

/** The reader `open()` stands for when none is named. */
const ANY_READER = {}

/** Announces to the tracker now, out of its interval (WebTorrent keeps the tracker client private). */
function announceAgain(torrent: WebTorrent.Torrent): void {
  ;(torrent as unknown as { discovery?: { tracker?: { update(): void } } }).discovery?.tracker?.update()
}

/** The strongest want among an entry's readers ('done' when none is left). */
function wantOf(e: Entry): SwarmWant {
  const ws = [...e.wants.values()]
  return ws.includes('playing') ? 'playing' : ws.includes('next') ? 'next' : 'done'
}

const REFUSED_ANNOUNCE_RETRY_MS = 1000
const REFUSED_ANNOUNCE_RETRIES = 30
/**
 * An incomplete torrent with no peer announces again this often. The
 * tracker's own interval is 2 minutes: one missed introduction (an offer
 * that expired on a busy page, a link that failed) left a listener on the
 * origin for the whole track.
 */
const LONELY_ANNOUNCE_MS = 3000

export class SwarmClient {
  private readonly client: WebTorrent
  private readonly entries = new Map<string, Entry>()
  private readonly refusals = new Map<string, number>()
  /** Infohashes with a refused announce's retry pending. */
  private readonly retrying = new Set<string>()
  private readonly lonely: ReturnType<typeof setInterval>
  private destroyed = false

  constructor(private readonly opts: SwarmClientOptions) {
    applyWebTorrentCompat()
    // The wires' many small writes leave as few data-channel messages.
    batchStreamWrites(Peer)
    this.client = new WebTorrent({
      dht: false,
      lsd: false,
      utp: false,
      utPex: false,
      natUpnp: false,
      natPmp: false,
      webSeeds: false,
      maxConns: opts.maxConns ?? 30,
      tracker: { rtcConfig: { iceServers: opts.iceServers } },
    })
    // Torrent errors reach the client too; each TorrentPieces reports its own.
    this.client.on('error', (err: Error) => console.warn('[swarm]', err.message))
    this.lonely = setInterval(() => this.announceLonely(), LONELY_ANNOUNCE_MS)
    ;(this.lonely as { unref?: () => void }).unref?.()
  }

  /**
   * The torrent for a track, added if new. `prefetch` holds its download back
   * until the tracks playing now are complete (the next queued track comes
   * after the current one, not beside it). `reader`: who wants it (want()
   * changes that later); one reader is assumed without.
   */
  async open(meta: TrackTorrent, opts: { prefetch?: boolean; reader?: object } = {}): Promise<TorrentPieces> {
    if (this.destroyed) throw new Error('swarm client destroyed')
    let entry = this.entries.get(meta.infoHash)
    if (!entry) {
      const torrent = this.client.add(meta.file, { announce: [this.opts.announceUrl], store: this.opts.chunkStore ?? MemoryChunkStore, deselect: true, strategy: 'sequential' })
      settleCrossedOffers(torrent)
      entry = { pieces: new TorrentPieces(torrent, meta), wants: new Map(), selected: false }
      this.entries.set(meta.infoHash, entry)
      const pieces = entry.pieces
      torrent.on('done', () => this.schedule())
      torrent.on('warning', (err: Error) => this.retryRefusedAnnounce(torrent, err))
      torrent.on('error', () => {
        if (this.entries.get(meta.infoHash)?.pieces === pieces) this.release(meta.infoHash)
      })
    }
    entry.wants.set(opts.reader ?? ANY_READER, opts.prefetch ? 'next' : 'playing')
    await entry.pieces.ready
    this.schedule()
    return entry.pieces
  }

  /**
   * Seeds a whole track this device holds (its cache, or a curator's own
   * file): every piece is hashed against the torrent on the way in, so a
   * damaged copy is refused rather than served (`complete` says whether all
   * were accepted).
   */
  async seed(meta: TrackTorrent, bytes: Uint8Array): Promise<TorrentPieces> {
    const pieces = await this.open(meta)
    const { pieceLength, count } = pieces.layout
    for (let i = 0; i < count && !this.destroyed; i++) {
      if (!pieces.has(i)) await pieces.inject(i, bytes.subarray(i * pieceLength, (i + 1) * pieceLength), 'cache')
    }
    return pieces
  }

  /** What `reader` now wants of a torrent it opened (its playback started or stopped, it closed). */
  want(infoHash: string, reader: object, want: SwarmWant): void {
    const entry = this.entries.get(infoHash)
    if (!entry || (entry.wants.get(reader) ?? 'done') === want) return
    // A reader done with it is forgotten (it may hold a whole track in memory).
    if (want === 'done') entry.wants.delete(reader)
    else entry.wants.set(reader, want)
    this.schedule()
  }

  /** Ends a track's torrent (no longer current, next, or worth seeding). */
  release(infoHash: string): void {
    const entry = this.entries.get(infoHash)
    if (!entry) return
    this.entries.delete(infoHash)
    entry.pieces.destroy()
    entry.pieces.torrent.destroy({ destroyStore: true })
  }

  get infoHashes(): string[] {
    return [...this.entries.keys()]
  }

  /** Idempotent. */
  destroy(): Promise<void> {
    if (this.destroyed) return Promise.resolve()
    this.destroyed = true
    clearInterval(this.lonely)
    for (const e of this.entries.values()) e.pieces.destroy()
    this.entries.clear()
    return new Promise((resolve) => this.client.destroy(() => resolve()))
  }

  /**
   * Tracks being played download at once. The next queued one only while no
   * played track is still incomplete; after it, tracks done with but not
   * complete (a skip, a join that missed the opening), so they can still be
   * cached. One at a time, in the order opened.
   */
  private schedule(): void {
    if (this.destroyed) return
    const entries = [...this.entries.values()].filter((e) => !e.pieces.torrent.destroyed)
    const playing = entries.filter((e) => wantOf(e) === 'playing')
    for (const e of playing) this.select(e, true)
    let free = playing.every((e) => e.pieces.complete)
    for (const e of [...entries.filter((e) => wantOf(e) === 'next'), ...entries.filter((e) => wantOf(e) === 'done')]) {
      const on = free && !e.pieces.complete
      this.select(e, on)
      if (on) free = false
    }
  }

  /**
   * The tracker refuses a swarm until the curator has listed it for the room
   * (`room.swarm`), which can trail the anchor that made us open it by a
   * moment. bittorrent-tracker would only announce again 30 s later; ask
   * again every second for a while instead (the origin serves meanwhile).
   */
  private retryRefusedAnnounce(torrent: WebTorrent.Torrent, err: Error): void {
    if (!/unknown infohash/.test(err.message)) return
    const hash = torrent.infoHash
    const tries = this.refusals.get(hash) ?? 0
    // One retry at a time: each refusal (a lonely announce's too) would
    // otherwise start another chain, and every announce makes 5 WebRTC offers.
    if (tries >= REFUSED_ANNOUNCE_RETRIES || this.retrying.has(hash)) return
    this.refusals.set(hash, tries + 1)
    this.retrying.add(hash)
    setTimeout(() => {
      this.retrying.delete(hash)
      if (!torrent.destroyed && !this.destroyed) announceAgain(torrent)
    }, REFUSED_ANNOUNCE_RETRY_MS)
  }

  /**
   * Incomplete torrents with no peer ask the tracker again (LONELY_ANNOUNCE_MS).
   * Not while a connection is being set up: that is no missed introduction,
   * and the fresh offer to the same peer would replace it (crossed-offers.ts)
   * before it could open on a slow page.
   */
  private announceLonely(): void {
    for (const e of this.entries.values()) {
      const torrent = e.pieces.torrent
      if (torrent.destroyed || !torrent.ready || e.pieces.complete || e.pieces.peers > 0 || connecting(torrent)) continue
      announceAgain(torrent)
    }
  }

  private select(e: Entry, on: boolean): void {
    if (e.selected === on || !e.pieces.torrent.ready) return
    e.selected = on
    if (on) e.pieces.selectAll()
    else e.pieces.deselectAll()
  }
}
