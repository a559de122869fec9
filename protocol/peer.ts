/**
 * Messages on the room data channel between two browsers. Every peer
 * validates what it receives: a peer is as untrusted as any network input.
 */
import * as v from 'valibot'
import { LIMITS } from './limits.ts'
import { protocolError } from './errors.ts'
import { parseWith, type Parsed } from './parse.ts'

/** Milliseconds on the sender's monotonic clock (performance.timeOrigin + now()). */
const Millis = v.pipe(v.number(), v.finite())
const Seq = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER))

export const PeerMessage = v.variant('type', [
  v.object({ type: v.literal('hello'), v: v.number(), name: v.optional(v.pipe(v.string(), v.maxLength(LIMITS.displayNameMax))) }),
  /**
   * NTP-style exchange: t0 sent by the asker, t1 received and t2 sent by the
   * answerer, t3 read on arrival. Round trip = (t3 - t0) - (t2 - t1).
   */
  v.object({ type: v.literal('clock.req'), seq: Seq, t0: Millis }),
  v.object({ type: v.literal('clock.res'), seq: Seq, t0: Millis, t1: Millis, t2: Millis }),
])
export type PeerMessage = v.InferOutput<typeof PeerMessage>

export function parsePeerMessage(raw: string | Uint8Array): Parsed<PeerMessage> {
  const size = typeof raw === 'string' ? raw.length : raw.byteLength
  if (size > LIMITS.maxPeerMessageBytes) return { ok: false, error: protocolError('message_too_large') }
  let json: unknown
  try {
    json = JSON.parse(typeof raw === 'string' ? raw : new TextDecoder().decode(raw))
  } catch {
    json = undefined
  }
  return parseWith(PeerMessage, json, LIMITS.maxPeerMessageBytes)
}
