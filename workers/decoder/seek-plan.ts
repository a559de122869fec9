/**
 * Where to start fetching a file so that decoding begins at or shortly before
 * a wanted frame. Pure: the page calls it before opening a seek session.
 *
 * WAV is exact arithmetic. FLAC frames have no fixed size, so the start is
 * estimated between the nearest exactly known frame starts around the wanted
 * frame (the first frame, SEEKTABLE points, which `flac` writes every 10 s by
 * default) and, past the last of those, the end of the file; then moved
 * earlier by a margin, because starting a little early only costs bytes
 * (the scheduler cuts what precedes the wanted frame) while starting late
 * costs another request. If a first attempt still begins after the wanted
 * frame, plan again with `overshoot`: the attempt's start and its first frame
 * bound the wanted frame's position from above. `safeByte` never overshoots.
 */
import type { SeekPlan, TrackCodec } from '../../protocol/worker-api.ts'
import { parseHead, type ParsedHead } from './file-head.ts'

/** A first attempt starts this many average blocks early (the block holding the wanted frame may start up to one block before it)... */
const MARGIN_BLOCKS = 1
/** ...plus this fraction of the distance estimated from the last known frame start. */
const MARGIN_FRACTION = 0.01
/** After an overshoot, the distance back is scaled by this. */
const RETRY_SCALE = 1.5

export interface Overshoot {
  /** Where the attempt started. */
  startByte: number
  /** The track frame its first chunk began at (after the wanted frame), or the track's length if it decoded nothing. */
  firstFrame: number
}

export function seekPlan(
  codec: TrackCodec,
  head: { header: Uint8Array; audioStart?: number } | ParsedHead,
  totalBytes: number,
  wantedFrame: number,
  overshoot?: Overshoot,
): SeekPlan {
  const h = 'format' in head && 'seekPoints' in head ? head : parseHead(codec, head.header, head.audioStart)
  if (h.codec !== codec) throw new Error(`seekPlan(): the head is ${h.codec}, not ${codec}`)
  const total = h.format.totalFrames
  const wanted = Math.max(0, Math.min(Math.floor(wantedFrame), total === null ? Infinity : Math.max(0, total - 1)))

  if (h.codec === 'wav') {
    const startByte = h.audioStart + wanted * h.blockAlign!
    return { startByte, expectedFrame: wanted, exact: true, safeByte: startByte, safeFrame: wanted, wantedFrame: wanted }
  }

  // Exactly known frame starts: the first frame and the seek points.
  let lo = { frame: 0, byte: h.audioStart }
  for (const p of h.seekPoints) if (p.frame <= wanted && p.byte < totalBytes && p.frame >= lo.frame) lo = p
  const safe: SeekPlan = { startByte: lo.byte, expectedFrame: lo.frame, exact: true, safeByte: lo.byte, safeFrame: lo.frame, wantedFrame: wanted }

  // Upper bounds on the wanted frame's start: later seek points, the end of the file, a failed attempt.
  const above: { frame: number; byte: number }[] = h.seekPoints.filter((p) => p.frame > wanted && p.byte > lo.byte)
  if (total !== null && total > wanted && totalBytes > lo.byte) above.push({ frame: total, byte: totalBytes })
  const retry = overshoot && overshoot.firstFrame > wanted && overshoot.startByte > lo.byte ? { frame: overshoot.firstFrame, byte: overshoot.startByte } : null
  if (retry) above.push(retry)
  if (above.length === 0) return safe
  const hi = above.reduce((a, b) => (b.byte < a.byte ? b : a))

  const bytesPerFrame = (hi.byte - lo.byte) / (hi.frame - lo.frame)
  const blockBytes = bytesPerFrame * h.blockFrames
  // Within a couple of blocks of a known start, an estimate saves nothing.
  if (wanted - lo.frame < MARGIN_BLOCKS * h.blockFrames) return safe

  let start: number
  if (retry && hi === retry) {
    start = retry.byte - (retry.frame - wanted) * bytesPerFrame * RETRY_SCALE - MARGIN_BLOCKS * blockBytes
  } else {
    const distance = (wanted - lo.frame) * bytesPerFrame
    start = lo.byte + distance - MARGIN_BLOCKS * blockBytes - MARGIN_FRACTION * distance
  }
  start = Math.floor(start)
  if (start <= lo.byte + blockBytes || (retry && start >= retry.byte)) return safe
  const expectedFrame = Math.min(wanted, lo.frame + Math.floor((start - lo.byte) / bytesPerFrame))
  return { startByte: start, expectedFrame, exact: false, safeByte: lo.byte, safeFrame: lo.frame, wantedFrame: wanted }
}
