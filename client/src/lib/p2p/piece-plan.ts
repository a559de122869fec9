/**
 * Which piece comes from where, and when. Pure: the swarm adapter feeds in
 * what it knows (play head, pieces held here and by connected peers, how fast
 * the origin answers) and acts on the answer.
 *
 * The origin is a last resort with a deadline, not a web seed. WebTorrent's
 * `urlList` web seed downloads from HTTP at full speed beside the peers
 * (webtorrent#1570, #1312), so every listener would pull ~the whole track from
 * the library; and pieces a departed peer had reserved may never fall back to
 * it (#1666). Here a piece goes to the origin only when its deadline is close
 * enough that waiting longer would risk an underrun: earlier if no connected
 * peer holds it (nobody can deliver it), at the last call if one does (the
 * peer had its chance: stalled, choked or gone).
 */

export interface PieceLayout {
  /** File length in bytes. */
  length: number
  pieceLength: number
  count: number
}

export function pieceLayout(length: number, pieceLength: number): PieceLayout {
  return { length, pieceLength, count: Math.ceil(length / pieceLength) }
}

export function pieceStart(l: PieceLayout, index: number): number {
  return index * l.pieceLength
}

export function pieceBytes(l: PieceLayout, index: number): number {
  return Math.max(0, Math.min(l.pieceLength, l.length - index * l.pieceLength))
}

/**
 * Maps file bytes to the wall-clock time the decoder needs them. FLAC and WAV
 * are close enough to constant bitrate that position × mean bytes per second
 * lands within a piece or two, and the guards below absorb that.
 */
export interface PlaybackTimeline {
  playing: boolean
  /** Track position (s) playing at `atMs`. */
  positionSec: number
  atMs: number
  /** Mean bytes per second of the file: bytes / duration. */
  bytesPerSecond: number
}

/** When byte `byte` must be here; -∞ … now for bytes already behind the play head, ∞ while paused. */
export function deadlineOf(tl: PlaybackTimeline, byte: number): number {
  if (!tl.playing || !(tl.bytesPerSecond > 0)) return Infinity
  return tl.atMs + (byte / tl.bytesPerSecond - tl.positionSec) * 1000
}

export interface OriginPlanConfig {
  /**
   * A piece no connected peer holds goes to the origin this long before its
   * deadline (plus the origin's own expected delivery time). It is the
   * margin against an underrun, and the head start later listeners have to
   * find the piece at a peer instead.
   */
  unheldLeadMs: number
  /**
   * unheldLeadMs once this listener is connected to peers. Longer: a deeper
   * buffer against a busy machine costs the origin nothing then, because the
   * first listener to fetch a piece announces it and the rest wait for it
   * (held pieces). Before any peer connects (a join) the short lead applies,
   * so listeners starting together do not each fetch seconds of audio.
   */
  connectedLeadMs: number
  /**
   * Once connected, each piece far ahead has one owner among this listener
   * and its peers (rendezvous hashing, `mine`); the owner fetches it from the
   * origin this long before its deadline and the rest get it from the owner.
   * This is the swarm's buffer: without it nobody holds a byte further ahead
   * than connectedLeadMs, so a stalled page or server starves everyone at
   * once. One owner per piece keeps the origin at about one copy. bench/p2p
   * (10 listeners joining over 3 s, 20 s track): 6 s gave origin 1.07-1.16x
   * and the first 2 s of audio at p50 360-450 ms; 10 s gave 1.23-1.30x and
   * 550-800 ms, its burst slowing the later joiners' connections so they
   * fetched their first pieces from the origin.
   */
  aheadLeadMs: number
  /** For a piece some peer holds: how long before (deadline − origin time) to give up on peers. */
  heldLeadMs: number
  /**
   * Spread per listener and piece (0 … jitterMs) added to unheldLeadMs, so
   * listeners that start together do not all ask the origin for the same
   * piece in the same instant; the first to have it announces it to the rest.
   */
  jitterMs: number
  /** Pieces looked at past the read cursor per decision. */
  horizonPieces: number
}

export const DEFAULT_ORIGIN_PLAN: OriginPlanConfig = {
  unheldLeadMs: 500,
  connectedLeadMs: 2500,
  aheadLeadMs: 6000,
  heldLeadMs: 200,
  jitterMs: 150,
  horizonPieces: 512,
}

export interface OriginPlanInput {
  now: number
  layout: PieceLayout
  /** First piece the reader still needs (everything before it was read). */
  from: number
  deadline: (piece: number) => number
  have: (piece: number) => boolean
  /** Already being fetched from the origin. */
  fetching: (piece: number) => boolean
  /** Some connected peer has announced it. */
  heldByPeer: (piece: number) => boolean
  /** This listener owns the piece among the peers it is connected to (false with no peers). */
  mine: (piece: number) => boolean
  /** Expected time (ms) for the origin to deliver `bytes`, measured. */
  originEtaMs: (bytes: number) => number
  /** This listener's spread for a piece, in [0, 1). */
  jitter: (piece: number) => number
  /** Origin fetches that may start now. */
  slots: number
  /**
   * Of those, how many may be owned pieces fetched early (beyond the
   * connected lead): few, so building the buffer never delays a piece that
   * is due, and the burst when peers connect is spread out.
   */
  aheadSlots?: number
  config: OriginPlanConfig
}

/**
 * A piece to fetch from the origin now, and why: `held` a peer had it and
 * ran out of time, `due` nobody holds it and it is due soon, `ahead` this
 * listener owns it and fetches it early for the swarm's buffer.
 */
export interface OriginPick {
  piece: number
  why: 'held' | 'due' | 'ahead'
}

/** Pieces to fetch from the origin now, most urgent first. */
export function planOriginFetches(input: OriginPlanInput): OriginPick[] {
  const { now, layout, config: c } = input
  const picks: OriginPick[] = []
  if (input.slots <= 0) return picks
  const end = Math.min(layout.count, input.from + c.horizonPieces)
  const widest = Math.max(c.aheadLeadMs, c.unheldLeadMs + c.jitterMs)
  let aheadSlots = input.aheadSlots ?? Infinity
  for (let p = Math.max(0, input.from); p < end; p++) {
    if (input.have(p) || input.fetching(p)) continue
    const slack = input.deadline(p) - now
    if (slack === Infinity) break
    const eta = input.originEtaMs(pieceBytes(layout, p))
    // Deadlines grow with p: once even the widest lead is not reached, no later piece is due either.
    if (slack > eta + widest) break
    let why: OriginPick['why'] = 'due'
    if (input.heldByPeer(p)) {
      if (slack > eta + c.heldLeadMs) continue
      why = 'held'
    } else if (slack > eta + c.unheldLeadMs + c.jitterMs * input.jitter(p)) {
      if (aheadSlots <= 0 || slack > eta + c.aheadLeadMs || !input.mine(p)) continue
      aheadSlots--
      why = 'ahead'
    }
    picks.push({ piece: p, why })
    if (picks.length >= input.slots) break
  }
  return picks
}

/**
 * Pieces WebTorrent should ask peers for first: from the read cursor through
 * the ones due within `windowMs` (at least `minPieces`). The rest of the
 * track follows in order at normal priority.
 */
export function urgentWindow(input: {
  now: number
  layout: PieceLayout
  from: number
  deadline: (piece: number) => number
  windowMs: number
  minPieces: number
  maxPieces: number
}): { from: number; to: number } | null {
  const { layout, from } = input
  if (from >= layout.count) return null
  let to = Math.min(layout.count - 1, from + input.minPieces - 1)
  const cap = Math.min(layout.count - 1, from + input.maxPieces - 1)
  while (to < cap && input.deadline(to + 1) - input.now <= input.windowMs) to++
  return { from, to }
}

/**
 * Rendezvous (highest random weight) hashing: the id whose hash with `piece`
 * is highest owns it. Every listener connected to the same peers picks the
 * same owner without a word exchanged, and a peer leaving moves only its own
 * pieces. FNV-1a is enough: ids are random, and a clash costs one duplicate
 * origin fetch at worst.
 */
export function ownerOf(ids: readonly string[], piece: number): string | undefined {
  let best: string | undefined
  let bestScore = -1
  for (const id of ids) {
    const score = fnv1a(`${id}:${piece}`)
    if (score > bestScore || (score === bestScore && best !== undefined && id < best)) {
      best = id
      bestScore = score
    }
  }
  return best
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  // A final avalanche: ids differing in their last characters would otherwise score alike.
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  return h >>> 0
}
