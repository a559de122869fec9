/**
 * The curator's playback anchor and the primitives the peer messages share.
 * One definition, used bare (peer.ts) and inside signed states (room.ts).
 */
import * as v from 'valibot'
import { LIMITS } from './limits.ts'

/** Milliseconds on the sender's clock. */
export const Millis = v.pipe(v.number(), v.finite())
export const Seq = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER))
/** Library track ids: hex, derived from the file's SHA-256 (signal/library/scan.ts). */
export const TrackId = v.pipe(v.string(), v.regex(/^[a-f0-9]{16,64}$/))

/**
 * The curator's playback state: track `queue[index]` was at `positionFrames`
 * (playing or paused) at `atCuratorTime` on the curator's clock. Sent on
 * every change and as a heartbeat; `seq` only grows, so a listener drops
 * replays and reordered states.
 */
export const Anchor = v.object({
  type: v.literal('anchor'),
  seq: Seq,
  queue: v.pipe(v.array(TrackId), v.maxLength(LIMITS.maxQueue)),
  index: v.pipe(v.number(), v.integer(), v.minValue(0)),
  state: v.picklist(['playing', 'paused', 'stopped']),
  positionFrames: v.pipe(v.number(), v.integer(), v.minValue(0)),
  atCuratorTime: Millis,
})
export type Anchor = v.InferOutput<typeof Anchor>
