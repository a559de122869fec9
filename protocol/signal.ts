/**
 * Messages between a browser and the signal server. The server introduces
 * peers and keeps room membership; it never reads SDP nor holds audio state.
 * It keeps the curator's last signed anchor, unread, for the room's joiners
 * (`room.anchor`): a state only the curator can sign, like SDP only passed on.
 *
 * Transport: Socket.IO event `msg` in both directions. Requests that expect an
 * answer (`room.create`, `room.join`) get it through the Socket.IO ack as a
 * `Reply`.
 */
import * as v from 'valibot'
import { ERROR_CODES } from './errors.ts'
import { LIMITS, PEER_ID_PATTERN, ROOM_ID_PATTERN } from './limits.ts'
import { jsonBytes, parseWith } from './parse.ts'
import { TrackId } from './anchor.ts'
import { CuratorKey, Epoch, SignedState } from './room.ts'
import { InfoHashSchema } from './swarm.ts'

const trimmed = (max: number) =>
  v.pipe(v.string(), v.trim(), v.minLength(1, 'must not be empty'), v.maxLength(max, `must be at most ${max} characters`))

export const RoomId = v.pipe(v.string(), v.regex(ROOM_ID_PATTERN, 'is not a room id'))
export const PeerId = v.pipe(v.string(), v.regex(PEER_ID_PATTERN, 'is not a peer id'))
export const InviteToken = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{16,64}$/, 'is not an invite token'))
export const Visibility = v.picklist(['public', 'invite'])
export type Visibility = v.InferOutput<typeof Visibility>

/** simple-peer's signal payloads (offer/answer/candidate/renegotiate), opaque to the server. */
export const SignalData = v.pipe(
  v.record(v.string(), v.unknown()),
  v.check((d) => jsonBytes(d) <= LIMITS.maxSignalPayloadBytes, 'signal payload is too large'),
)

/** A position hint (seconds into a track): a week either way bounds any track. */
const HintSeconds = v.pipe(v.number(), v.finite(), v.minValue(-604_800), v.maxValue(604_800))
export const Degradation = v.picklist(['rate_refused', 'device_rate_below', 'underrun', 'integrity'])
export type Degradation = v.InferOutput<typeof Degradation>

/**
 * The curator's clock against the signal server's, as the curator estimates
 * it (client/src/lib/sync/server-clock.ts): a joiner that knows its own clock
 * against the server's maps the curator's through both.
 */
export const CuratorServerClock = v.object({
  /** Server clock minus the curator's (ms), at `atServerMs` on the server's clock. */
  serverMinusCuratorMs: v.pipe(v.number(), v.finite()),
  atServerMs: v.pipe(v.number(), v.finite()),
  /** How fast that difference grows (ppm of curator time); quartz pairs stay within a few hundred. */
  skewPpm: v.pipe(v.number(), v.finite(), v.minValue(-2000), v.maxValue(2000)),
  /** ≈95 % bound on the difference's error, path asymmetry included (ms). */
  uncertaintyMs: v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(1000)),
})
export type CuratorServerClock = v.InferOutput<typeof CuratorServerClock>

/**
 * The server's clock, over a WebSocket of its own (SERVER_CLOCK_PATH): a
 * page sends `{ seq }` and the server answers at once with its clock (ms,
 * monotonic). A WebSocket, not HTTP: a joiner's requests then wait behind
 * its downloads for a connection (round trips of 45 ms, against ~1 ms).
 */
export const SERVER_CLOCK_PATH = '/clock'
const ProbeSeq = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER))
export const ServerClockProbe = v.object({ seq: ProbeSeq })
export type ServerClockProbe = v.InferOutput<typeof ServerClockProbe>
export const ServerClockReading = v.object({ seq: ProbeSeq, serverMs: v.pipe(v.number(), v.finite()) })
export type ServerClockReading = v.InferOutput<typeof ServerClockReading>
/** Probes a clock socket may send: a burst at a join, then one every heartbeat; more is dropped, much more closes it. */
export const SERVER_CLOCK_RATE = { perSecond: 20, burst: 20, maxMessageBytes: 64 } as const

// ---- client → signal -------------------------------------------------------

export const ClientMessage = v.variant('type', [
  v.object({ type: v.literal('lobby.watch'), watch: v.boolean() }),
  v.object({
    type: v.literal('room.create'),
    name: trimmed(LIMITS.roomNameMax),
    visibility: Visibility,
    maxListeners: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(LIMITS.maxListenersCap)),
    displayName: trimmed(LIMITS.displayNameMax),
  }),
  v.object({
    type: v.literal('room.join'),
    roomId: RoomId,
    token: v.optional(InviteToken),
    displayName: trimmed(LIMITS.displayNameMax),
    lurker: v.boolean(),
  }),
  v.object({ type: v.literal('room.leave'), roomId: RoomId }),
  v.object({ type: v.literal('signal'), roomId: RoomId, to: PeerId, data: SignalData }),
  /** A listener's playback degraded; counted in sonantica_audio_quality_degradation_count. */
  v.object({ type: v.literal('quality.report'), reason: Degradation }),
  /**
   * The curator registers the public key its states are signed with, for
   * the epoch it became curator in (RoomView.epoch). One key per epoch.
   */
  v.object({ type: v.literal('room.key'), roomId: RoomId, publicKey: CuratorKey, epoch: Epoch }),
  /**
   * A listener that no longer hears the curator claims the role for the
   * next epoch (`epoch` is the current one, as the claimant saw it). The
   * server grants the first claim of an epoch, and only if the curator fails
   * `curator.check`; later claims of that epoch are stale. Listeners stagger
   * their claims by seniority (client/src/lib/room/handoff.ts).
   */
  v.object({ type: v.literal('room.claim'), roomId: RoomId, epoch: Epoch }),
  /** The curator hands the role to a visible listener by choice. */
  v.object({ type: v.literal('room.handoff'), roomId: RoomId, to: PeerId, epoch: Epoch }),
  /**
   * The curator tells the lobby what is playing (a library track id, or null),
   * and about where in it (seconds; negative while its start is still ahead).
   * Metadata for discovery and a joiner's prefetch only; playback state
   * travels between peers.
   */
  v.object({ type: v.literal('room.playing'), roomId: RoomId, trackId: v.nullable(TrackId), positionSec: v.optional(HintSeconds) }),
  /**
   * The curator lists the swarms of the tracks its room queues (library
   * tracks and its own files alike): the tracker answers announces for these
   * infohashes only, while the room lives. Replaces the previous list.
   */
  v.object({ type: v.literal('room.swarm'), roomId: RoomId, infoHashes: v.pipe(v.array(InfoHashSchema), v.maxLength(LIMITS.maxQueue)) }),
  /**
   * The curator's latest signed anchor, and where its clock stands against
   * this server's (SERVER_CLOCK_PATH). The server keeps the last one, unread,
   * for the room's next joiner (Reply.relayed), which can then start its
   * sound before its links are up; its peers' copy of the same state, and
   * their clock, take over as they come.
   */
  v.object({ type: v.literal('room.anchor'), roomId: RoomId, state: SignedState, clock: CuratorServerClock }),
  /** A listener started a track: from its cache (hit) or not; feeds sonantica_stream_cache_hit_ratio. */
  v.object({ type: v.literal('cache.report'), hit: v.boolean() }),
])
export type ClientMessage = v.InferOutput<typeof ClientMessage>

export const parseClientMessage = (input: unknown) =>
  parseWith(ClientMessage, input, LIMITS.maxSignalMessageBytes)

// ---- signal → client -------------------------------------------------------

export const MemberView = v.object({
  peerId: PeerId,
  name: v.string(),
  joinedAt: v.number(),
})
export type MemberView = v.InferOutput<typeof MemberView>

export const RoomView = v.object({
  id: RoomId,
  name: v.string(),
  visibility: Visibility,
  maxListeners: v.number(),
  curatorId: PeerId,
  /**
   * Grows with every change. Pushes and request replies can arrive in either
   * order; a client keeps the view with the highest revision.
   */
  rev: v.pipe(v.number(), v.integer(), v.minValue(0)),
  /** Visible members only, in order of arrival. Lurkers never appear here. */
  members: v.array(MemberView),
  lurkerCount: v.number(),
  /** Everyone in the room, visible or not. */
  total: v.number(),
  /**
   * Curator generation: bumped whenever curatorId changes. Absent from
   * servers that predate signed states; read as 0.
   */
  epoch: v.optional(Epoch),
  /** The key the curator registered for `epoch`; absent until it has. */
  curatorKey: v.optional(CuratorKey),
  /**
   * The library track the curator last said plays (room.playing). Only a
   * hint: a joiner opens its output and reads its head while its links come
   * up; the curator's signed anchor says what plays, and where.
   */
  playingTrackId: v.optional(TrackId),
  /**
   * About where in it the room is as this view is sent (seconds): the
   * curator's last word, carried on by the server's clock. A joiner fetches
   * the bytes there while its links come up; off by the message's trip.
   * Unbounded: carried on for as long as the room lasts.
   */
  playingPositionSec: v.optional(v.pipe(v.number(), v.finite())),
})
export type RoomView = v.InferOutput<typeof RoomView>

export const RoomSummary = v.object({
  id: RoomId,
  name: v.string(),
  curatorName: v.string(),
  listeners: v.number(),
  maxListeners: v.number(),
  /** What the curator says is playing, with its quality. */
  playing: v.optional(v.object({ title: v.string(), artist: v.string(), codec: v.string(), sampleRate: v.number(), bitsPerSample: v.number() })),
})
export type RoomSummary = v.InferOutput<typeof RoomSummary>

const ErrorPayload = v.object({ code: v.picklist(ERROR_CODES), message: v.string() })

export const ServerMessage = v.variant('type', [
  v.object({ type: v.literal('lobby.rooms'), rooms: v.array(RoomSummary) }),
  v.object({ type: v.literal('room.state'), room: RoomView }),
  v.object({ type: v.literal('signal'), roomId: RoomId, from: PeerId, data: SignalData }),
  v.object({ type: v.literal('error'), error: ErrorPayload }),
  /**
   * Asked of the curator, with a Socket.IO ack, when a listener claims the
   * role: a curator that acks `{ alive: true }` in time keeps it.
   */
  v.object({ type: v.literal('curator.check'), roomId: RoomId }),
])
export type ServerMessage = v.InferOutput<typeof ServerMessage>

/**
 * The curator's ack to `curator.check`. `alive` is false when the page runs
 * but has no open data channel while listeners are in the room: it is cut
 * off from the mesh, and a listener that can reach the others should take over.
 */
export const CuratorCheckReply = v.object({ alive: v.boolean() })
export type CuratorCheckReply = v.InferOutput<typeof CuratorCheckReply>

export const parseServerMessage = (input: unknown) =>
  parseWith(ServerMessage, input, LIMITS.maxSignalMessageBytes * 16)

/** Answer to `room.create` / `room.join`, carried by the Socket.IO ack. */
export const Reply = v.variant('ok', [
  v.object({
    ok: v.literal(true),
    peerId: PeerId,
    room: RoomView,
    /** Present for the curator of an invite-only room, to build the invite link. */
    token: v.optional(InviteToken),
    lurker: v.boolean(),
    /** A join's: the curator's last `room.anchor`, if it sent one in its current epoch. */
    relayed: v.optional(v.object({ state: SignedState, clock: CuratorServerClock })),
  }),
  v.object({ ok: v.literal(false), error: ErrorPayload }),
])
export type Reply = v.InferOutput<typeof Reply>

export const parseReply = (input: unknown) => parseWith(Reply, input, LIMITS.maxSignalMessageBytes * 16)

/** Sent in the Socket.IO handshake (`auth`); checked before any event. */
export const Handshake = v.object({ v: v.number() })
