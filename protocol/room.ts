/**
 * Room life on the data channel: the curator's signed state, listeners'
 * requests to the curator, and the coded reasons a request is refused.
 *
 * Authority: the curator signs every state it sends (`signed` in peer.ts)
 * with the key it registered with the signal server (`room.key`). Listeners
 * never act on a state whose signature does not check against that key, so
 * a listener forging curator commands, or relaying old ones, is ignored by
 * every peer, not only by the server.
 */
import * as v from 'valibot'
import { Anchor, Millis, Seq, TrackId } from './anchor.ts'
import { LIMITS, PEER_ID_PATTERN } from './limits.ts'
import { InfoHashSchema } from './swarm.ts'
import { TrackSchema } from './track.ts'

/** Room-life bounds, beside LIMITS so both ends agree. */
export const ROOM_LIMITS = {
  /** Chat text, in code points after cleaning (see client/src/lib/room/chat.ts). */
  chatMaxChars: 500,
  /** Open vote proposals shown at once; keeps a tally message small. */
  maxProposals: 32,
  /** The curator's own files a room knows at once; keeps the signed list under the message cap. */
  maxLocalTracks: 64,
  /** Title, artist and album of a curator's file, in characters. */
  localTagMax: 120,
} as const

const Tag = v.pipe(v.string(), v.maxLength(ROOM_LIMITS.localTagMax))
/**
 * A track from the curator's disk: never on the server, so it travels with
 * its swarm's infohash (listeners fetch it from the curator and other peers
 * only) and has no origin. Its id is derived from its SHA-256 as a library
 * track's is, so the same file in a library is the same track.
 */
export const LocalTrack = v.object({ ...TrackSchema.entries, title: Tag, artist: Tag, album: Tag, infoHash: InfoHashSchema })
export type LocalTrack = v.InferOutput<typeof LocalTrack>

export const ControlMode = v.picklist(['curator', 'shared', 'vote'])
export type ControlMode = v.InferOutput<typeof ControlMode>

const Index = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(100_000))
const PeerId = v.pipe(v.string(), v.regex(PEER_ID_PATTERN))
/** A generation of curatorship: bumped by the server every time the curator changes. */
export const Epoch = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER))

/** Uncompressed P-256 point (0x04 ‖ X ‖ Y, 65 bytes) as unpadded base64url: 87 characters. */
export const CuratorKey = v.pipe(v.string(), v.regex(/^B[A-P][A-Za-z0-9_-]{85}$/, 'is not a P-256 public key'))
/** First 16 bytes of SHA-256 of the raw public key, base64url: names the key a state claims. */
export const KeyId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{22}$/))
/** ECDSA P-256 / SHA-256, IEEE P1363 r ‖ s (64 bytes), base64url: 86 characters. */
export const Signature = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{86}$/))

/** `skip` the current track, or `add:<trackId>` to the queue. */
export const Proposal = v.union([v.literal('skip'), v.pipe(v.string(), v.regex(/^add:[a-f0-9]{16,64}$/))])
export type Proposal = 'skip' | `add:${string}`

/**
 * What a curator can sign. `anchor` has exactly the shape of the bare
 * `anchor` peer message, so a listener hands it to the same code; its inner
 * `seq` should equal the envelope's.
 */
export const SignedBody = v.variant('type', [
  Anchor,
  v.object({ type: v.literal('mode'), mode: ControlMode }),
  v.object({ type: v.literal('chat.config'), enabled: v.boolean() }),
  /** The curator's own files this room may queue (replaces the previous list). */
  v.object({ type: v.literal('tracks'), tracks: v.pipe(v.array(LocalTrack), v.maxLength(ROOM_LIMITS.maxLocalTracks)) }),
  /** A chat line the curator accepted from `from` (the curator's own included). */
  v.object({
    type: v.literal('chat'),
    from: PeerId,
    text: v.pipe(v.string(), v.minLength(1), v.maxLength(ROOM_LIMITS.chatMaxChars * 2)),
    at: Millis,
  }),
  /** Live vote tallies; `expiresAt` is on the curator's clock. */
  v.object({
    type: v.literal('votes'),
    tallies: v.pipe(
      v.array(v.object({ proposal: Proposal, votes: Index, needed: Index, expiresAt: Millis })),
      v.maxLength(ROOM_LIMITS.maxProposals),
    ),
  }),
])
export type SignedBody = v.InferOutput<typeof SignedBody>

export const SignedState = v.object({
  type: v.literal('signed'),
  epoch: Epoch,
  seq: Seq,
  kid: KeyId,
  body: SignedBody,
  sig: Signature,
})
export type SignedState = v.InferOutput<typeof SignedState>

/**
 * What a listener asks of the curator. In `vote` mode `next` and `queue.add`
 * count as votes (`skip`, `add:<trackId>`). `at`, `index` and `trackId`
 * name what the listener saw, so a request made against a queue that has
 * since changed is refused as stale instead of hitting the wrong entry.
 */
export const RoomRequest = v.variant('action', [
  v.object({ action: v.literal('play') }),
  v.object({ action: v.literal('pause') }),
  v.object({ action: v.literal('next'), at: v.optional(Index) }),
  v.object({ action: v.literal('previous'), at: v.optional(Index) }),
  v.object({ action: v.literal('seek'), index: Index, positionFrames: v.pipe(v.number(), v.integer(), v.minValue(0)) }),
  v.object({ action: v.literal('queue.add'), trackId: TrackId, at: v.optional(Index) }),
  v.object({ action: v.literal('queue.remove'), index: Index, trackId: TrackId }),
  v.object({ action: v.literal('queue.move'), from: Index, to: Index, trackId: TrackId }),
  v.object({ action: v.literal('mode.change'), mode: ControlMode }),
  v.object({ action: v.literal('chat.toggle'), enabled: v.boolean() }),
  v.object({ action: v.literal('chat.send'), text: v.pipe(v.string(), v.maxLength(ROOM_LIMITS.chatMaxChars * 4)) }),
])
export type RoomRequest = v.InferOutput<typeof RoomRequest>
export type RoomAction = RoomRequest['action']

/** Why the curator refused a request: a code for programs, a sentence for people. */
export const ROOM_REFUSALS = {
  not_allowed: 'The control mode does not let you do that',
  lurker: 'Hidden listeners cannot control the room, vote or chat',
  not_member: 'Only listeners in the room can do that',
  unknown_track: 'That track is not in the library',
  queue_full: 'The queue is full',
  stale: 'The queue changed meanwhile; try again',
  out_of_range: 'There is no such place in the queue',
  end_of_queue: 'This is the last track in the queue',
  start_of_queue: 'This is the first track in the queue',
  duplicate_vote: 'You already voted for that',
  too_many_proposals: 'Too many votes are open; wait for some to close',
  chat_off: 'Chat is off in this room',
  chat_empty: 'The message is empty',
  chat_too_long: `Messages are at most ${ROOM_LIMITS.chatMaxChars} characters`,
  chat_rate_limited: 'You are sending messages too fast',
} as const
export type RoomRefusal = keyof typeof ROOM_REFUSALS
export const RoomRefusal = v.picklist(Object.keys(ROOM_REFUSALS) as [RoomRefusal, ...RoomRefusal[]])

export const RoomRequestMessage = v.object({
  type: v.literal('request'),
  id: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(2 ** 31)),
  request: RoomRequest,
})

/** The curator's answer to one `request`: applied, counted as a vote, or refused with a reason. */
export const RoomRequestResult = v.variant('outcome', [
  v.object({ type: v.literal('request.result'), id: v.number(), outcome: v.literal('applied') }),
  v.object({ type: v.literal('request.result'), id: v.number(), outcome: v.literal('voted'), proposal: Proposal }),
  v.object({ type: v.literal('request.result'), id: v.number(), outcome: v.literal('refused'), reason: RoomRefusal }),
])
