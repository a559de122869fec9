/**
 * Warm start (issue #5, item 6 "Play control latency"): the queue entry that
 * plays next is kept opened, its first half second decoded and held, so a
 * Next or a Play is placed on audio already in hand instead of waiting for a
 * fetch and a decode that, on a busy main thread, outlast the room's lead.
 * Pure bookkeeping: which entry to hold warm, and whether what is held
 * serves a start. The player does the I/O.
 */
import type { Track } from '../../../../protocol/index.ts'

/**
 * Audio held decoded for the entry that plays next: more than the player
 * waits for before sounding (START_BUFFER_SEC, 0.3 s), so a start placed on
 * it waits for nothing, and no more than the decoder's first slice gives
 * (about a second of audio, or 256 KiB: 0.43 s of bench/sync's dense 24/96
 * ramp), so a cold cue is ready after one decode: at 0.5 s it took two, one
 * more worker round trip before every page said `cue.ready`. At 192 kHz × 8
 * channels that is 2.5 MB of the ledger.
 */
export const WARM_SEC = 0.4
/**
 * The entry after one that sounds is held deeper, once that one is past its
 * start (Player.keepWarm): a Next places its first WARM_SEC at once, and
 * the rest of the new track's bytes then have this long to come. With only
 * WARM_SEC in hand, on a busy machine (bench/sync, 5 pages on 2 cores) the
 * bytes after it came 250 ms after the read and decoded 230 ms later: the
 * pages ran dry 0.4 s into the new track, 9-30 underruns a run. At most
 * NEXT_MAX_BYTES of PCM (0.7 s at 192 kHz × 8 channels; 1.5 s × 24/96
 * stereo is 1.1 MB).
 */
export const NEXT_SEC = 1.5
const NEXT_MAX_BYTES = 4 * 2 ** 20

/** A queue entry and the track frame its sound would begin at. */
export interface Cue {
  index: number
  fromFrame: number
}

export interface WarmEntry extends Cue {
  track: Track
}

/** What a held stream covers: its track, the frame it decodes from, whether it broke. */
export interface Held {
  trackId: string
  startFrame: number
  broken: boolean
}

/**
 * The entry to hold warm. `cued`: what starts next when nothing sounds (what
 * Play would start, or the entry being started while its output opens).
 * Otherwise the entry after `sounding`. None past the queue's end, nor when
 * `inHand` says the player already holds that entry (a gapless successor).
 */
export function warmEntry(
  queue: readonly Track[],
  sounding: number | null,
  cued: Cue | null,
  inHand: (index: number) => boolean,
): WarmEntry | null {
  const cue = cued ?? (sounding === null ? null : { index: sounding + 1, fromFrame: 0 })
  if (!cue) return null
  const track = queue[cue.index]
  if (!track || inHand(cue.index)) return null
  return { index: cue.index, track, fromFrame: cue.fromFrame }
}

/**
 * Whether a stream opened at `held.startFrame` can stand for one asked to
 * start at `fromFrame`: same track, opened at or a little before it (within
 * what is held warm; the frames before the start are cut when placed, as at
 * any start). Broken or not: see `serves`.
 */
export function covers(held: Held, trackId: string, fromFrame: number, sampleRate: number): boolean {
  const lead = fromFrame - held.startFrame
  return held.trackId === trackId && lead >= 0 && lead <= WARM_SEC * sampleRate
}

/** `covers`, and not broken: a broken warm stream is never started (a fresh one reports the error where people see it). */
export function serves(held: Held, trackId: string, fromFrame: number, sampleRate: number): boolean {
  return !held.broken && covers(held, trackId, fromFrame, sampleRate)
}

/** Whether a warm stream has decoded enough: `sec` (WARM_SEC) past where it started, or the whole track. */
export function warmEnough(startFrame: number, framesDecoded: number, ended: boolean, sampleRate: number, sec = WARM_SEC): boolean {
  return ended || framesDecoded - startFrame >= sec * sampleRate
}

/** How much of `track` a warm stream holds: WARM_SEC, or for the entry after one well under way, up to NEXT_SEC. */
export function heldSec(track: Track, deep: boolean): number {
  if (!deep) return WARM_SEC
  return Math.max(WARM_SEC, Math.min(NEXT_SEC, NEXT_MAX_BYTES / (track.sampleRate * track.channels * 4)))
}

/** What the slot reads of a segment (a Segment in the player, a stand-in in tests). */
export interface WarmSegment {
  readonly track: Track
  index: number
  startFrame: number | null
  readonly stream: { readonly startFrame: number; readonly framesDecoded: number; readonly ended: boolean }
  readonly error: Error | null
  readonly pulling: boolean
  stop(): void
}

function heldOf(seg: WarmSegment): Held {
  return { trackId: seg.track.id, startFrame: seg.stream.startFrame, broken: seg.error !== null }
}

/** `serves` for a segment: whether it can stand for a fresh one starting `track` at `fromFrame`. */
export function segmentServes(seg: WarmSegment, track: Track, fromFrame: number): boolean {
  return serves(heldOf(seg), track.id, fromFrame, track.sampleRate)
}

/**
 * The one segment held warm, unplaced. Its PCM waits in the segment's
 * `pending` (counted in the player's PcmLedger like any other), at most about
 * WARM_SEC of one track, since only `hungry` segments are decoded into.
 */
export class WarmSlot<S extends WarmSegment> {
  private held: S | null = null
  /** filledOnce() has handed out the held segment. */
  private told = false
  /** Held to heldSec(…, deep): the entry after a track well under way. */
  private deep = false

  /** `open`: a new segment for an entry (the player's segmentFor, so its source comes from sourceFor). */
  constructor(private readonly open: (entry: WarmEntry) => S) {}

  get segment(): S | null {
    return this.held
  }

  /**
   * Holds `want` warm: keeps what is held when it covers `want` (renumbered
   * to its queue position), else replaces it, or only drops it when nothing
   * is wanted. A broken one that covers it is kept, so it is not reopened
   * every tick.
   */
  keep(want: WarmEntry | null): void {
    const held = this.held
    if (held && want && covers(heldOf(held), want.track.id, want.fromFrame, want.track.sampleRate)) {
      held.index = want.index
      return
    }
    this.drop()
    if (want) this.held = this.open(want)
  }

  /**
   * Holds the segment deeper (heldSec) or not. Returns the held segment when
   * it had been told filled and now wants more: its source must fetch again.
   */
  deepen(on: boolean): S | null {
    if (on === this.deep) return null
    this.deep = on
    const s = this.held
    if (!on || !s || !this.told || this.full(s)) return null
    this.told = false
    return s
  }

  /**
   * The held segment, once, when it has decoded enough: its source may stop
   * fetching (a swarm source would otherwise keep fetching as if it played).
   */
  filledOnce(): S | null {
    const s = this.held
    if (!s || this.told || s.error !== null || !this.full(s)) return null
    this.told = true
    return s
  }

  /** Whether the held segment wants more audio decoded (short of heldSec, nothing in flight). */
  get hungry(): boolean {
    const s = this.held
    return s !== null && s.error === null && !s.pulling && !this.full(s)
  }

  private full(s: S): boolean {
    return warmEnough(s.stream.startFrame, s.stream.framesDecoded, s.stream.ended, s.track.sampleRate, heldSec(s.track, this.deep))
  }

  /** The held segment, handed over to be placed at `index`, if it serves a start of `track` at `fromFrame`. */
  take(track: Track, index: number, fromFrame: number): S | null {
    const held = this.held
    if (!held || !segmentServes(held, track, fromFrame)) return null
    this.held = null
    this.told = false
    held.index = index
    return held
  }

  /** A segment nothing of which reached Web Audio, kept for a start about to come (what was held goes). */
  hold(seg: S): void {
    if (seg === this.held) return
    this.drop()
    seg.startFrame = null
    this.held = seg
  }

  /** Idempotent. */
  drop(): void {
    this.held?.stop()
    this.held = null
    this.told = false
  }
}
