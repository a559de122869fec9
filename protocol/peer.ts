/**
 * Messages on the room data channel between two browsers. Every peer
 * validates what it receives: a peer is as untrusted as any network input.
 */
import * as v from 'valibot'
import { Anchor, Millis, Seq, TrackId } from './anchor.ts'
import { LIMITS } from './limits.ts'
import { protocolError } from './errors.ts'
import { parseWith, type Parsed } from './parse.ts'
import { RoomRequestMessage, RoomRequestResult, SignedState } from './room.ts'
import { InfoHashSchema } from './swarm.ts'

/** A .torrent travels between peers in parts of at most this many base64url characters… */
export const TORRENT_PART_CHARS = 48 * 1024
/** …and at most this many parts (4 MB of torrent: a track of ~13 GB at 64 KiB pieces). */
export const TORRENT_MAX_PARTS = 112

export * from './room.ts'
export * from './anchor.ts'

const Finite = Millis

export const SyncReport = v.object({
  state: v.picklist(['locked', 'adjusting', 'converging', 'lost', 'idle']),
  /** Estimated curator clock minus ours (ms) and its ~95 % bound. */
  offsetMs: v.nullable(Finite),
  uncertaintyMs: v.nullable(Finite),
  rttMs: v.nullable(Finite),
  skewPpm: v.nullable(Finite),
  /** Where our output is against where the anchor says it should be (ms; + = late). */
  errorMs: v.nullable(Finite),
  corrections: v.pipe(v.number(), v.integer(), v.minValue(0)),
})
export type SyncReport = v.InferOutput<typeof SyncReport>

/**
 * NTP-style exchange: t0 sent by the asker, t1 received and t2 sent by the
 * answerer, t3 read on arrival. Round trip = (t3 - t0) - (t2 - t1).
 */
const ClockRequest = v.object({ type: v.literal('clock.req'), seq: Seq, t0: Millis })
const ClockResponse = v.object({ type: v.literal('clock.res'), seq: Seq, t0: Millis, t1: Millis, t2: Millis })

/**
 * Every peer link has a second data channel that carries clock exchanges
 * only. It is negotiated (both ends create it with this id, no signalling)
 * and handed to a worker as it is created, so its stamps are taken where no
 * page work queues ahead of them (client/src/lib/sync/clock-channel.ts). A
 * peer without it is still asked, and answers, on the room channel.
 */
export const CLOCK_CHANNEL = { label: 'aula-clock', id: 100 } as const
export const ClockMessage = v.variant('type', [ClockRequest, ClockResponse])
export type ClockMessage = v.InferOutput<typeof ClockMessage>
/** A clock message is a few dozen bytes. */
const MAX_CLOCK_MESSAGE_BYTES = 256

export function parseClockMessage(raw: string | Uint8Array): Parsed<ClockMessage> {
  return parseJson(ClockMessage, raw, MAX_CLOCK_MESSAGE_BYTES)
}

export const PeerMessage = v.variant('type', [
  v.object({ type: v.literal('hello'), v: v.number(), name: v.optional(v.pipe(v.string(), v.maxLength(LIMITS.displayNameMax))) }),
  ClockRequest,
  ClockResponse,
  Anchor,
  /**
   * A listener holds the track the curator cued (paused at its first frame)
   * decoded and ready to sound: the curator starts a cold track for
   * everyone once all its links said so (room-playback's startAtTop).
   */
  v.object({ type: v.literal('cue.ready'), trackId: TrackId }),
  /**
   * The curator's pointer rests on a track's Play while nothing plays: every
   * page fetches and decodes its opening now and says `cue.ready` when it
   * holds it, so the click that likely follows starts at once.
   */
  v.object({ type: v.literal('cue.hint'), trackId: TrackId }),
  /** A listener's view of its own sync, sent to the curator, who shares the table. */
  v.object({ type: v.literal('sync.report'), report: SyncReport }),
  v.object({
    type: v.literal('sync.table'),
    reports: v.pipe(v.array(v.object({ peerId: v.pipe(v.string(), v.maxLength(32)), report: SyncReport })), v.maxLength(LIMITS.maxSyncTable)),
  }),
  /**
   * Curator state signed with the room's registered key (protocol/room.ts).
   * Carries the anchor too; the bare `anchor` above stays until every
   * sender and receiver has moved to this one.
   */
  SignedState,
  /** A listener asks the curator to act (shared mode) or counts a vote (vote mode). */
  RoomRequestMessage,
  /** The curator's answer to one request. */
  RoomRequestResult,
  /** Asks a peer for the .torrent of a curator's file (it has no origin to serve it). */
  v.object({ type: v.literal('torrent.req'), infoHash: InfoHashSchema }),
  /**
   * One part of that .torrent, unpadded base64url (client/src/lib/room/base64url.ts).
   * The asker checks that the whole hashes to the infohash the curator
   * signed, so a peer cannot substitute one.
   */
  v.object({
    type: v.literal('torrent.part'),
    infoHash: InfoHashSchema,
    part: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(TORRENT_MAX_PARTS - 1)),
    parts: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(TORRENT_MAX_PARTS)),
    data: v.pipe(v.string(), v.maxLength(TORRENT_PART_CHARS), v.regex(/^[A-Za-z0-9_-]*$/)),
  }),
])
export type PeerMessage = v.InferOutput<typeof PeerMessage>

export function parsePeerMessage(raw: string | Uint8Array): Parsed<PeerMessage> {
  return parseJson(PeerMessage, raw, LIMITS.maxPeerMessageBytes)
}

function parseJson<S extends v.GenericSchema>(schema: S, raw: string | Uint8Array, maxBytes: number): Parsed<v.InferOutput<S>> {
  const size = typeof raw === 'string' ? raw.length : raw.byteLength
  if (size > maxBytes) return { ok: false, error: protocolError('message_too_large') }
  let json: unknown
  try {
    json = JSON.parse(typeof raw === 'string' ? raw : new TextDecoder().decode(raw))
  } catch {
    json = undefined
  }
  return parseWith(schema, json, maxBytes)
}
