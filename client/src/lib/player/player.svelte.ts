/**
 * The lossless player: a queue of tracks decoded in a worker, scheduled on a
 * context opened at the track's rate, gapless between tracks of one rate,
 * holding a bounded window of decoded PCM. Components render its state.
 *
 * Two ways to place audio in time: `play` starts as soon as data is there
 * (local listening); `follow` asks a placement function where track frame 0
 * belongs on the context's timeline (room sync) and keeps checking it,
 * correcting drift by dropping or repeating whole frames, never resampling.
 *
 * The entry that plays next is held warm (warm-start.ts): opened, its first
 * half second decoded, so Next or Play places audio already in hand.
 */
import type { Degradation, SwarmCounters, Track } from '../../../../protocol/index.ts'
import { DriftCorrector, toleranceFrames } from '../sync/drift.ts'
import { trackFrames } from '../sync/timeline.ts'
import { streamUrl } from '../tracks.ts'
import { openOutput, outputDeviceRate, type AudioOutput } from './audio-output.ts'
import { decodeAheadFrames, PcmLedger, type BufferStrategy } from './buffer-budget.ts'
import { HttpByteSource, type ByteSource } from './byte-source.ts'
import { frameAtOrAfter, START_GUARD_FRAMES } from './frame-time.ts'
import { ExpectedSource } from './expected-source.ts'
import { Segment } from './segment.ts'
import { TrackStream } from './track-stream.ts'
import { segmentServes, WARM_SEC, warmEnough, warmEntry, WarmSlot, type Cue } from './warm-start.ts'

export type PlayerStatus = 'idle' | 'loading' | 'playing' | 'paused'

/** Where a followed queue belongs on this page's output, and how surely. */
export interface Placement {
  /**
   * Where queue[index]'s frame 0 sounds, as a context frame (fractional), on
   * the output the player holds; null when unknown (no clock estimate yet,
   * or not the anchored track).
   */
  frameOf(index: number, out: AudioOutput): number | null
  /**
   * How far that frame may be off now (ms, ≈95 %). Drift correction does not
   * chase an error inside it: a young estimate moves by milliseconds while
   * it converges, and trimming after it made a joiner that had landed within
   * 0.2 ms sit 2.2 ms off for seconds (bench/sync).
   */
  uncertaintyMs(): number
}

const TICK_MS = 40
/** Segments whose first decoded audio has been marked (bench/sync steps). */
const firstDecoded = new WeakSet<object>()
/**
 * Web Audio gets nodes this far ahead: a main thread stalled for less than
 * this (a busy machine, a background tab's throttled timers) loses nothing.
 */
const SCHEDULE_AHEAD_SEC = 2.5
/** First sound this long after the data is there, so the start is never late. */
const START_LEAD_SEC = 0.05
/** Audio decoded past the start point before a track begins to sound. */
const START_BUFFER_SEC = 0.3
/**
 * A start's bytes are due this far ahead of their sound, until it has played
 * STARTUP_SEC (reportPlayhead): its START_BUFFER_SEC decodes at once, and its
 * first seconds are not left on a thin buffer.
 */
const START_BYTES_EARLY_SEC = 1
const STARTUP_SEC = 3
/** A track with less than this left to play has the entry after it held warm at once (keepWarm). */
const NEXT_SOON_SEC = 4
/**
 * Otherwise, not before the track has this much decoded ahead (or 80 % of
 * its buffer strategy's target, or of what its source fetches ahead, if less).
 */
const NEXT_AHEAD_SEC = 3
/**
 * A joiner decodes this much from the room's hinted position before its
 * start is placed (decodeExpected), from the bytes it prefetched there
 * (head-prefetch.ts), and the start takes it if it falls within it. Let go
 * after EXPECT_KEEP_MS.
 */
const EXPECT_SEC = 3
const EXPECT_KEEP_MS = 10_000
/** An output younger than this (context time) is followed at once (followFreshOutput). */
const FRESH_OUTPUT_SEC = 0.5
/**
 * A drift correction is heard from the first node starting this far past
 * the frame sounding now: its nodes are taken back and made again in one
 * go, which on a busy page outlasted a start only START_GUARD_FRAMES ahead.
 */
const CORRECTION_LEAD_SEC = 0.2
/** A stop (stopAt) at least this far ahead of the frame `currentTime` reads lands on its frame: a device callback is 2048-4096 frames. */
const STOP_GUARD_SEC = 0.05
const DRIFT_CHECK_MS = 250
/** How long after a start the drift corrector settles it at a finer tolerance, once (DriftOptions.settleFrames). */
const SETTLE_MS = 10_000
/** Decoding restarts this far past the frame sounding now: the time to fetch and decode. */
const RESTART_LEAD_SEC = 0.3
/** How often byte sources hear where the play head is (they plan fetches by it). */
const PLAYHEAD_REPORT_MS = 250
/**
 * How often the readouts (position, buffer, memory, delivery) change. Each
 * change re-lays out and repaints the page: at the 40 ms tick that was ~9 %
 * of a core per page while playing, time a joining page on the same machine
 * (or a slow laptop) wants for itself.
 */
const READOUT_MS = 250
/** Before a segment is placed, its first frame is expected to sound about this far ahead. */
const EXPECTED_START_MS = 500

export interface PlayerNotice {
  kind: Degradation
  message: string
}

/** About where a room is in a track: `positionSec` at `at` (performance.now()). */
export interface PositionHint {
  positionSec: number
  at: number
}

export class Player {
  status = $state<PlayerStatus>('idle')
  /**
   * Raw: tracks are never changed in place, and set every tick. As a deep
   * $state each set wrapped the same track in a new proxy, a change to
   * Svelte, and every panel reading it re-rendered 25 times a second.
   */
  nowPlaying = $state.raw<Track | null>(null)
  positionSec = $state(0)
  aheadSec = $state(0)
  targetSec = $state(0)
  contextRate = $state<number | null>(null)
  deviceRate = $state<number | null>(null)
  notices = $state<PlayerNotice[]>([])
  /** Why the last track boundary could not be gapless, if it could not. */
  boundaryNote = $state<string | null>(null)
  underruns = $state(0)
  heldPcmBytes = $state(0)
  peakPcmBytes = $state(0)
  /** Following a room: how far our schedule is from where it belongs (ms, + = late), and corrections made. */
  syncErrorMs = $state<number | null>(null)
  corrections = $state(0)
  /** The queue position sounding now (reactive, for the queue panel). */
  currentIndex = $state(0)
  /** Where the sounding track's bytes came from (peers, origin, cache), when its source tells. */
  delivery = $state<SwarmCounters | null>(null)

  /** Read on every decision, so a settings change applies at once. */
  strategy: () => BufferStrategy = () => 'balanced'
  syncToleranceMs: () => number = () => 1
  onDegrade: ((reason: Degradation) => void) | undefined
  /** Called with each new output before any sound: tests insert a capture tap here. */
  onOutput: ((out: AudioOutput) => Promise<void>) | undefined
  /** Where each track's bytes come from: the library origin unless a room's swarm says otherwise. */
  sourceFor: (track: Track) => ByteSource = (track) => new HttpByteSource(streamUrl(track.id))

  private output: AudioOutput | null = null
  private queue: Track[] = []
  private index = 0
  private segments: Segment[] = []
  private place: Placement | null = null
  private drift: DriftCorrector | null = null
  private lastDriftCheck = 0
  private readonly ledger = new PcmLedger()
  private readonly sliceWatchers = new Set<() => void>()
  private timer: ReturnType<typeof setInterval> | undefined
  /** A joiner's start, decoded ahead from the room's hinted position (decodeExpected). */
  private expectedSeg: Segment | null = null
  private switching = false
  private generation = 0
  private lastPlayheadReport = 0
  private lastReadout = 0
  /**
   * The next entry, opened and partly decoded ahead (see warm-start.ts); the
   * rest of its file waits behind what plays (PlaybackPoint.next). A cued
   * entry (nothing sounds) is what a start waits on: a room's cold Play waits
   * for every page to hold its opening. So its first WARM_SEC are due now,
   * not as if it were already playing, which fetched them at playback pace.
   * The entry after a sounding track has time: its bytes keep their pace.
   */
  private readonly warm = new WarmSlot<Segment>((e) =>
    this.segmentFor(e.track, e.index, e.fromFrame, this.cued?.index === e.index ? performance.now() - WARM_SEC * 1000 : undefined, true),
  )
  /**
   * What starts next while nothing sounds: what Play would start (`cue`), or
   * the entry being started while its output opens. Null while a track sounds:
   * then the entry after it is the one held warm.
   */
  private cued: (Cue & { prepared?: true }) | null = null
  /** The context frame a room's pause ends the sound at (stopAt): nothing is added past it. */
  private endingAt: number | null = null
  private outputOpening: { rate: number; done: Promise<void> } | null = null
  /** The output noteOutput last told about. */
  private outputNoted: AudioOutput | null = null
  /** A joiner's track, its source opened before the start that will take it (expect()). */
  private readonly expected = new ExpectedSource((track) => this.sourceFor(track))

  get queueTracks(): readonly Track[] {
    return this.queue
  }

  get audioOutput(): AudioOutput | null {
    return this.output
  }

  /**
   * Takes a new queue without interrupting the sound, when queue[index] is
   * the track already sounding (a hand-off re-expressed the timeline on a new
   * clock, or the queue changed around the current track). Tracks prefetched
   * after it that the new queue no longer follows with are dropped.
   */
  adopt(queue: Track[], index: number): boolean {
    const current = this.segments[0]
    if (!this.place || this.status === 'idle' || !current || current.track.id !== queue[index]?.id) return false
    this.queue = [...queue]
    this.index = index
    current.index = index
    for (let k = 1; k < this.segments.length; k++) {
      const seg = this.segments[k]!
      if (seg.track.id !== queue[index + k]?.id) {
        for (const dropped of this.segments.splice(k)) dropped.stop()
        break
      }
      seg.index = index + k
    }
    return true
  }

  /** The frame of queue entry `index` sounding now, or null when it does not sound. */
  frameSounding(index: number): number | null {
    const out = this.output
    const seg = this.segments.find((s) => s.index === index && s.startFrame !== null && s.scheduledEnd !== null)
    if (!out || !seg || this.status === 'idle') return null
    return frameAtOrAfter(out.ctx.currentTime, out.ctx.sampleRate) - seg.startFrame!
  }

  /** Where each queued track's frame 0 sits on the context timeline (for diagnostics and tests). */
  get timeline(): { index: number; startFrame: number | null }[] {
    return this.segments.map((s) => ({ index: s.index, startFrame: s.startFrame }))
  }

  /** Plays `tracks` from `index` as soon as the audio is there, replacing whatever played. */
  play(tracks: Track[], index = 0): Promise<void> {
    return this.start(tracks, index, null)
  }

  /**
   * Plays `tracks` from `index` where `place` says, keeping to it. `fromFrame`:
   * roughly where in that track the sound will begin (a mid-track join or a
   * resume), so decoding starts there instead of at the top.
   */
  follow(tracks: Track[], index: number, place: Placement, fromFrame = 0): Promise<void> {
    return this.start(tracks, index, place, fromFrame)
  }

  /**
   * A room's pause: the sound stops exactly where track frame `frame` of
   * entry `index` sounds, on every page alike, and `then` runs once it has
   * (the room cues the paused point). False when that moment has passed or
   * the entry is not placed: the caller stops at once instead.
   */
  stopAt(index: number, frame: number, then: () => void): boolean {
    const out = this.output
    const seg = this.segments.find((s) => s.index === index && s.startFrame !== null)
    if (!out || !seg || this.switching || this.status !== 'playing') return false
    const rate = out.ctx.sampleRate
    const end = seg.startFrame! + frame
    const rendered = frameAtOrAfter(out.ctx.currentTime, rate)
    // Past the device callback being rendered: a stop inside it lands at the next render quantum (up to 127 frames late).
    if (end <= rendered + Math.round(STOP_GUARD_SEC * rate)) return false
    this.endingAt = end
    for (const s of this.segments) s.endAt(out.ctx, end)
    const generation = this.generation
    // Once the context has rendered past it; whatever starts meanwhile (a new generation) wins.
    setTimeout(() => generation === this.generation && then(), ((end - rendered) / rate) * 1000 + TICK_MS)
    return true
  }

  async pause(): Promise<void> {
    if (this.status !== 'playing' || !this.output) return
    await this.output.ctx.suspend()
    this.status = 'paused'
  }

  async resume(): Promise<void> {
    if (this.status !== 'paused' || !this.output) return
    await this.output.ctx.resume()
    this.status = 'playing'
  }

  async next(): Promise<void> {
    if (this.index + 1 < this.queue.length) await this.play(this.queue, this.index + 1)
  }

  /**
   * While stopped (a room paused or waiting on a new entry): holds
   * queue[index] warm from `fromFrame`, what Play would start, so starting it
   * needs no fetch or decode. Ignored while something plays.
   */
  cue(tracks: Track[], index: number, fromFrame = 0): void {
    if (this.status !== 'idle') return
    this.queue = [...tracks]
    this.index = index
    this.cued = { index, fromFrame: Math.max(0, Math.floor(fromFrame)) }
    this.timer ??= setInterval(() => this.tick(), TICK_MS)
    this.tick()
    // The output opens now too: a context that has run a while maps its frames
    // to output time steadily, and a start then lands on its exact frame.
    const track = tracks[index]
    if (track) this.openOutputWhileIdle(track, () => this.cued !== null)
  }

  /**
   * A start of `track` from its top may be coming (a pointer rests on its
   * Play button, here or on the curator's page): while nothing sounds and
   * nothing else is cued, it is cued, so its opening is fetched and decoded
   * and the start finds it warm. A real cue (a paused room) is never replaced.
   */
  prepare(track: Track): void {
    if (this.status !== 'idle' || (this.cued && !this.cued.prepared)) return
    if (this.cued && this.queue[0]?.id === track.id) return
    this.cue([track], 0)
    // Cued by prepare(), not by a room's pause: another prepare() may replace it.
    this.cued!.prepared = true
  }

  /**
   * A joiner knows what plays (the curator's anchor) before where (that needs
   * a clock estimate, a few exchanges later): meanwhile the output opens at
   * the track's rate and its source reads the file's head, so the start that
   * follows fetches only the bytes at its position. Ignored while something plays.
   */
  expect(track: Track, hint?: PositionHint): void {
    const expecting = () => this.expected.holds(track) || this.expectedSeg?.track.id === track.id
    if (this.status !== 'idle' || expecting()) return
    performance.mark('aula:expect')
    this.expected.hold(track)
    this.openOutputWhileIdle(track, expecting)
    // Ticking from now on, the output's clock has its readings (OutputClock
    // wants three) before the start needs them. Sampled only from the start's
    // first tick, a joiner placed its start 41-81 ms (median 45) after taking
    // its expected audio, its clock estimate already good; 2-60 ms (median
    // 30) ticking from here (2 pages, joiners without the test's capture tap,
    // 5 and 9 joins).
    this.timer ??= setInterval(() => this.tick(), TICK_MS)
    if (hint) this.decodeExpected(track, hint)
  }

  /**
   * …and knowing about where the room is (the server's hint), decodes from
   * there meanwhile: the start, placed a little past where the sound is once
   * the clock estimate is good, takes this segment (takeExpected) when it
   * falls within EXPECT_SEC of its first frame. Its first node then followed
   * the placement within ~50 ms, where a fresh segment took 100-470 ms to
   * read and decode its opening (bench/sync's mid-track joiner).
   */
  private decodeExpected(track: Track, hint: PositionHint): void {
    this.dropExpected()
    const sec = hint.positionSec + (performance.now() - hint.at) / 1000
    const seg = this.segmentFor(track, -1, Math.max(0, Math.floor(sec * track.sampleRate)), performance.now() + EXPECTED_START_MS)
    this.expectedSeg = seg
    this.feedExpected() // and again on each tick, as each slice comes (pull)
    setTimeout(() => this.expectedSeg === seg && this.dropExpected(), EXPECT_KEEP_MS)
  }

  /** One more slice into the expected segment, until it holds EXPECT_SEC (a broken one is left for a start to pass over). */
  private feedExpected(): void {
    const seg = this.expectedSeg
    if (!seg || seg.error || seg.pulling || warmEnough(seg.stream.startFrame, seg.stream.framesDecoded, seg.stream.ended, seg.track.sampleRate, EXPECT_SEC)) return
    this.pull(seg)
  }

  /** The segment decoded ahead from the room's hint (decodeExpected), if it serves a start of `track` at `fromFrame`. */
  private takeExpected(track: Track, index: number, fromFrame: number, atMs: number): Segment | null {
    const seg = this.expectedSeg
    const lead = seg ? fromFrame - seg.stream.startFrame : -1
    if (!seg || seg.track.id !== track.id || seg.error || lead < 0 || lead > EXPECT_SEC * track.sampleRate) return null
    this.expectedSeg = null
    performance.mark('aula:expected-taken', { detail: { leadMs: Math.round((lead / track.sampleRate) * 1000) } })
    seg.index = index
    seg.stream.source.setPlayback?.({ positionSec: fromFrame / track.sampleRate, atMs, playing: true })
    return seg
  }

  private dropExpected(): void {
    this.expectedSeg?.stop()
    this.expectedSeg = null
  }

  /** Opens the output for `track` ahead of its start, unless something starts (or it is no longer wanted) first. */
  private openOutputWhileIdle(track: Track, wanted: () => boolean): void {
    void outputDeviceRate()
      .then((rate) => {
        this.deviceRate = rate
        return this.status === 'idle' && wanted() ? this.ensureOutput(track.sampleRate) : undefined
      })
      .catch(() => {})
  }

  /**
   * Calls `fn` after each slice decodes, when what isWarm() says may have
   * changed (a room waiting for this page to hold a cue). Returns the unsubscribe.
   */
  onSlice(fn: () => void): () => void {
    this.sliceWatchers.add(fn)
    return () => this.sliceWatchers.delete(fn)
  }

  /** Whether starting `track` at `fromFrame` now would begin on audio already decoded (held warm). */
  isWarm(track: Track, fromFrame = 0): boolean {
    // A gapless successor already decoding, not yet handed to Web Audio, serves as well (see start()).
    const held = [this.warm.segment, ...this.segments.filter((s) => s.untouched)]
    return held.some((seg) => !!seg && segmentServes(seg, track, fromFrame) && warmEnough(seg.stream.startFrame, seg.stream.framesDecoded, seg.stream.ended, track.sampleRate))
  }

  /** Silence, keeping the output open for what comes next. */
  stop(): void {
    this.silence()
    this.warm.drop()
  }

  /**
   * Silence, then `cue`. What is held warm stays when it serves the cue: a
   * room's cold Play cues its track on every page, often one a hint already
   * prepared (TrackList), and dropping it fetched and decoded the opening
   * again, 100-200 ms later (bench/sync).
   */
  stopAndCue(tracks: Track[], index: number, fromFrame = 0): void {
    this.silence()
    this.cue(tracks, index, fromFrame)
  }

  private silence(): void {
    this.generation++
    this.stopAll()
    this.cued = null
    this.expected.drop()
    this.dropExpected()
  }

  /** Idempotent: stops sound, closes the context, frees every buffer. */
  destroy(): void {
    this.stop()
    clearInterval(this.timer)
    this.timer = undefined
    void this.output?.ctx.close().catch(() => {})
    this.output = null
  }

  private async start(tracks: Track[], index: number, place: Placement | null, fromFrame = 0): Promise<void> {
    const generation = ++this.generation
    const first = tracks[index]
    const from = Math.max(0, Math.floor(fromFrame))
    // A gapless successor already decoding, not yet handed to Web Audio, is as good as warm.
    const unplayed = first && this.segments.find((s) => s.untouched && segmentServes(s, first, from))
    if (unplayed) {
      this.segments.splice(this.segments.indexOf(unplayed), 1)
      this.warm.hold(unplayed)
    }
    this.stopAll()
    this.queue = [...tracks]
    this.index = index
    this.place = place
    this.cued = first ? { index, fromFrame: from } : null
    if (!first) return
    this.status = 'loading'
    // The output open at this rate already (a Next, a resume, a warm Play):
    // nothing is awaited before the start is placed. Each await let the
    // page's re-render for the new status run first, 10-80 ms of a busy
    // listener's 150 ms lead (bench/sync's Next), and it sounded late.
    if (!this.outputReadyFor(first.sampleRate)) {
      this.deviceRate = await outputDeviceRate()
      await this.ensureOutput(first.sampleRate)
      if (generation !== this.generation) return // superseded while the output opened
    }
    this.noteOutput(first.sampleRate)
    this.cued = null
    // Its bytes are due START_BYTES_EARLY_SEC early from the outset, as once
    // placed (reportPlayhead): a joiner's start waits for its clock estimate
    // (up to 300 ms), and by then the sound has moved on past what it held
    // decoded; fetched at playback pace, its first node came 160-270 ms after
    // placing (bench/sync).
    const atMs = performance.now() + EXPECTED_START_MS - START_BYTES_EARLY_SEC * 1000
    const seg = this.takeWarm(first, index, from, atMs) ?? this.takeExpected(first, index, from, atMs) ?? this.segmentFor(first, index, from, atMs)
    this.dropExpected() // not taken: the room was elsewhere
    // A warm stream may hold frames before `from` (it covers starts a little after its own).
    seg.firstFrame = Math.max(seg.stream.startFrame, Math.floor(from))
    this.segments = [seg]
    this.timer ??= setInterval(() => this.tick(), TICK_MS)
    this.tick()
  }

  private stopAll(): void {
    this.endingAt = null
    for (const s of this.segments) s.stop()
    this.segments = []
    this.status = 'idle'
    this.nowPlaying = null
    this.boundaryNote = null
    this.syncErrorMs = null
    this.drift = null
  }

  /**
   * `atMs`: when its first frame is expected to sound (performance.now() time),
   * for the source's fetch plan. `warm`: held for what plays next (PlaybackPoint.next).
   */
  private segmentFor(track: Track, index: number, fromFrame = 0, atMs = performance.now() + EXPECTED_START_MS, warm = false): Segment {
    const startFrame = Math.max(0, Math.min(Math.floor(fromFrame), trackFrames(track) - 1))
    const source = this.expected.take(track) ?? this.sourceFor(track)
    source.setPlayback?.({ positionSec: startFrame / track.sampleRate, atMs, playing: true, next: warm })
    return new Segment(new TrackStream(track, source, { startFrame }), this.ledger, index)
  }

  /** The warm segment, if it serves this start; its source hears the new expected start. */
  private takeWarm(track: Track, index: number, fromFrame: number, atMs: number): Segment | null {
    const seg = this.warm.take(track, index, fromFrame)
    if (!seg) return null
    performance.mark('aula:warm')
    seg.stream.source.setPlayback?.({ positionSec: seg.stream.startFrame / track.sampleRate, atMs, playing: true })
    return seg
  }

  /**
   * Keeps the entry that plays next warm. It is opened once the track
   * before it has sounded STARTUP_SEC here with NEXT_AHEAD_SEC decoded ahead
   * (at once when that track ends within NEXT_SOON_SEC), then kept and
   * filled. Filled, its source hears that nothing more is due until it
   * starts. From STARTUP_SEC on it is filled deeper (heldSec), and its
   * source hears it is due again.
   */
  private keepWarm(rendered: number | null = null): void {
    const sounding = this.status === 'idle' ? null : (this.segments[0]?.index ?? null)
    const current = this.segments[0]
    const rate = this.output?.ctx.sampleRate
    // Seconds of `current` heard here so far, and left to play.
    const isSounding = rendered !== null && !!rate && current?.startFrame != null && current.soundedFrom !== null
    const heard = isSounding ? (rendered - current.soundedFrom!) / rate : null
    const left = isSounding ? current.track.durationSec - (rendered - current.startFrame!) / rate : null
    const underWay = heard !== null && heard >= STARTUP_SEC
    // A start's own bytes come first: the entry after it is taken up once it
    // is under way with seconds decoded ahead, or at once when it ends soon
    // (a gapless successor must be in hand), and then kept. A mid-track
    // joiner asked for 0.6 MB of the next track as it first sounded, while
    // its own bytes were thinnest: 15 underruns in its next 2.7 s (a probe of
    // bench/sync's room). Taken up at 3 s heard, with ~1 s decoded ahead, it
    // still ran dry 5-19 times in 3 of 7 sync.test runs.
    // "Seconds decoded ahead" is at most what the source fetches ahead: a
    // page alone in its room gets its bytes half a second before they are
    // due, so asked for 3 s, it never took up the next entry until the end
    // drew near, and a Next before then started cold (next-slow-bytes).
    const endsSoon = left !== null && left < NEXT_SOON_SEC
    const aheadSec = current?.decodedUntil != null && rendered !== null && !!rate ? (current.decodedUntil - rendered) / rate : 0
    const targetSec = current ? decodeAheadFrames(this.strategy(), current.track.sampleRate, current.track.channels) / current.track.sampleRate : 0
    const sourceSec = current?.stream.source.aheadGoalSec?.() ?? Infinity
    const inHand = !!current && (current.stream.ended || aheadSec >= Math.min(NEXT_AHEAD_SEC, 0.8 * targetSec, 0.8 * sourceSec))
    const want = warmEntry(this.queue, sounding, this.cued, (i) => this.segments.some((s) => s.index === i))
    const held = want !== null && this.warm.segment?.index === want.index
    const waitForStart = sounding !== null && this.cued === null && !held && !endsSoon && !(underWay && inHand)
    this.warm.keep(waitForStart ? null : want)
    // Deeper only once what sounds is past its own start: sooner, it competes with that start.
    const more = this.warm.deepen(underWay)
    if (more) more.stream.source.setPlayback?.({ positionSec: more.stream.startFrame / more.track.sampleRate, atMs: performance.now() + EXPECTED_START_MS, playing: true, next: true })
    const filled = this.warm.filledOnce()
    if (filled) filled.stream.source.setPlayback?.({ positionSec: filled.stream.startFrame / filled.track.sampleRate, atMs: performance.now(), playing: false })
    const seg = this.warm.segment
    if (seg && this.warm.hungry && (!current || current.scheduledEnd !== null)) this.pull(seg)
  }

  /** Tells each placed segment's source which second of its file sounds now. */
  private reportPlayhead(out: AudioOutput, rendered: number): void {
    const t = performance.now()
    if (t - this.lastPlayheadReport < PLAYHEAD_REPORT_MS) return
    this.lastPlayheadReport = t
    const rate = out.ctx.sampleRate
    const playing = out.ctx.state === 'running'
    for (const seg of this.segments) {
      if (seg.startFrame === null) continue
      // Placed but not sounding yet (a join, a seek): it begins only with
      // START_BUFFER_SEC decoded past now, so its bytes are due well before
      // they sound. A swarm source hands out bytes as they fall due: told
      // only START_BUFFER_SEC early, a joiner's decoding crept along at the
      // pace of playback and its start waited ~300 ms more (bench/sync).
      // Its first seconds too: what it holds decoded is thinnest then.
      const positionSec = (rendered - seg.startFrame) / rate
      const starting = seg === this.segments[0] && (seg.scheduledEnd === null || positionSec - seg.stream.startFrame / rate < STARTUP_SEC)
      seg.stream.source.setPlayback?.({ positionSec: positionSec + (starting ? START_BYTES_EARLY_SEC : 0), atMs: t, playing })
    }
  }

  /** The output is open at `rate`, its device's rate known, and no other is opening: a start needs no await. */
  private outputReadyFor(rate: number): boolean {
    return this.deviceRate !== null && this.outputOpening === null && this.outputOpenAt(rate)
  }

  /** An output is open at `rate` and the browser did not refuse it. */
  private outputOpenAt(rate: number): boolean {
    return this.output !== null && this.output.ctx.sampleRate === rate && !this.output.refused
  }

  /** One output opening at a time: a cue and the start that follows it share it. */
  private ensureOutput(rate: number): Promise<void> {
    const pending = this.outputOpening
    if (pending?.rate === rate) return pending.done
    const done = (pending?.done.catch(() => {}) ?? Promise.resolve()).then(() => this.openOutputAt(rate))
    const entry = { rate, done }
    this.outputOpening = entry
    void done.finally(() => {
      if (this.outputOpening === entry) this.outputOpening = null
    }).catch(() => {})
    return done
  }

  private async openOutputAt(rate: number): Promise<void> {
    if (this.outputOpenAt(rate)) return
    void this.output?.ctx.close().catch(() => {})
    this.output = null
    const out = openOutput(rate)
    performance.mark('aula:output')
    await this.onOutput?.(out)
    this.output = out
    this.contextRate = out.ctx.sampleRate
  }

  /**
   * What the output does to `rate`, told once per output when a track starts
   * on it, not when a hint or a cue opens it ahead: a notice shown on the
   * curator's press (TrackList's prepare) moved the track list down under
   * the pointer, and the release then landed on another row: no click, and
   * nothing played.
   */
  private noteOutput(rate: number): void {
    const out = this.output
    if (!out || out === this.outputNoted) return
    this.outputNoted = out
    if (out.refused) {
      this.notice('rate_refused', `The browser would not run at ${rate} Hz; it resamples to ${out.ctx.sampleRate} Hz, so this track is not bit-perfect.`)
    } else if (this.deviceRate !== null && this.deviceRate < rate) {
      this.notice('device_rate_below', `Your output device runs at ${this.deviceRate} Hz, below this track's ${rate} Hz: the browser's mixer resamples it on the way out.`)
    }
  }

  private tick(): void {
    this.feedExpected()
    const out = this.output
    if (!out || this.switching) {
      this.keepWarm()
      return
    }
    out.clock.sample()
    const rate = out.ctx.sampleRate
    const rendered = frameAtOrAfter(out.ctx.currentTime, rate)
    const now = rendered + START_GUARD_FRAMES
    const horizon = now + Math.round(SCHEDULE_AHEAD_SEC * rate)

    for (const seg of this.segments) {
      if (seg.startFrame === null) {
        this.placeSegment(seg, out, now)
        // Its source hears when it starts now (a warm one was told "not yet"), not at the next report.
        if (seg.startFrame !== null) this.lastPlayheadReport = 0
      } else if (this.place && seg === this.segments[0] && seg.scheduledEnd === null) {
        // Placed, not sounding yet (waiting for its opening to decode): it follows
        // the estimate for free, where once sounding a change costs a correction
        // (and one under syncTolerance is never made).
        const ideal = this.place.frameOf(seg.index, out)
        if (ideal !== null && Number.isFinite(ideal)) seg.startFrame = Math.round(ideal)
      } else if (this.place && seg === this.segments[0] && out.ctx.currentTime < FRESH_OUTPUT_SEC && this.endingAt === null) {
        this.followFreshOutput(seg, this.place, out, now)
      }
      const first = seg.scheduledEnd === null
      // A track starts sounding only with some audio in hand: starting on a
      // sliver and running dry a moment later is a stutter; starting a
      // little later (its first frames cut, in step) is not.
      if (first && !this.readyToStart(seg, now, rate)) {
        this.feed(seg, now)
        continue
      }
      const r = seg.schedule(out.ctx, out.master, now, horizon)
      if (first && seg.scheduledEnd !== null) {
        performance.mark('aula:first-node')
        seg.stream.source.sounding?.()
      }
      if (r.late > 0) this.underrun(r.late, seg)
      this.feed(seg, now)
    }
    this.keepInStep(out)
    this.prefetchNext(out, rendered)
    this.reportPlayhead(out, rendered)
    this.retireFinished(rendered)
    this.keepWarm(rendered)
    this.publish(rendered)
  }

  /**
   * A new output's mapping (getOutputTimestamp) can shift by a device buffer
   * in its first callbacks on a busy page: listeners placed the track after a
   * rate change 4096 frames (21 ms at 192 kHz) off, then took three capped
   * corrections (~1.5 s) to mend it. Its first moments are followed at once,
   * in one step from the next node on, as before sounding.
   */
  private followFreshOutput(seg: Segment, place: Placement, out: AudioOutput, now: number): void {
    const ideal = place.frameOf(seg.index, out)
    if (ideal === null || !Number.isFinite(ideal) || seg.startFrame === null) return
    const delta = Math.round(ideal) - seg.startFrame
    const rate = out.ctx.sampleRate
    // Not a young clock estimate's noise, though (see Placement.uncertaintyMs).
    if (Math.abs(delta) <= Math.max(toleranceFrames(this.syncToleranceMs(), rate), (place.uncertaintyMs() * rate) / 1000)) return
    this.corrections = this.corrections + 1
    this.shiftTimeline(delta, now)
  }

  /** Moves every placed segment by `delta` frames; what is not sounding by `now` is taken back, to be placed anew. */
  private shiftTimeline(delta: number, now: number): void {
    for (const s of this.segments) {
      if (s.startFrame === null) continue
      s.startFrame += delta
      s.withdrawFrom(now)
    }
  }

  private readyToStart(seg: Segment, now: number, rate: number): boolean {
    if (seg.startFrame === null || seg.decodedUntil === null) return false
    if (seg.stream.ended || seg.error) return true
    // A successor placed right after the track before it is gapless: it must not wait.
    if (this.segments[0] !== seg) return true
    return seg.decodedUntil >= Math.max(now, seg.startFrame) + START_BUFFER_SEC * rate
  }

  private placeSegment(seg: Segment, out: AudioOutput, now: number): void {
    if (this.place) {
      const ideal = this.place.frameOf(seg.index, out)
      if (ideal !== null && Number.isFinite(ideal)) {
        seg.startFrame = Math.round(ideal)
        performance.mark('aula:placed')
      }
    } else if (seg.pending.length > 0 && (seg.stream.ended || seg.stream.framesDecoded >= START_BUFFER_SEC * out.ctx.sampleRate)) {
      // Playing alone: start once a little audio is in hand, from its first frame.
      seg.startFrame = now + Math.round(START_LEAD_SEC * out.ctx.sampleRate)
    }
  }

  /** Following: compare where we are with where we belong; correct by whole frames. */
  private keepInStep(out: AudioOutput): void {
    const seg = this.segments[0]
    // A stop is due on a context frame (stopAt) that was its track frame: a
    // correction now would move the sound's last frame by its size, and the
    // resume, placed on the paused frame, would skip or repeat that many.
    if (!this.place || !seg || seg.startFrame === null || this.endingAt !== null) return
    const t = performance.now()
    if (t - this.lastDriftCheck < DRIFT_CHECK_MS) return
    this.lastDriftCheck = t
    const ideal = this.place.frameOf(seg.index, out)
    if (ideal === null || !Number.isFinite(ideal)) return
    const rate = out.ctx.sampleRate
    // + : we are late (the track frame sounding now is behind the ideal one).
    const errorFrames = seg.startFrame - ideal
    this.syncErrorMs = (errorFrames / rate) * 1000
    if (!this.drift) {
      const tolerance = toleranceFrames(this.syncToleranceMs(), rate)
      // A new start (a join, a seek, Play) settles once at half the tolerance in its first seconds (see DriftOptions).
      this.drift = new DriftCorrector({ sampleRate: rate, toleranceFrames: tolerance, settleFrames: tolerance / 2, settleChecks: SETTLE_MS / DRIFT_CHECK_MS })
    }
    const c = this.drift.correction(errorFrames, (this.place.uncertaintyMs() * rate) / 1000)
    if (c.kind === 'none') return
    this.corrections = this.corrections + 1
    if (c.kind === 'resync') {
      // Too far off to mend frame by frame: start again at the right frame.
      const sounding = frameAtOrAfter(out.ctx.currentTime, rate) - ideal
      void this.start(this.queue, seg.index, this.place, sounding + RESTART_LEAD_SEC * rate)
      return
    }
    const delta = c.kind === 'drop' ? -c.frames : c.frames
    // Heard from a node a moment ahead, not after the SCHEDULE_AHEAD_SEC
    // already handed to Web Audio: what starts from there is taken back and placed anew.
    const now = frameAtOrAfter(out.ctx.currentTime, rate) + START_GUARD_FRAMES
    const horizon = now + Math.round(SCHEDULE_AHEAD_SEC * rate)
    this.shiftTimeline(delta, now + Math.round(CORRECTION_LEAD_SEC * rate))
    for (const s of this.segments) {
      if (s.scheduledEnd === null) continue
      const r = s.schedule(out.ctx, out.master, now, horizon)
      if (r.late > 0) this.underrun(r.late, s)
    }
  }

  /** Keeps decoding while the decoded-ahead window is under its target. */
  private feed(seg: Segment, now: number): void {
    if (seg.pulling || seg.stream.ended || seg.error) return
    const fmt = seg.track
    const target = decodeAheadFrames(this.strategy(), fmt.sampleRate, fmt.channels)
    // Not placed yet (no clock estimate): decode a window's worth and wait.
    const ahead = seg.decodedUntil === null ? seg.stream.framesDecoded : seg.decodedUntil - now
    if (ahead >= target) return
    // Only the earliest unfinished segment decodes: the next track waits its turn.
    if (this.segments.find((s) => !s.stream.ended && !s.error) !== seg) return
    this.pull(seg)
  }

  /**
   * One slice decoded into `seg`. A warm segment's failure stays quiet: it is
   * never started; a fresh stream reports the error if that entry is played.
   */
  private pull(seg: Segment): void {
    seg.pulling = true
    seg.stream.pull().then(
      (chunks) => {
        seg.pulling = false
        if (chunks && chunks.length > 0 && !firstDecoded.has(seg)) {
          firstDecoded.add(seg)
          performance.mark('aula:decoded')
        }
        if (chunks) seg.accept(chunks)
        if (seg.stream.truncatedNote && this.segments.includes(seg)) this.notice('integrity', seg.stream.truncatedNote)
        this.tick()
        for (const fn of [...this.sliceWatchers]) fn()
      },
      (err: Error) => {
        seg.pulling = false
        seg.error = err
        if (!this.segments.includes(seg)) return
        this.notice('integrity', err.message)
        this.skipBroken(seg)
      },
    )
  }

  /** Gapless: the next track of the same rate starts on the frame after the last (from the warm segment when it holds it). */
  private prefetchNext(out: AudioOutput, rendered: number): void {
    const last = this.segments[this.segments.length - 1]
    if (!last || last.endFrame === null || this.endingAt !== null) return
    const nextIndex = last.index + 1
    const next = this.queue[nextIndex]
    if (!next || next.sampleRate !== out.ctx.sampleRate || out.refused) return
    const dueMs = performance.now() + ((last.endFrame - rendered) / out.ctx.sampleRate) * 1000
    const seg = this.takeWarm(next, nextIndex, 0, dueMs) ?? this.segmentFor(next, nextIndex, 0, dueMs)
    seg.startFrame = last.endFrame
    this.segments.push(seg)
  }

  private retireFinished(now: number): void {
    while (this.segments.length > 0) {
      const first = this.segments[0]!
      const end = first.endFrame
      if (end === null || now < end) break
      first.stop()
      this.segments.shift()
      this.index = first.index + 1
      this.drift = null
      if (this.segments.length === 0) this.startAfterBoundary()
    }
  }

  /** The queue goes on after a track of another rate: a new context, so not gapless. */
  private startAfterBoundary(): void {
    const next = this.queue[this.index]
    if (!next) {
      this.status = 'idle'
      this.nowPlaying = null
      return
    }
    if (next.sampleRate !== this.output?.ctx.sampleRate) {
      this.boundaryNote = `The next track runs at ${next.sampleRate / 1000} kHz: the output was reopened at that rate, which cannot be gapless.`
    }
    const generation = this.generation
    const index = this.index
    this.switching = true
    this.status = 'loading'
    this.cued = { index, fromFrame: 0 } // the warm segment for it stays held while the output opens
    void this.ensureOutput(next.sampleRate).finally(() => {
      this.switching = false
      if (generation !== this.generation) return
      this.noteOutput(next.sampleRate)
      this.cued = null
      this.segments = [this.takeWarm(next, index, 0, performance.now() + EXPECTED_START_MS) ?? this.segmentFor(next, index)]
      this.tick()
    })
  }

  private skipBroken(seg: Segment): void {
    const i = this.segments.indexOf(seg)
    if (i < 0) return
    // What was decoded and checked stays; the broken rest is dropped and the
    // queue moves on from where the sound stops.
    for (const later of this.segments.splice(i + 1)) later.stop()
    seg.pending.splice(0)
    if (seg.startFrame === null || seg.scheduledEnd === null) {
      this.segments.splice(i, 1)
      seg.stop()
      if (this.segments.length === 0) {
        this.index = seg.index + 1
        this.startAfterBoundary()
      }
      return
    }
    seg.stream.ended = true
  }

  private underrun(framesCut: number, seg: Segment): void {
    this.underruns++
    const ms = (framesCut / (this.output?.ctx.sampleRate ?? 1)) * 1000
    // What ran dry, for bench/sync: how much was cut, how the last slice's time went (bytes, decoder), where the bytes came from.
    performance.mark('aula:underrun', { detail: { ms: Math.round(ms), slice: seg.stream.lastSlice, source: seg.stream.source.counters?.() ?? null } })
    this.notice('underrun', `Playback ran dry: ${ms.toFixed(0)} ms of audio arrived too late and was skipped.`)
  }

  private notice(kind: Degradation, message: string): void {
    this.notices = [...this.notices.slice(-4), { kind, message }]
    this.onDegrade?.(kind)
  }

  private publish(now: number): void {
    const out = this.output
    if (!out) return
    const rate = out.ctx.sampleRate
    const current = this.segments.find((s) => s.startFrame !== null && (s.endFrame === null || now < s.endFrame)) ?? this.segments[0]
    const moved = (current?.track ?? null) !== this.nowPlaying
    this.nowPlaying = current?.track ?? null
    if (current) this.currentIndex = current.index
    if (current?.startFrame != null && this.status === 'loading' && current.scheduledEnd !== null && now >= current.startFrame) this.status = 'playing'
    const t = performance.now()
    if (!moved && t - this.lastReadout < READOUT_MS) return
    this.lastReadout = t
    // Kept after the track ends: where the last one came from stays readable.
    if (current) {
      const d = current.stream.source.counters?.() ?? null
      if (!sameCounters(d, this.delivery)) this.delivery = d
    }
    if (current?.startFrame != null) this.positionSec = Math.max(0, (now - current.startFrame) / rate)
    const last = this.segments.findLast((s) => s.decodedUntil !== null)
    this.aheadSec = last?.decodedUntil != null ? Math.max(0, (last.decodedUntil - now) / rate) : 0
    if (current) this.targetSec = decodeAheadFrames(this.strategy(), current.track.sampleRate, current.track.channels) / current.track.sampleRate
    this.heldPcmBytes = this.ledger.held
    this.peakPcmBytes = this.ledger.peak
  }
}

/** A fresh counters object every readout would re-render the delivery line each time, changed or not. */
function sameCounters(a: SwarmCounters | null, b: SwarmCounters | null): boolean {
  if (a === null || b === null) return a === b
  return (Object.keys(a) as (keyof SwarmCounters)[]).every((k) => a[k] === b[k])
}
