/**
 * One track placed on the context's timeline: its frame 0 plays at context
 * frame `startFrame`. Decoded chunks wait in `pending` until they are within
 * the schedule horizon, then become AudioBufferSourceNodes started on exact
 * frames, back to back, so consecutive buffers (and tracks) join with no
 * missing or extra sample.
 */
import type { PcmChunk } from '../../../../protocol/index.ts'
import { exactLead, exactWhen, frameAtOrAfter, START_GUARD_FRAMES } from './frame-time.ts'
import type { PcmLedger } from './buffer-budget.ts'
import type { TrackStream } from './track-stream.ts'

/** Nodes of about this many frames: few enough nodes, small enough windows. */
const NODE_FRAMES = 16384
/** A drift correction repeats at most this many frames at once (the corrector steps in ≤ 10 ms). */
const MAX_REPEAT_FRAMES = 8192

export interface ScheduleResult {
  /** Frames cut because they arrived after their time, once sound had begun: an underrun. */
  late: number
  /** Frames dropped because the timeline moved earlier. */
  dropped: number
  /** Frames played twice because the timeline moved later. */
  repeated: number
}

export class Segment {
  startFrame: number | null = null
  /**
   * The track frame its sound begins at. A stream opened mid-track decodes
   * from a FLAC block boundary at or before it (up to 4096 frames earlier):
   * played, those frames sounded before the anchor's time, and after a pause
   * repeated what was heard just before it.
   */
  firstFrame: number
  readonly pending: PcmChunk[] = []
  /** Track frames already handed to Web Audio. */
  scheduledFrames = 0
  /** Context frame just after the last node handed to Web Audio; null before the first. */
  scheduledEnd: number | null = null
  /** Context frame its first node began sounding at; null before it. */
  soundedFrom: number | null = null
  pulling = false
  error: Error | null = null
  /** Context frame its sound ends at (endAt), or null: until the track's end. */
  private end: number | null = null
  /** Nodes handed to Web Audio: where their audio begins (context frame), their zero lead, and its track frame (null: repeated frames). */
  private readonly nodes = new Map<AudioBufferSourceNode, { at: number; lead: number; trackFrame: number | null }>()

  constructor(
    readonly stream: TrackStream,
    private readonly ledger: PcmLedger,
    /** Position in the player's queue (renumbered when the queue changes around it). */
    public index: number,
  ) {
    this.firstFrame = stream.startFrame
  }

  get track() {
    return this.stream.track
  }

  /** Context frame just after the last frame of the track, once fully decoded. */
  get endFrame(): number | null {
    return this.startFrame !== null && this.stream.ended ? this.startFrame + this.stream.framesDecoded : null
  }

  /**
   * Nothing handed to Web Audio nor cut yet: every decoded frame is still in
   * `pending`, so the segment can be placed anew (a warm start).
   */
  get untouched(): boolean {
    return this.scheduledEnd === null && this.scheduledFrames === 0 && this.nodes.size === 0
  }

  get decodedUntil(): number | null {
    return this.startFrame === null ? null : this.startFrame + this.stream.framesDecoded
  }

  accept(chunks: PcmChunk[]): void {
    for (const c of chunks) {
      if (c.frames === 0) continue
      this.pending.push(c)
      this.ledger.add(c.frames * c.channels.length * 4)
    }
  }

  /**
   * Schedules pending audio that starts before `horizon` (a context frame).
   * Nodes never start before `now` nor before the end of the previous node:
   * audio too late is cut, not played late (it would overlap what follows).
   * When the timeline moved later (a drift correction), the gap is filled by
   * repeating the next frames; when it moved earlier, frames are dropped.
   */
  schedule(ctx: AudioContext, dest: AudioNode, now: number, horizon: number): ScheduleResult {
    const result: ScheduleResult = { late: 0, dropped: 0, repeated: 0 }
    if (this.startFrame === null) return result
    if (this.end !== null) horizon = Math.min(horizon, this.end)
    while (this.pending.length > 0 && this.startFrame + this.pending[0]!.startFrame < horizon) {
      const group = this.takeGroup()
      const first = group[0]!
      // Nothing past the end (endAt): a group across it is cut there.
      const whole = group.reduce((n, c) => n + c.frames, 0)
      const frames = this.end === null ? whole : Math.min(whole, this.end - (this.startFrame + first.startFrame))
      const channels = first.channels.length
      const at = this.startFrame + first.startFrame
      const end = this.scheduledEnd
      const lateBy = Math.max(0, now - at)
      const overlap = end === null ? 0 : Math.max(0, end - at)
      const before = Math.max(0, this.firstFrame - first.startFrame)
      const skip = Math.min(frames, Math.max(lateBy, overlap, before))
      // Cutting before the first sound is how a mid-track join starts; only
      // a cut after sound has begun is a hole someone hears.
      if (end !== null) result.late += Math.max(0, Math.min(frames, lateBy) - overlap)
      result.dropped += Math.min(frames, overlap)
      this.scheduledFrames = first.startFrame + frames
      if (skip === frames) {
        this.ledger.release(whole * channels * 4)
        continue
      }
      if (end !== null && at > end && end >= now && at - end <= MAX_REPEAT_FRAMES) {
        result.repeated += at - end
        this.play(ctx, dest, repeatFrames(ctx, group, at - end), end, null)
      }
      // Starting mid-buffer by offset can land off a frame; a buffer that
      // begins exactly at the wanted frame cannot.
      const buffer = ctx.createBuffer(channels, frames - skip, ctx.sampleRate)
      copyGroup(group, buffer, skip)
      this.ledger.release(whole * channels * 4)
      const cut = this.play(ctx, dest, buffer, at + skip, first.startFrame + skip)
      if (end !== null) result.late += cut
    }
    return result
  }

  /**
   * Takes back the nodes that would start at or after context frame `from`
   * (not yet sounding), their audio pending again, so a timeline that moved
   * (a drift correction) is heard from the next node on instead of after
   * everything already scheduled (up to SCHEDULE_AHEAD_SEC). The next
   * schedule() places it anew, dropping or repeating at the boundary.
   */
  withdrawFrom(from: number): void {
    const back: PcmChunk[] = []
    let boundary: number | null = null
    for (const [node, n] of this.nodes) {
      if (n.at - n.lead < from) continue
      node.onended = null
      node.stop()
      node.disconnect()
      this.nodes.delete(node)
      const buffer = node.buffer!
      this.ledger.release(buffer.length * buffer.numberOfChannels * 4)
      boundary = boundary === null ? n.at : Math.min(boundary, n.at)
      if (n.trackFrame === null) continue // repeated frames: the new placement decides afresh
      const channels = Array.from({ length: buffer.numberOfChannels }, (_, ch) => buffer.getChannelData(ch).slice(n.lead))
      back.push({ startFrame: n.trackFrame, frames: buffer.length - n.lead, channels })
    }
    if (boundary === null) return
    back.sort((a, b) => a.startFrame - b.startFrame)
    for (const c of back) this.ledger.add(c.frames * c.channels.length * 4)
    this.pending.unshift(...back)
    // What still plays ends where the first withdrawn node began.
    this.scheduledEnd = boundary
    if (back.length > 0) this.scheduledFrames = back[0]!.startFrame
  }

  /**
   * Its sound ends exactly at context frame `end` (a room's pause, on every
   * page alike): what would start there or later is taken back and never
   * scheduled, and a node playing across it stops on that frame.
   */
  endAt(ctx: AudioContext, end: number): void {
    this.end = end
    this.withdrawFrom(end)
    for (const [node, n] of this.nodes) if (n.at - n.lead < end) node.stop(exactWhen(end, ctx.sampleRate))
  }

  /**
   * Starts `audio` on context frame `frame`, or the part of it still ahead:
   * returns how many of its first frames were cut because their time had
   * passed. A node started late sounds whole, at once: a silence as long as
   * it was late, then that much of it over the next node (a page busy for
   * 12 ms between reading the clock and here, redoing a drift correction's
   * nodes: 12.5 ms of silence and 1199 frames played over others, in
   * handoff-choice).
   */
  private play(ctx: AudioContext, dest: AudioNode, audio: AudioBuffer, frame: number, trackFrame: number | null): number {
    const rate = ctx.sampleRate
    const floor = frameAtOrAfter(ctx.currentTime, rate) + START_GUARD_FRAMES
    let cut = Math.max(0, floor - frame)
    while (cut < audio.length && frame + cut - exactLead(frame + cut, rate) < floor) cut++
    if (cut >= audio.length) {
      // Passed, as if played: what follows joins on after it (before the first sound, nothing has begun).
      if (this.scheduledEnd !== null) this.scheduledEnd = frame + audio.length
      return audio.length
    }
    if (cut > 0) {
      audio = tail(ctx, audio, cut)
      frame += cut
      if (trackFrame !== null) trackFrame += cut
    }
    // Start on a frame Chromium reads back exactly, a few zeros early if need be (frame-time.ts).
    const lead = exactLead(frame, rate)
    const buffer = lead === 0 ? audio : padFront(ctx, audio, lead)
    const node = new AudioBufferSourceNode(ctx, { buffer })
    node.connect(dest)
    const bytes = buffer.length * buffer.numberOfChannels * 4
    this.ledger.add(bytes)
    node.onended = () => {
      this.ledger.release(bytes)
      this.nodes.delete(node)
      node.disconnect()
    }
    this.nodes.set(node, { at: frame, lead, trackFrame })
    this.soundedFrom ??= frame
    node.start(exactWhen(frame - lead, rate))
    this.scheduledEnd = frame + audio.length
    return cut
  }

  /** Stops every node and drops pending audio. Idempotent. */
  stop(): void {
    for (const c of this.pending.splice(0)) this.ledger.release(c.frames * c.channels.length * 4)
    for (const node of this.nodes.keys()) {
      node.onended = null
      try {
        node.stop()
      } catch {
        // never started
      }
      node.disconnect()
      this.ledger.release(node.buffer!.length * node.buffer!.numberOfChannels * 4)
    }
    this.nodes.clear()
    this.stream.close()
  }

  /** Contiguous pending chunks adding up to about NODE_FRAMES. */
  private takeGroup(): PcmChunk[] {
    const group = [this.pending.shift()!]
    let frames = group[0]!.frames
    while (this.pending.length > 0 && frames < NODE_FRAMES) {
      const next = this.pending[0]!
      const last = group[group.length - 1]!
      if (next.startFrame !== last.startFrame + last.frames) break
      group.push(this.pending.shift()!)
      frames += next.frames
    }
    return group
  }
}

/** Copies a run of contiguous chunks into one buffer, dropping the first `skip` frames and whatever does not fit after. */
function copyGroup(group: readonly PcmChunk[], buffer: AudioBuffer, skip: number): void {
  let offset = -skip
  for (const c of group) {
    const from = Math.max(0, -offset)
    const to = Math.min(c.frames, buffer.length - offset)
    if (from < to) {
      for (let ch = 0; ch < buffer.numberOfChannels; ch++) {
        buffer.copyToChannel(c.channels[ch]!.subarray(from, to) as Float32Array<ArrayBuffer>, ch, offset + from)
      }
    }
    offset += c.frames
  }
}

/** `count` frames that repeat the start of the group, for a gap the timeline opened. */
function repeatFrames(ctx: AudioContext, group: readonly PcmChunk[], count: number): AudioBuffer {
  const channels = group[0]!.channels.length
  const buffer = ctx.createBuffer(channels, count, ctx.sampleRate)
  const firstChunk = group[0]!
  for (let ch = 0; ch < channels; ch++) {
    const src = firstChunk.channels[ch]!
    const out = buffer.getChannelData(ch)
    for (let i = 0; i < count; i++) out[i] = src[Math.min(i, src.length - 1)]!
  }
  return buffer
}

/** `audio` without its first `count` frames. */
function tail(ctx: AudioContext, audio: AudioBuffer, count: number): AudioBuffer {
  const out = ctx.createBuffer(audio.numberOfChannels, audio.length - count, ctx.sampleRate)
  for (let ch = 0; ch < audio.numberOfChannels; ch++) out.copyToChannel(audio.getChannelData(ch).subarray(count), ch)
  return out
}

/** `audio` with `count` frames of silence in front. */
function padFront(ctx: AudioContext, audio: AudioBuffer, count: number): AudioBuffer {
  const out = ctx.createBuffer(audio.numberOfChannels, audio.length + count, ctx.sampleRate)
  for (let ch = 0; ch < audio.numberOfChannels; ch++) out.copyToChannel(audio.getChannelData(ch), ch, count)
  return out
}
