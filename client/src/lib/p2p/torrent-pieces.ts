/**
 * One track's WebTorrent torrent, seen as pieces: which are here, which a
 * connected peer holds, where each verified piece came from, and a way to put
 * in a piece that arrived by another road (origin, cache). Also the blame
 * keeping that WebTorrent lacks (piece-blame.ts).
 *
 * Injecting a piece uses three private members of webtorrent 2.8's Torrent
 * (`_markVerified`, `_checkDone`, `_update`): there is no public way to add
 * one verified piece (`load()` marks *every* piece verified without hashing).
 * They are checked at construction so an upgrade that renames them fails
 * loudly here rather than silently never delivering. Going around WebTorrent's
 * request reservations is also what keeps a piece reserved by a departed peer
 * from blocking its fallback (webtorrent#1666).
 */
import type WebTorrent from 'webtorrent'
import { ORIGIN_INTENT_EXTENSION, ORIGIN_INTENT_TTL_MS, type ByteOrigin } from '../../../../protocol/index.ts'
import { sha1Hex } from './digest.ts'
import { originIntentExtension, type ExtensionConstructor, type OriginIntentHandler } from './origin-intent.ts'
import { PieceBlame } from './piece-blame.ts'
import { ownerOf, pieceBytes, pieceLayout, type PieceLayout } from './piece-plan.ts'
import type { TrackTorrent } from './track-torrent.ts'

interface TorrentInternals {
  _markVerified(index: number): void
  _checkDone(): boolean
  _update(): void
}

const FAILED_PIECE = /^Piece (\d+) failed verification$/

export interface PieceCounters {
  bytesFromPeers: number
  bytesRejected: number
  peersBanned: number
}

export class TorrentPieces {
  readonly layout: PieceLayout
  readonly counters: PieceCounters = { bytesFromPeers: 0, bytesRejected: 0, peersBanned: 0 }
  readonly ready: Promise<void>
  private readonly blame = new PieceBlame()
  private readonly sourceOf = new Map<number, ByteOrigin>()
  private readonly waiters = new Map<number, (() => void)[]>()
  private readonly listeners = new Set<(piece: number, from: ByteOrigin) => void>()
  private window: { from: number; to: number } | null = null
  /** Pieces a peer said it is fetching from the origin → when that claim lapses. */
  private readonly peerIntents = new Map<number, number>()
  private readonly intentExtension: ExtensionConstructor
  private destroyed = false
  private wakeReleased: () => void = () => {}
  /** Resolves when destroy() is called: the SwarmClient let go of this torrent. */
  readonly released = new Promise<void>((resolve) => (this.wakeReleased = resolve))

  constructor(
    readonly torrent: WebTorrent.Torrent,
    readonly meta: TrackTorrent,
  ) {
    this.layout = pieceLayout(meta.length, meta.pieceLength)
    this.intentExtension = originIntentExtension(this.layout.count, (piece) => {
      if (!this.has(piece)) this.peerIntents.set(piece, performance.now() + ORIGIN_INTENT_TTL_MS)
    })
    const internals = torrent as unknown as Partial<TorrentInternals>
    for (const name of ['_markVerified', '_checkDone', '_update'] as const) {
      if (typeof internals[name] !== 'function') throw new Error(`webtorrent changed: Torrent.${name} is gone; see torrent-pieces.ts`)
    }
    this.ready = torrent.ready ? Promise.resolve() : new Promise((resolve, reject) => {
      torrent.once('ready', () => resolve())
      torrent.once('error', (err: Error) => reject(err))
    })
    torrent.on('verified', (index: number) => this.onVerified(index))
    torrent.on('warning', (err: Error) => this.onWarning(err))
    torrent.on('wire', (wire: WebTorrent.Wire) => this.onWire(wire))
  }

  has(index: number): boolean {
    return this.torrent.bitfield?.get(index) ?? false
  }

  get complete(): boolean {
    for (let i = 0; i < this.layout.count; i++) if (!this.has(i)) return false
    return true
  }

  /** A connected peer has announced this piece, or is fetching it from the origin. */
  heldByPeer(index: number): boolean {
    const intent = this.peerIntents.get(index)
    if (intent !== undefined) {
      if (intent > performance.now()) return true
      this.peerIntents.delete(index)
    }
    return this.torrent.wires.some((w) => !w.destroyed && w.peerPieces.get(index))
  }

  /** Tells connected peers this piece is coming from the origin, so they wait for it here. */
  announceOriginFetch(index: number): void {
    for (const w of this.torrent.wires) {
      const ext = (w as unknown as Record<string, OriginIntentHandler | undefined>)[ORIGIN_INTENT_EXTENSION]
      if (!w.destroyed) ext?.send(index)
    }
  }

  /**
   * This listener is the one among itself and its connected peers that
   * fetches the piece from the origin far ahead (piece-plan.ts ownerOf).
   * Only peers running this app count: they are the ones that take a turn.
   */
  owns(index: number): boolean {
    const self = (this.torrent as unknown as { client?: { peerId?: string } }).client?.peerId
    if (!self) return false
    const ids = [self]
    for (const w of this.torrent.wires) {
      if (!w.destroyed && w.peerId && ORIGIN_INTENT_EXTENSION in ((w as unknown as { peerExtendedHandshake?: { m?: object } }).peerExtendedHandshake?.m ?? {})) ids.push(w.peerId)
    }
    return ids.length > 1 && ownerOf(ids, index) === self
  }

  get peers(): number {
    return this.torrent.wires.filter((w) => !w.destroyed).length
  }

  source(index: number): ByteOrigin | undefined {
    return this.sourceOf.get(index)
  }

  /** Called for every piece that becomes available, with where it came from. */
  onPiece(fn: (piece: number, from: ByteOrigin) => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  waitFor(index: number): Promise<void> {
    if (this.has(index)) return Promise.resolve()
    return new Promise((resolve) => {
      const list = this.waiters.get(index) ?? []
      list.push(resolve)
      this.waiters.set(index, list)
    })
  }

  /** A copy: the store's buffer keeps serving peers, and readers may transfer theirs. */
  async read(index: number): Promise<Uint8Array> {
    const buf = await new Promise<Uint8Array>((resolve, reject) =>
      this.torrent.store.get(index, (err, b) => (err || !b ? reject(err ?? new Error(`piece ${index} missing`)) : resolve(b))),
    )
    return buf.slice()
  }

  /**
   * Adds a piece that came from elsewhere. Hashes it against the torrent first;
   * false when it does not match or the piece is already here.
   */
  async inject(index: number, bytes: Uint8Array, from: 'origin' | 'cache'): Promise<boolean> {
    if (this.destroyed || this.has(index)) return false
    if (bytes.byteLength !== pieceBytes(this.layout, index) || (await sha1Hex(bytes)) !== this.meta.pieceHashes[index]) return false
    if (this.destroyed || this.has(index)) return false
    await new Promise<void>((resolve, reject) => this.torrent.store.put(index, bytes, (err) => (err ? reject(err) : resolve())))
    // A peer may have completed it while the store was writing.
    if (this.destroyed || this.has(index)) return false
    const t = this.torrent as unknown as TorrentInternals
    this.sourceOf.set(index, from)
    t._markVerified(index) // → 'verified' → onVerified
    for (const w of this.torrent.wires) if (!w.destroyed) w.have(index)
    t._checkDone()
    t._update()
    return true
  }

  /** Everything, in file order (WebTorrent's default 'sequential' strategy). */
  selectAll(): void {
    if (this.layout.count > 0) this.torrent.select(0, this.layout.count - 1, 0)
  }

  /** Holds the rest back; the focus window goes too (WebTorrent removes every selection inside), so the next focus() sets it again. */
  deselectAll(): void {
    if (this.layout.count > 0) this.torrent.deselect(0, this.layout.count - 1)
    this.window = null
  }

  /** Asks peers for these pieces before the rest, and lets fast peers take them over from slow ones. */
  focus(from: number, to: number): void {
    const w = this.window
    if (w && w.from === from && w.to === to) return
    if (w) this.torrent.deselect(w.from, w.to)
    // A window spanning the whole file would share the base selection's
    // bounds, and deselect() would remove both.
    if (from === 0 && to === this.layout.count - 1) {
      this.window = null
      return
    }
    this.window = { from, to }
    this.torrent.select(from, to, 1)
    this.torrent.critical(from, to)
  }

  /** The SwarmClient let go of this torrent (destroy()): nothing more comes from it. */
  get isReleased(): boolean {
    return this.destroyed
  }

  destroy(): void {
    if (this.destroyed) return
    this.destroyed = true
    this.wakeReleased()
    this.listeners.clear()
    this.waiters.clear()
  }

  private onVerified(index: number): void {
    const from = this.sourceOf.get(index) ?? 'peer'
    if (from === 'peer') {
      this.sourceOf.set(index, 'peer')
      this.counters.bytesFromPeers += pieceBytes(this.layout, index)
    }
    this.blame.verified(index)
    this.peerIntents.delete(index)
    const waiting = this.waiters.get(index)
    this.waiters.delete(index)
    for (const fn of waiting ?? []) fn()
    for (const fn of this.listeners) fn(index, from)
  }

  private onWire(wire: WebTorrent.Wire): void {
    if (this.blame.isBanned(wire.peerId)) return wire.destroy()
    wire.use(this.intentExtension)
    wire.on('piece', (index: number) => this.blame.block(index, wire.peerId))
  }

  private onWarning(err: Error): void {
    const m = FAILED_PIECE.exec(err?.message ?? '')
    if (!m) return
    const index = Number(m[1])
    this.counters.bytesRejected += pieceBytes(this.layout, index)
    const { ban } = this.blame.failed(index)
    if (ban.length === 0) return
    this.counters.peersBanned = this.blame.bannedCount
    for (const w of this.torrent.wires) if (ban.includes(w.peerId)) w.destroy()
  }
}
