/**
 * A track's bytes, in file order, from wherever they can be had: this
 * browser's cache, the room's swarm, and the library origin for what no peer
 * delivers before the play head needs it (piece-plan.ts). Every piece is
 * verified before it is returned (SHA-1 per piece against the track's
 * torrent); the whole track is cached only once it hashes to its SHA-256.
 *
 * It owns no torrent: the SwarmClient does, so a track keeps seeding after
 * this reader is closed, until the room releases it.
 */
import { concat } from 'uint8-util'
import { SWARM_PIECE_LENGTH, SwarmError, type FileHead, type SwarmCounters, type Track, type TrackCodec } from '../../../../protocol/index.ts'
import { HeadOnce, readHeadByRanges, type ByteSource, type PlaybackPoint } from '../player/byte-source.ts'
import { takePrefetchedHead } from '../player/head-prefetch.ts'
import { meanBytesPerSecond, uncachedFetch } from '../tracks.ts'
import { OriginFetcher } from './origin-fetcher.ts'
import { prefetchReach } from './origin-prefetch.ts'
import { OriginStream } from './origin-stream.ts'
import { PieceAssembler, type AssembledPiece } from './piece-assembler.ts'
import {
  DEFAULT_ORIGIN_PLAN,
  deadlineOf,
  pieceLayout,
  pieceStart,
  planOriginFetches,
  urgentWindow,
  type OriginPlanConfig,
  type PieceLayout,
  type PlaybackTimeline,
} from './piece-plan.ts'
import type { Swarm } from './lazy-swarm.ts'
import type { SwarmWant } from './swarm-client.ts'
import type { PutResult, TrackCache } from './track-cache.ts'
import type { TorrentPieces } from './torrent-pieces.ts'
import { readTrackTorrent, type TrackTorrent } from './track-torrent.ts'

export interface SwarmByteSourceOptions {
  track: Track
  /** The room's SwarmClient, or its LazySwarm. */
  swarm: Swarm
  /** The track's .torrent: `GET /api/torrent/:trackId`, or built from a local file. */
  torrent: Uint8Array | (() => Promise<Uint8Array>)
  /** `/api/stream/:trackId`; null when no origin exists (a curator's own file). */
  originUrl: string | null
  cache?: TrackCache
  onCacheResult?: (r: PutResult) => void
  /** The player began sounding the track (once); `fromCache`: it plays from this browser's cache. */
  onSounding?: (fromCache: boolean) => void
  fetch?: typeof fetch
  /** Monotonic milliseconds; setPlayback's `atMs` is on this clock. */
  now?: () => number
  /** Until setPlayback is called: byte 0 plays this long after the first read(). */
  startupMs?: number
  plan?: Partial<OriginPlanConfig>
  maxOriginInFlight?: number
  random?: () => number
  /** Only for measuring alternatives (bench/p2p.ts); the protocol fixes SWARM_PIECE_LENGTH. */
  pieceLength?: number
}

/** Swarm set-up slower than this, the first reads due soon come from the origin meanwhile. */
const BRIDGE_AFTER_MS = 100
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
/**
 * A start in a track's middle (a join, a seek) or one whose first bytes are
 * due now (a cold cue every page waits on) joins the swarm once it sounds,
 * or after this long: the origin bridges its first bytes meanwhile. Joining
 * (parsing the torrent, hashing the bridged bytes into it, the tracker,
 * WebTorrent's five WebRTC offers per announce) held a joiner's main thread
 * 40-80 ms between placing its start and sounding it, and a listener's
 * ~200 ms of a cold Play's 260 ms from cue to ready (bench/sync profile).
 */
const SETUP_AFTER_MS = 1000
/** How often the piece plan is revisited besides on events. */
const TICK_MS = 100
/** Peers are asked first for the pieces due within this window. */
const URGENT_WINDOW_MS = 4000
/** After a failed origin request, wait this long before asking again for that piece. */
const RETRY_MS = 500
/**
 * A piece no peer holds is fetched after a random 0…this wait, then only if
 * no peer announced it meanwhile. Listeners tick on the same events (a peer's
 * piece reaches them all at once), so without it two listeners a few ms
 * apart would both ask the origin; the announcement (aula_origin) takes
 * ~1-5 ms on a LAN. Measured with bench/p2p.ts (10 listeners, 121 pieces):
 * pieces two listeners both fetched mid-track fell from 3-9 per run to 0-1,
 * and origin bytes from 1.04-1.47× the track to 1.04-1.07×.
 */
const ORIGIN_BACKOFF_MS = 40
/** Owned pieces fetched early at a time (piece-plan's aheadSlots). */
const AHEAD_IN_FLIGHT = 1
/**
 * A read returns every consecutive piece already here, up to this much (the
 * decoder's largest slice, track-stream.ts). A piece a read, 64 KiB, is
 * 0.11 s of a 24/96 stereo track, and each read costs the player a round
 * trip to its decoder worker and back: on busy pages (bench/sync: six pages
 * in one Chromium on 2 cores) those took 100-400 ms, so pages decoded
 * slower than they played and ran dry every few hundred ms for seconds, the
 * bytes already here.
 */
const READ_MAX_BYTES = 256 * 1024

export class SwarmByteSource implements ByteSource {
  private readonly now: () => number
  private readonly origin: OriginFetcher | null
  private readonly config: OriginPlanConfig
  private readonly random: () => number
  private readonly fetching = new Set<number>()
  /** Of `fetching`, the owned pieces fetched early to build the swarm's buffer. */
  private readonly fetchingAhead = new Set<number>()
  /** Picked for the origin, waiting out ORIGIN_BACKOFF_MS. */
  private readonly backingOff = new Set<number>()
  private readonly retryAt = new Map<number, number>()
  private readonly jitter = new Map<number, number>()
  private readonly abort = new AbortController()
  private readonly head = new HeadOnce()
  private init: Promise<void> | undefined
  /** The cache lookup start() begins with. */
  private lookup: Promise<void> | undefined
  /** start() has finished: the cache, the swarm or the fallback decides reads from now on. */
  private started = false
  /** Reads come from the origin until start() finishes (it was slow). */
  private bridging = false
  private meta: TrackTorrent | null = null
  private pieces: TorrentPieces | null = null
  private layout: PieceLayout | null = null
  private cached: Uint8Array | null = null
  private timeline: PlaybackTimeline | null = null
  /** What this reader wants of the track's torrent (SwarmClient.want). */
  private want: SwarmWant = 'playing'
  /** Byte offset the next read() starts at. */
  private nextByte = 0
  /** Pieces someone is waiting on right now (readRange): due immediately. */
  private readonly needNow = new Set<number>()
  /** read() was called: until then (a head read, a seek) nothing is planned past needNow. */
  private reading = false
  /** read() has returned bytes once (marked for bench/sync). */
  private delivered = false
  private soundedOnce = false
  /** Started in the middle (seek before the first read): the swarm waits for the first sound (SETUP_AFTER_MS). */
  private midway = false
  private sounded: (() => void) | null = null
  /** Without a swarm: the origin streamed (null while the swarm works). */
  private fallback: OriginStream | null = null
  private readonly direct: OriginStream | null
  /** The origin while the swarm sets up (bridge()), and the byte its open range has reached. */
  private readonly bridgeStream: OriginStream | null
  private bridgeAt = -1
  /** Where the bridge's open range ends (exclusive). */
  private bridgeEnd = -1
  /** Bridged bytes made whole pieces, for the store (see PieceAssembler); held until the swarm is set up. */
  private readonly bridged: PieceAssembler
  private bridgedPieces: AssembledPiece[] = []
  private bytesFromCache = 0
  private piecesLate = 0
  private timer: ReturnType<typeof setInterval> | undefined
  private unsubscribe: (() => void) | undefined
  private cacheWrite: Promise<void> | undefined
  private closed = false
  private wakeClosed: (() => void) | undefined
  private readonly closedSignal = new Promise<null>((resolve) => (this.wakeClosed = () => resolve(null)))

  constructor(private readonly opts: SwarmByteSourceOptions) {
    this.now = opts.now ?? (() => performance.now())
    // Window's fetch throws "Illegal invocation" when called as another object's method.
    const fetchFn = opts.fetch ?? uncachedFetch
    this.origin = opts.originUrl ? new OriginFetcher(opts.originUrl, fetchFn, this.now) : null
    this.direct = opts.originUrl ? new OriginStream(opts.originUrl, fetchFn, this.abort.signal) : null
    this.bridgeStream = opts.originUrl ? new OriginStream(opts.originUrl, fetchFn, this.abort.signal) : null
    this.config = { ...DEFAULT_ORIGIN_PLAN, ...opts.plan }
    this.bridged = new PieceAssembler(pieceLayout(opts.track.bytes, opts.pieceLength ?? SWARM_PIECE_LENGTH))
    this.random = opts.random ?? Math.random
  }

  get bytesFromOrigin(): number {
    return (this.origin?.bytes ?? 0) + (this.direct?.bytes ?? 0) + (this.bridgeStream?.bytes ?? 0)
  }

  counters(): SwarmCounters {
    const c = this.pieces?.counters
    return {
      bytesFromPeers: c?.bytesFromPeers ?? 0,
      bytesFromOrigin: this.bytesFromOrigin,
      bytesFromCache: this.bytesFromCache,
      bytesRejected: c?.bytesRejected ?? 0,
      peers: this.pieces?.peers ?? 0,
      peersBanned: c?.peersBanned ?? 0,
      piecesLate: this.piecesLate,
    }
  }

  /** Where the play head is: which byte plays when. Pausing stops origin fetches (nothing is due). */
  setPlayback(p: PlaybackPoint): void {
    this.timeline = { positionSec: p.positionSec, atMs: p.atMs, playing: p.playing, bytesPerSecond: this.bytesPerSecond() }
    this.want = p.playing && !p.next ? 'playing' : 'next'
    // Held warm (or paused), the rest of its torrent waits its turn behind what plays.
    if (this.meta && !this.closed) this.opts.swarm.want(this.meta.infoHash, this, this.want)
    this.tick()
  }

  aheadGoalSec(): number {
    if (this.cached || this.fallback) return Infinity // read as fast as it is read
    // The origin plan's lead for pieces no peer holds (its spread on top), or once peers are here the longer one (piece-plan.ts).
    const c = this.config
    return ((this.pieces?.peers ?? 0) > 0 ? c.connectedLeadMs : c.unheldLeadMs) / 1000
  }

  sounding(): void {
    if (this.soundedOnce) return
    this.soundedOnce = true
    this.sounded?.()
    this.opts.onSounding?.(this.cached !== null)
  }

  /** Resolves once a completed track has been offered to the cache (tests, benches). */
  async cacheSettled(): Promise<void> {
    await this.cacheWrite
  }

  async read(): Promise<Uint8Array | null> {
    if (!this.reading) performance.mark('aula:src-read')
    const bytes = await this.next()
    if (bytes && !this.delivered) {
      this.delivered = true
      performance.mark('aula:src-bytes', { detail: { bridging: this.bridging, cached: !!this.cached, peers: this.pieces?.peers ?? 0 } })
    }
    return bytes
  }

  /**
   * How long until the next byte is as close to its deadline as the origin
   * plan fetches unheld pieces: at or below 0, it is due from the origin now;
   * a reader further ahead waits for the swarm.
   */
  private untilDue(): number {
    if (!this.timeline) return Infinity // a head read before any playback point: nothing plays yet
    return deadlineOf(this.timeline, this.nextByte) - this.now() - (this.config.unheldLeadMs + this.config.jitterMs)
  }

  /** Whether the swarm set-up (begun by the caller) finished within `ms`. */
  private setUpWithin(ms: number): Promise<boolean> {
    return Promise.race([this.init!.then(() => true), delay(ms).then(() => false)])
  }

  private async next(): Promise<Uint8Array | null> {
    if (this.closed) return null
    this.reading = true
    this.timeline ??= { playing: true, positionSec: 0, atMs: this.now() + (this.opts.startupMs ?? 750), bytesPerSecond: this.bytesPerSecond() }
    this.init ??= this.start()
    // A cached track never touches the origin: the cache is asked first.
    if (!this.started) await this.lookup
    if (!this.started && this.direct && !this.cached) {
      // A listener never waits on swarm set-up (torrent fetch, WebTorrent) to
      // hear the start: the origin bridges (bridge()), at once for bytes due
      // now (a cold start every page waits on), else once set-up is slow.
      this.bridging ||= this.untilDue() <= 0 || !(await this.setUpWithin(BRIDGE_AFTER_MS))
      if (this.bridging && !this.started && !this.closed) {
        // A range already asked for is read out whatever its timing: it costs nothing more.
        const open = this.bridgeStream!.opened && this.bridgeAt === this.nextByte
        const wait = this.untilDue()
        if (wait <= 0 || open || this.prefetched(this.nextByte)) return this.bridge(this.bridgeStream!)
        // Not due yet (or paused: never due): wait for the swarm, or until it is.
        await (Number.isFinite(wait) ? Promise.race([this.init, delay(wait)]) : this.init)
        return this.next()
      }
    }
    await this.init
    if (this.closed) return null
    if (this.cached) return this.readCached(this.cached)
    // The swarm is set up: a range already open is still read out (its bytes
    // are on their way; the plan leaves its pieces to it), then the swarm serves.
    if (this.bridgeOpenAt(this.nextByte) && !this.pieces?.has(this.cursor)) return this.bridge(this.bridgeStream!)
    // A start's first bytes, due now and not here (a join, a seek, a cold cue
    // every page waits on): one range from the origin, as before set-up.
    // Piece by piece through the plan, a joiner's first bytes took 140-210 ms
    // on a busy page (bench/sync), past the moment its clock let it sound.
    // And bytes the joiner prefetched, whenever it reaches them (prefetched()).
    const startDue = !this.delivered && this.untilDue() <= 0
    if (this.bridgeStream && this.pieces && !this.pieces.has(this.cursor) && (startDue || this.prefetched(this.nextByte))) return this.bridge(this.bridgeStream)
    this.bridgeStream?.cancel()
    this.originTakesOver()
    if (this.fallback) {
      if (!this.fallback.opened) await this.fallback.open(this.nextByte)
      const bytes = await this.fallback.read()
      if (bytes) this.nextByte += bytes.byteLength
      return bytes
    }
    const pieces = this.pieces!
    const layout = this.layout!
    if (this.nextByte >= layout.length) {
      clearInterval(this.timer)
      return null
    }
    const index = this.cursor
    if (!(await this.arrived(pieces, index))) return !this.closed && this.originTakesOver() ? this.next() : null
    let last = index
    while (last + 1 < layout.count && pieces.has(last + 1) && pieceStart(layout, last + 2) - pieceStart(layout, index) <= READ_MAX_BYTES) last++
    const parts = await Promise.all(Array.from({ length: last - index + 1 }, (_, k) => pieces.read(index + k)))
    const bytes = parts.length === 1 ? parts[0]! : concat(parts)
    const skip = this.nextByte - pieceStart(layout, index)
    this.nextByte = pieceStart(layout, last + 1)
    this.tick()
    return skip > 0 ? bytes.subarray(skip) : bytes
  }

  /**
   * For starting mid-track: the next read() returns the file from `startByte`
   * on. Call between reads. Pieces before it are neither waited for nor
   * fetched from the origin (peers still send them, later, for the cache).
   */
  seek(startByte: number): void {
    if (!Number.isSafeInteger(startByte) || startByte < 0) throw new RangeError(`bad seek offset ${startByte}`)
    if (!this.reading && startByte > 0) this.midway = true
    this.fallback?.cancel() // reopened at the new offset by the next read()
    this.bridgeStream?.cancel()
    this.nextByte = startByte
    this.tick()
  }

  /**
   * Bytes [from, to) of the file (fewer at its end), as soon as possible: the
   * pieces are due now, so the origin is asked at once for any no peer has.
   * For reading a file's head before playing from its middle.
   */
  async readRange(from: number, to: number): Promise<Uint8Array> {
    this.init ??= this.start()
    await this.lookup
    if (this.cached) return this.cached.slice(from, to)
    // A head read (a join, a seek) is a few KiB: it never waits on the swarm's set-up.
    if (!this.started && this.direct) return this.direct.range(from, to)
    await this.init
    const pieces = this.pieces
    const layout = this.layout
    if (!pieces || !layout || this.originTakesOver()) {
      if (!this.direct) throw new SwarmError('torrent_unavailable', 'and this track has no origin')
      return this.direct.range(from, to)
    }
    to = Math.min(to, layout.length)
    if (to <= from) return new Uint8Array(0)
    const first = Math.floor(from / layout.pieceLength)
    const last = Math.floor((to - 1) / layout.pieceLength)
    for (let p = first; p <= last; p++) this.needNow.add(p)
    this.tick()
    try {
      const out = new Uint8Array(to - from)
      for (let p = first; p <= last; p++) {
        if (!(await this.arrived(pieces, p))) {
          if (!this.closed && this.originTakesOver()) return this.direct!.range(from, to)
          throw new Error('closed')
        }
        const bytes = await pieces.read(p)
        const start = pieceStart(layout, p)
        const a = Math.max(from, start)
        const b = Math.min(to, start + bytes.byteLength)
        out.set(bytes.subarray(a - start, b - start), a - from)
      }
      return out
    } finally {
      for (let p = first; p <= last; p++) this.needNow.delete(p)
    }
  }

  /**
   * The file's head for starting mid-track (ByteSource.readHead): the ranges
   * the decoder needs, as pieces due now, so a joiner asks the origin at
   * once for what no peer holds yet.
   */
  readHead(codec: TrackCodec): Promise<FileHead> {
    return this.head.get(async () => {
      const early = this.opts.originUrl ? takePrefetchedHead(this.opts.track.id) : undefined
      const head = (await early?.catch(() => null)) ?? (await readHeadByRanges(codec, (from, to) => this.readRange(from, to)))
      performance.mark('aula:head')
      return head
    })
  }

  /** Idempotent. The torrent stays with the SwarmClient (and keeps seeding). */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.sounded?.()
    if (this.meta) this.opts.swarm.want(this.meta.infoHash, this, 'done')
    clearInterval(this.timer)
    this.unsubscribe?.()
    this.abort.abort()
    this.fallback?.cancel()
    this.bridgeStream?.cancel()
    this.wakeClosed?.()
  }

  /**
   * The next bytes straight from the origin, streamed from one range request
   * that covers what is due within the lead (whole pieces), not a request
   * per piece: on a busy page each round trip costs a tick or more, and the
   * decoder wants ~0.3 s of audio before the first sound. Not checked per
   * piece (no torrent yet), as the library's HTTP stream never was; the
   * player checks the whole file's SHA-256 when it reads from the start.
   */
  private async bridge(origin: OriginStream): Promise<Uint8Array | null> {
    const from = this.nextByte
    const total = this.opts.track.bytes
    if (from >= total) return null
    const fresh = !origin.opened || from !== this.bridgeAt
    if (fresh) {
      origin.cancel()
      const step = this.opts.pieceLength ?? SWARM_PIECE_LENGTH
      // Through the byte due at the end of the lead (at least the piece `from` is in), whole pieces.
      const tl = this.timeline!
      const dueBy = (tl.positionSec + (this.now() + this.config.unheldLeadMs + this.config.jitterMs - tl.atMs) / 1000) * tl.bytesPerSecond
      const end = Math.max(from + 1, Math.ceil(dueBy))
      this.bridgeEnd = Math.min(total, Math.max(Math.ceil(end / step) * step, this.prefetchReach(from)))
      await origin.open(from, this.bridgeEnd)
      this.bridgeAt = from
    }
    const bytes = await origin.read()
    if (this.nextByte !== from) return this.next() // seek() came meanwhile
    if (!bytes) {
      origin.cancel()
      // A range that brought nothing would be asked for again and again.
      if (fresh) throw new SwarmError('origin_failed', `empty range at byte ${from}`)
      return this.next() // this range is done: the swarm, or another range
    }
    this.nextByte += bytes.byteLength
    this.bridgeAt = this.nextByte
    this.bridgedPieces.push(...this.bridged.add(from, bytes))
    this.storeBridged()
    return bytes
  }

  /**
   * Bytes a joiner prefetched with its join reply (origin-prefetch.ts) are
   * read as fast as they are read, due or not: they are here already, and
   * peers could only have saved the origin what it has sent. Paced like the
   * origin's (a piece as each fell due), a joiner read them one 64 KiB range
   * at a time (a probe of bench/sync's room), and decoded at about the pace
   * of playback.
   */
  private prefetched(byte: number): boolean {
    return this.prefetchReach(byte) > byte
  }

  private prefetchReach(byte: number): number {
    return this.opts.originUrl ? prefetchReach(this.opts.originUrl, byte) : byte
  }

  /** Whether the bridge's open range goes on from `byte`. */
  private bridgeOpenAt(byte: number): boolean {
    return !!this.bridgeStream?.opened && this.bridgeAt === byte && byte < this.bridgeEnd
  }

  /** Whether piece `p` is still to come through the bridge's open range. */
  private bridgeBrings(p: number): boolean {
    const l = this.layout
    return !!l && !!this.bridgeStream?.opened && pieceStart(l, p + 1) > this.bridgeAt && pieceStart(l, p) < this.bridgeEnd
  }

  /** Bridged pieces into the store (each verified there), once there is one. */
  private storeBridged(): void {
    const pieces = this.pieces
    if (!pieces || this.closed) return
    for (const { index, bytes } of this.bridgedPieces.splice(0)) void pieces.inject(index, bytes, 'origin').catch(() => {})
  }

  /** The piece the next read() starts in. */
  private get cursor(): number {
    return this.layout ? Math.floor(this.nextByte / this.layout.pieceLength) : 0
  }

  /** Waits for a piece: false when the source closed, or the room let go of the torrent (originTakesOver()) before it came. */
  private async arrived(pieces: TorrentPieces, index: number): Promise<boolean> {
    if (pieces.has(index)) return true
    this.tick()
    const got = await Promise.race([pieces.waitFor(index).then(() => true), pieces.released.then(() => false), this.closedSignal])
    return !!got && !this.closed
  }

  /**
   * The room let go of this track's torrent while it is still read (a queue
   * edit releases swarms the queue no longer names): the origin serves the
   * rest from where reading is, as without a swarm. Its ticks stop, which
   * otherwise threw "torrent is destroyed" every 100 ms. True when the
   * origin has taken over (now or before); false while the swarm serves.
   */
  private originTakesOver(): boolean {
    if (this.fallback) return true
    if (!this.pieces?.isReleased) return false
    clearInterval(this.timer)
    this.unsubscribe?.()
    this.bridgeStream?.cancel()
    if (!this.direct) return false
    this.fallback = this.direct
    return true
  }

  private bytesPerSecond(): number {
    return meanBytesPerSecond(this.opts.track) ?? 1_000_000
  }

  private start(): Promise<void> {
    this.lookup = this.lookUpCache()
    return this.lookup
      .then(() => (this.direct && !this.cached && (this.midway || this.untilDue() <= 0) ? this.firstSound() : undefined))
      .then(() => (this.closed ? undefined : this.setUp()))
      .finally(() => (this.started = true))
  }

  /** Resolves once this source sounds (or is closed), or after SETUP_AFTER_MS. */
  private firstSound(): Promise<void> {
    if (this.soundedOnce || this.closed) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.sounded = null
        resolve()
      }
      const timer = setTimeout(done, SETUP_AFTER_MS)
      this.sounded = done
    })
  }

  private async lookUpCache(): Promise<void> {
    const { track, cache } = this.opts
    if (!cache) return
    // Counting the play need not hold up the start (an index write, slow on a busy page).
    void cache.notePlay(track.sha256).catch(() => {})
    this.cached = await cache.get(track.sha256).catch(() => null)
  }

  private async setUp(): Promise<void> {
    const cached = this.cached
    if (cached) {
      // Reads come from the cache at once; the swarm is joined meanwhile, to
      // seed: listeners who start this track later fetch from here.
      void this.joinSwarm()
        .then(async () => {
          if (!this.closed) await this.opts.swarm.seed(this.meta!, cached)
        })
        .catch(() => {})
      return
    }
    try {
      await this.joinSwarm()
    } catch (err) {
      console.warn('[swarm] no swarm for this track; using the origin alone:', (err as Error).message)
      if (!this.direct) throw new SwarmError('torrent_unavailable', 'and this track has no origin')
      this.fallback = this.direct
      return
    }
    if (this.closed) return
    const pieces = this.pieces!
    this.storeBridged()
    this.unsubscribe = pieces.onPiece((index) => this.onPiece(index))
    this.timer = setInterval(() => this.tick(), TICK_MS)
    ;(this.timer as { unref?: () => void }).unref?.()
    this.maybeCache(pieces)
  }

  /** The track's torrent, checked against the track, opened in the room's swarm. */
  private async joinSwarm(): Promise<void> {
    const file = typeof this.opts.torrent === 'function' ? await this.opts.torrent() : this.opts.torrent
    this.meta = await readTrackTorrent(file, this.opts.track, this.opts.pieceLength)
    this.layout = pieceLayout(this.meta.length, this.meta.pieceLength)
    this.pieces = await this.opts.swarm.open(this.meta, { reader: this, prefetch: this.want === 'next' })
    if (this.closed) this.opts.swarm.want(this.meta.infoHash, this, 'done') // closed while it opened
  }

  private onPiece(index: number): void {
    const due = this.timeline ? deadlineOf(this.timeline, pieceStart(this.layout!, index)) : Infinity
    if (this.reading && index >= this.cursor && this.now() > due) this.piecesLate++
    this.maybeCache(this.pieces!)
    this.tick()
  }

  private maybeCache(pieces: TorrentPieces): void {
    if (pieces.complete && !this.cacheWrite && this.opts.cache) this.cacheWrite = this.cacheWhole(pieces)
  }

  private deadline(index: number): number {
    return this.timeline ? deadlineOf(this.timeline, pieceStart(this.layout!, index)) : Infinity
  }

  /** The plan, acted on: peers' priority window, then origin fetches for what is due. */
  private tick(): void {
    const { pieces, layout, meta } = this
    // A cached track joins its swarm only to seed: nothing to fetch.
    if (this.closed || this.cached || !pieces || !layout || !meta || this.originTakesOver()) return
    const now = this.now()
    const from = this.cursor
    const deadline = (p: number) => this.deadline(p)
    const w = this.reading ? urgentWindow({ now, layout, from, deadline, windowMs: URGENT_WINDOW_MS, minPieces: 2, maxPieces: 64 }) : null
    if (w) pieces.focus(w.from, w.to)
    const origin = this.origin
    if (!origin) return
    let slots = (this.opts.maxOriginInFlight ?? 3) - this.fetching.size - this.backingOff.size
    // A head read (readRange) waits on these now: no time to wait for peers.
    for (const p of this.needNow) {
      if (slots <= 0) break
      if (pieces.has(p) || this.fetching.has(p) || (this.retryAt.get(p) ?? 0) > now) continue
      this.fetchFromOrigin(origin, pieces, meta, p)
      slots--
    }
    if (!this.reading) return
    const picks = planOriginFetches({
      now,
      layout,
      from,
      deadline,
      have: (p) => pieces.has(p),
      fetching: (p) => this.fetching.has(p) || this.backingOff.has(p) || this.bridgeBrings(p) || (this.retryAt.get(p) ?? 0) > now,
      heldByPeer: (p) => pieces.heldByPeer(p),
      mine: (p) => pieces.owns(p),
      originEtaMs: (b) => origin.etaMs(b),
      jitter: (p) => this.jitterOf(p),
      slots,
      aheadSlots: AHEAD_IN_FLIGHT - this.fetchingAhead.size,
      config: pieces.peers > 0 ? { ...this.config, unheldLeadMs: Math.max(this.config.unheldLeadMs, this.config.connectedLeadMs) } : this.config,
    })
    for (const { piece: p, why } of picks) {
      if (why === 'ahead') this.fetchingAhead.add(p)
      // A held piece is at its last call, and an owned one is nobody else's: no more waiting.
      if (why !== 'due') this.fetchFromOrigin(origin, pieces, meta, p)
      else this.backOff(origin, pieces, meta, p)
    }
  }

  private backOff(origin: OriginFetcher, pieces: TorrentPieces, meta: TrackTorrent, index: number): void {
    this.backingOff.add(index)
    const timer = setTimeout(() => {
      this.backingOff.delete(index)
      if (this.closed || pieces.has(index) || this.fetching.has(index)) return
      if (pieces.heldByPeer(index)) return this.tick() // someone else is bringing it
      this.fetchFromOrigin(origin, pieces, meta, index)
    }, this.random() * ORIGIN_BACKOFF_MS)
    ;(timer as { unref?: () => void }).unref?.()
  }

  private fetchFromOrigin(origin: OriginFetcher, pieces: TorrentPieces, meta: TrackTorrent, index: number): void {
    this.fetching.add(index)
    pieces.announceOriginFetch(index)
    origin
      .fetchPiece(this.layout!, index, meta.pieceHashes[index]!, this.abort.signal)
      .then((bytes) => pieces.inject(index, bytes, 'origin'))
      .catch((err: unknown) => {
        if (this.closed) return
        this.retryAt.set(index, this.now() + RETRY_MS)
        console.warn('[swarm] origin piece failed:', err instanceof SwarmError ? err.message : err)
      })
      .finally(() => {
        this.fetching.delete(index)
        this.fetchingAhead.delete(index)
        this.tick()
      })
  }

  private jitterOf(p: number): number {
    let j = this.jitter.get(p)
    if (j === undefined) this.jitter.set(p, (j = this.random()))
    return j
  }

  /** Slices of the cached file as large as the swarm's reads (READ_MAX_BYTES), on its piece boundaries. */
  private readCached(bytes: Uint8Array): Uint8Array | null {
    const step = this.layout?.pieceLength ?? SWARM_PIECE_LENGTH
    const start = this.nextByte
    if (start >= bytes.byteLength) return null
    const end = Math.min(bytes.byteLength, (Math.floor(start / step) + Math.max(1, Math.floor(READ_MAX_BYTES / step))) * step)
    this.nextByte = end
    this.bytesFromCache += end - start
    return bytes.slice(start, end)
  }

  private async cacheWhole(pieces: TorrentPieces): Promise<void> {
    const layout = this.layout!
    const whole = new Uint8Array(layout.length)
    for (let i = 0; i < layout.count; i++) whole.set(await pieces.read(i), pieceStart(layout, i))
    const result = await this.opts.cache!.put(this.opts.track.sha256, whole)
    this.opts.onCacheResult?.(result)
  }
}
