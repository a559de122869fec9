/**
 * A curator anchor stretched over the queue: the anchored track plays from
 * its anchor, and every later track starts the frame after the one before
 * ends (gapless), so one anchor places the whole queue in curator time.
 * Track lengths come from the library (STREAMINFO's total samples /
 * sample rate, rounded back to whole frames). Pure.
 */
import { curatorTimeOfFrame, frameAt, type Anchor } from './anchor.ts'

export interface TimelineTrack {
  sampleRate: number
  durationSec: number
}

export interface QueueAnchor {
  index: number
  state: 'playing' | 'paused' | 'stopped'
  positionFrames: number
  atCuratorTime: number
}

export function trackFrames(t: TimelineTrack): number {
  return Math.round(t.durationSec * t.sampleRate)
}

function single(a: QueueAnchor): Anchor {
  return { seq: 0, trackId: '', state: a.state === 'playing' ? 'playing' : 'paused', positionFrames: a.positionFrames, atCuratorTime: a.atCuratorTime }
}

/** Curator time (ms) at which queue[index]'s frame 0 sounds; null when not playing or before the anchor. */
export function frame0Time(a: QueueAnchor, queue: readonly TimelineTrack[], index: number): number | null {
  if (a.state !== 'playing' || index < a.index || index >= queue.length) return null
  const anchored = queue[a.index]
  if (!anchored) return null
  let t = curatorTimeOfFrame(single(a), 0, anchored.sampleRate)!
  for (let i = a.index; i < index; i++) t += (trackFrames(queue[i]!) * 1000) / queue[i]!.sampleRate
  return t
}

/** Which track and frame sound at curator time t; null past the end of the queue or when stopped. */
export function positionAt(a: QueueAnchor, queue: readonly TimelineTrack[], curatorMs: number): { index: number; frame: number } | null {
  if (a.state === 'stopped') return null
  const anchored = queue[a.index]
  if (!anchored) return null
  if (a.state === 'paused') return { index: a.index, frame: a.positionFrames }
  let index = a.index
  let frame = frameAt(single(a), curatorMs, anchored.sampleRate)
  while (frame >= trackFrames(queue[index]!)) {
    const start = frame0Time(a, queue, index + 1)
    if (start === null) return null
    index++
    frame = frameAt({ ...single(a), positionFrames: 0, atCuratorTime: start }, curatorMs, queue[index]!.sampleRate)
  }
  return { index, frame: Math.max(0, frame) }
}
