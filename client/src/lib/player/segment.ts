/**
 * One track placed on the context's timeline: its frame 0 plays at context
 * frame `startFrame`. Decoded chunks wait in `pending` until they are within
 * the schedule horizon, then become AudioBufferSourceNodes started on exact
 * frames, back to back, so consecutive buffers (and tracks) join with no
 * missing or extra sample.
 */
import type { PcmChunk } from '../../../../protocol/index.ts'
import { exactWhen } from './frame-time.ts'
import type { PcmLedger } from './buffer-budget.ts'
import type { TrackStream } from './track-stream.ts'

/** Nodes of about this many frames: few enough nodes, small enough windows. */
const NODE_FRAMES = 16384

export class Segment {
  startFrame: number | null = null
  readonly pending: PcmChunk[] = []
  /** Track frames already handed to Web Audio. */
  scheduledFrames = 0
  pulling = false
  error: Error | null = null
  private readonly nodes = new Set<AudioBufferSourceNode>()

  constructor(
    readonly stream: TrackStream,
    private readonly ledger: PcmLedger,
  ) {}

  get track() {
    return this.stream.track
  }

  /** Context frame just after the last frame of the track, once fully decoded. */
  get endFrame(): number | null {
    return this.startFrame !== null && this.stream.ended ? this.startFrame + this.stream.framesDecoded : null
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
   * Audio already too late to start is cut, not played late: playing it late
   * would overlap what follows. Returns how many frames were cut.
   */
  schedule(ctx: AudioContext, dest: AudioNode, earliest: number, horizon: number): number {
    if (this.startFrame === null) return 0
    let cut = 0
    while (this.pending.length > 0 && this.startFrame + this.pending[0]!.startFrame < horizon) {
      const group = this.takeGroup()
      const first = group[0]!
      const frames = group.reduce((n, c) => n + c.frames, 0)
      const channels = first.channels.length
      const at = this.startFrame + first.startFrame
      const skip = Math.min(frames, Math.max(0, earliest - at))
      this.scheduledFrames = first.startFrame + frames
      cut += skip
      if (skip === frames) {
        this.ledger.release(frames * channels * 4)
        continue
      }
      // Starting mid-buffer by offset can land off a frame; a buffer that
      // begins exactly at the wanted frame cannot.
      const buffer = ctx.createBuffer(channels, frames - skip, ctx.sampleRate)
      copyGroup(group, buffer, skip)
      this.ledger.release(skip * channels * 4)
      const node = new AudioBufferSourceNode(ctx, { buffer })
      node.connect(dest)
      const bytes = buffer.length * channels * 4
      node.onended = () => {
        this.ledger.release(bytes)
        this.nodes.delete(node)
        node.disconnect()
      }
      this.nodes.add(node)
      node.start(exactWhen(at + skip, ctx.sampleRate))
    }
    return cut
  }

  /** Stops every node and drops pending audio. Idempotent. */
  stop(): void {
    for (const c of this.pending.splice(0)) this.ledger.release(c.frames * c.channels.length * 4)
    for (const node of this.nodes) {
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

/** Copies a run of contiguous chunks into one buffer, dropping the first `skip` frames. */
function copyGroup(group: readonly PcmChunk[], buffer: AudioBuffer, skip: number): void {
  let offset = -skip
  for (const c of group) {
    const from = Math.max(0, -offset)
    if (from < c.frames) {
      for (let ch = 0; ch < buffer.numberOfChannels; ch++) {
        buffer.copyToChannel(c.channels[ch]!.subarray(from) as Float32Array<ArrayBuffer>, ch, offset + from)
      }
    }
    offset += c.frames
  }
}
