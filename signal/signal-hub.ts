/**
 * Socket.IO adapter around the pure RoomRegistry: validates every message,
 * applies rate limits, relays WebRTC signaling between members of one room,
 * and pushes room state and the public lobby.
 *
 * Curator authority (rules in rooms.ts): `room.key` and `room.handoff` are
 * answered at once; `room.claim` asks the curator's socket `curator.check`
 * first. Only a well-formed `{ alive: true }` ack within the timeout keeps
 * the curator: no ack, `{ alive: false }`, a malformed ack or a curator
 * socket that is gone all count as not alive. (A curator that always lies
 * `alive: true` keeps the role, which is no escalation: it already has it.)
 * Claims for the same room and epoch share one check, and the first of them
 * to be granted ends the epoch, so the rest are refused as stale.
 */
import type { Server, Socket } from 'socket.io'
import {
  compareVersion,
  CuratorCheckReply,
  Handshake,
  LIMITS,
  parseClientMessage,
  protocolError,
  type ClientMessage,
  type ProtocolError,
  type Reply,
  type Track,
} from '../protocol/index.ts'
import * as v from 'valibot'
import { randomId } from './ids.ts'
import type { Logger } from './log.ts'
import type { Metrics } from './metrics.ts'
import { TokenBucket } from '../protocol/token-bucket.ts'
import { roomView, type Room, type RoomRegistry } from './rooms.ts'
import type { SwarmAllowList } from './swarm/swarm-allow-list.ts'
import type { ClientToServerEvents, CuratorCheckEvents, ServerToClientEvents, SocketData } from './socket-events.ts'

type IO = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>
type Sock = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>
type CheckSock = Socket<ClientToServerEvents, CuratorCheckEvents, Record<string, never>, SocketData>
type Ack = (r: Reply) => void
type Refuse = (error: ProtocolError) => void
type ClaimMessage = Extract<ClientMessage, { type: 'room.claim' }>
/** How a `curator.check` ended; only `alive` keeps the curator. */
type CheckOutcome = 'alive' | 'not_alive' | 'no_answer' | 'malformed' | 'gone'

export interface HubOptions {
  /** How often empty rooms are swept; the registry holds the grace period itself. */
  graceMs: number
  /** How long the curator has to answer `curator.check`. */
  curatorCheckMs?: number
  log: Logger
  metrics: Metrics
  /** Library lookup, so the lobby can say what a room plays. */
  track?: (id: string) => Track | undefined
  /** The swarms the tracker serves, kept per room from the curators' `room.swarm`. */
  swarms?: SwarmAllowList
}

const LOBBY = 'lobby'
/** The curator's time to answer `curator.check` before a claim is granted. */
const CURATOR_CHECK_MS = 2000
const roomChannel = (id: string) => `room:${id}`

export class SignalHub {
  private readonly sockets = new Map<string, Sock>()
  /** In-flight `curator.check`s, by room and epoch: concurrent claims share one. */
  private readonly checks = new Map<string, Promise<CheckOutcome>>()
  private lobbyTimer: NodeJS.Timeout | undefined
  private readonly sweepTimer: NodeJS.Timeout
  private readonly log: Logger

  constructor(
    private readonly io: IO,
    readonly rooms: RoomRegistry,
    private readonly opts: HubOptions,
  ) {
    this.log = opts.log.child({ mod: 'signal' })
    this.sweepTimer = setInterval(() => this.sweep(), Math.max(50, Math.min(opts.graceMs, 5000)))
    this.sweepTimer.unref()

    io.use((socket, next) => {
      const hs = v.safeParse(Handshake, socket.handshake.auth)
      const reason = hs.success ? compareVersion(hs.output.v) : 'client_too_old'
      if (!reason) return next()
      const err = new Error(protocolError('incompatible_version').message) as Error & { data: unknown }
      err.data = { code: 'incompatible_version', reason }
      next(err)
    })
    io.on('connection', (socket) => this.onConnection(socket))
  }

  destroy(): void {
    clearInterval(this.sweepTimer)
    clearTimeout(this.lobbyTimer)
  }

  private onConnection(socket: Sock): void {
    const peerId = randomId()
    socket.data.peerId = peerId
    socket.data.rooms = new Set()
    this.sockets.set(peerId, socket)
    const now = Date.now()
    const buckets = {
      room: new TokenBucket(LIMITS.rate.room.perSecond, LIMITS.rate.room.burst, now),
      signal: new TokenBucket(LIMITS.rate.signal.perSecond, LIMITS.rate.signal.burst, now),
      report: new TokenBucket(LIMITS.rate.report.perSecond, LIMITS.rate.report.burst, now),
    }
    let strikes = 0
    const reject = (error: ProtocolError, ack: unknown) => {
      this.opts.metrics.rejected.inc({ code: error.code })
      this.log.debug({ peerId, code: error.code, msg: error.message }, 'rejected message')
      if (typeof ack === 'function') ack({ ok: false, error } satisfies Reply)
      else socket.emit('msg', { type: 'error', error })
      if (++strikes >= LIMITS.abuseStrikes) {
        this.log.warn({ peerId, strikes }, 'disconnecting abusive socket')
        socket.disconnect(true)
      }
    }

    socket.on('msg', (raw, ack) => {
      const parsed = parseClientMessage(raw)
      if (!parsed.ok) return reject(parsed.error, ack)
      const msg = parsed.value
      const report = msg.type === 'quality.report' || msg.type === 'cache.report'
      // A curator's anchors come with each change and heartbeat: as many as peer signalling at most.
      const bucket = msg.type === 'signal' || msg.type === 'room.anchor' ? buckets.signal : report ? buckets.report : buckets.room
      if (!bucket.take(Date.now())) {
        // A struggling player reports in bursts: drop the excess, but it is no abuse.
        if (report) return void this.opts.metrics.rejected.inc({ code: 'rate_limited' })
        return reject(protocolError('rate_limited'), ack)
      }
      const error = this.dispatch(socket, msg, ack, (e) => reject(e, ack))
      if (error) reject(error, ack)
    })

    socket.on('disconnect', () => {
      this.sockets.delete(peerId)
      for (const roomId of socket.data.rooms) this.leave(socket, roomId)
    })
  }

  /** Returns an error for the sender, or undefined when handled. */
  private dispatch(socket: Sock, msg: ClientMessage, ack: Ack | undefined, refuse: Refuse): ProtocolError | undefined {
    const { peerId } = socket.data
    switch (msg.type) {
      case 'lobby.watch':
        if (msg.watch) {
          void socket.join(LOBBY)
          socket.emit('msg', { type: 'lobby.rooms', rooms: this.rooms.publicSummaries() })
        } else void socket.leave(LOBBY)
        return
      case 'room.create': {
        if (this.rooms.curatedBy(peerId) >= LIMITS.maxRoomsPerSocket) return protocolError('too_many_rooms')
        const r = this.rooms.create(
          { peerId, name: msg.displayName, lurker: false },
          { name: msg.name, visibility: msg.visibility, maxListeners: msg.maxListeners },
        )
        if (!r.ok) return r.error
        this.enter(socket, r.value.room)
        ack?.({ ok: true, peerId, room: roomView(r.value.room), token: r.value.token, lurker: false })
        this.log.info({ roomId: r.value.room.id, visibility: msg.visibility }, 'room created')
        return
      }
      case 'room.join': {
        const r = this.rooms.join({ peerId, name: msg.displayName, lurker: msg.lurker }, msg)
        if (!r.ok) return r.error
        this.enter(socket, r.value)
        const me = r.value.members.get(peerId)
        const relayed = r.value.relayed
        ack?.({ ok: true, peerId, room: roomView(r.value), lurker: me?.lurker ?? msg.lurker, ...(relayed?.state.epoch === r.value.epoch && { relayed }) })
        return
      }
      case 'room.leave':
        if (!socket.data.rooms.has(msg.roomId)) return protocolError('not_in_room')
        this.leave(socket, msg.roomId)
        ack?.({ ok: true, peerId, room: roomView(this.rooms.get(msg.roomId)!), lurker: false })
        return
      case 'quality.report':
        this.opts.metrics.degradations.inc({ reason: msg.reason })
        return
      case 'cache.report':
        this.opts.metrics.cacheReport(msg.hit)
        return
      case 'room.swarm': {
        const room = this.rooms.get(msg.roomId)
        if (!room || !room.members.has(peerId)) return protocolError('not_in_room')
        if (room.curatorId !== peerId) return protocolError('not_curator')
        this.opts.swarms?.set(msg.roomId, msg.infoHashes)
        ack?.(okReply(peerId, room))
        return
      }
      case 'signal': {
        const room = this.rooms.get(msg.roomId)
        if (!room || !room.members.has(peerId)) return protocolError('not_in_room')
        const target = room.members.has(msg.to) ? this.sockets.get(msg.to) : undefined
        if (!target) return protocolError('unknown_peer')
        target.emit('msg', { type: 'signal', roomId: msg.roomId, from: peerId, data: msg.data })
        return
      }
      case 'room.key': {
        const r = this.rooms.setKey(msg.roomId, peerId, msg)
        if (!r.ok) return r.error
        if (r.value.changed) {
          this.publish(r.value.room)
          this.log.info({ roomId: msg.roomId, epoch: msg.epoch }, 'curator key registered')
        }
        ack?.(okReply(peerId, r.value.room))
        return
      }
      case 'room.handoff': {
        const r = this.rooms.handoff(msg.roomId, peerId, msg)
        if (!r.ok) return r.error
        this.publish(r.value)
        this.log.info({ roomId: msg.roomId, epoch: r.value.epoch }, 'curator handed over')
        ack?.(okReply(peerId, r.value))
        return
      }
      case 'room.playing': {
        const room = this.rooms.get(msg.roomId)
        if (!room || !room.members.has(peerId)) return protocolError('not_in_room')
        if (room.curatorId !== peerId) return protocolError('not_curator')
        const t = msg.trackId === null ? undefined : this.opts.track?.(msg.trackId)
        if (msg.trackId !== null && !t) return protocolError('track_not_found')
        room.playing = t && { title: t.title, artist: t.artist, codec: t.codec, sampleRate: t.sampleRate, bitsPerSample: t.bitsPerSample }
        room.playingTrackId = t ? msg.trackId! : undefined
        room.playingFrom = t && msg.positionSec !== undefined ? { positionSec: msg.positionSec, at: performance.now() } : undefined
        if (room.visibility === 'public') this.lobbyChanged()
        ack?.(okReply(peerId, room))
        return
      }
      case 'room.anchor': {
        const room = this.rooms.get(msg.roomId)
        if (!room || !room.members.has(peerId)) return protocolError('not_in_room')
        if (room.curatorId !== peerId) return protocolError('not_curator')
        // Kept unread for joiners: it must be an anchor of this curatorship (the joiner checks the signature).
        if (msg.state.body.type !== 'anchor') return protocolError('invalid_message', 'room.anchor carries an anchor')
        if (msg.state.epoch !== room.epoch) return protocolError('stale_epoch')
        room.relayed = { state: msg.state, clock: msg.clock }
        ack?.(okReply(peerId, room))
        return
      }
      case 'room.claim': {
        const r = this.rooms.checkClaim(msg.roomId, peerId, msg.epoch)
        if (!r.ok) return r.error
        // The curator's own claim: nothing to do.
        if (r.value.self) ack?.(okReply(peerId, r.value.room))
        else void this.claim(peerId, msg, ack, refuse)
        return
      }
    }
  }

  /** Grants the claim if the curator fails its check and nothing changed meanwhile. */
  private async claim(peerId: string, msg: ClaimMessage, ack: Ack | undefined, refuse: Refuse): Promise<void> {
    try {
      const outcome = await this.checkCurator(msg.roomId, msg.epoch)
      if (outcome === 'alive') return refuse(protocolError('curator_alive'))
      // Re-checks the epoch: another claim, a leave or a hand-over may have ended it.
      const r = this.rooms.grantClaim(msg.roomId, peerId, msg.epoch)
      if (!r.ok) return refuse(r.error)
      this.publish(r.value)
      this.log.info({ roomId: msg.roomId, epoch: r.value.epoch, outcome }, 'curator claim granted')
      ack?.(okReply(peerId, r.value))
    } catch (err) {
      this.log.error({ err, roomId: msg.roomId }, 'curator claim failed')
    }
  }

  private checkCurator(roomId: string, epoch: number): Promise<CheckOutcome> {
    const key = `${roomId}/${epoch}`
    let pending = this.checks.get(key)
    if (!pending) {
      pending = this.askCurator(roomId).finally(() => this.checks.delete(key))
      this.checks.set(key, pending)
    }
    return pending
  }

  private async askCurator(roomId: string): Promise<CheckOutcome> {
    const curatorId = this.rooms.get(roomId)?.curatorId
    const curator = curatorId === undefined ? undefined : this.sockets.get(curatorId)
    if (!curator?.connected) return 'gone'
    let answer: unknown
    try {
      answer = await (curator as unknown as CheckSock)
        .timeout(this.opts.curatorCheckMs ?? CURATOR_CHECK_MS)
        .emitWithAck('msg', { type: 'curator.check', roomId })
    } catch {
      return curator.connected ? 'no_answer' : 'gone'
    }
    const reply = v.safeParse(CuratorCheckReply, answer)
    if (!reply.success) return 'malformed'
    return reply.output.alive ? 'alive' : 'not_alive'
  }

  private enter(socket: Sock, room: Room): void {
    socket.data.rooms.add(room.id)
    void socket.join(roomChannel(room.id))
    this.publish(room)
  }

  private leave(socket: Sock, roomId: string): void {
    socket.data.rooms.delete(roomId)
    void socket.leave(roomChannel(roomId))
    const room = this.rooms.leave(roomId, socket.data.peerId)
    if (room) this.publish(room)
  }

  private publish(room: Room): void {
    if (room.members.size > 0) this.io.to(roomChannel(room.id)).emit('msg', { type: 'room.state', room: roomView(room) })
    if (room.visibility === 'public') this.lobbyChanged()
  }

  /** Lobby pushes are coalesced: a burst of joins becomes one update. */
  private lobbyChanged(): void {
    if (this.lobbyTimer) return
    this.lobbyTimer = setTimeout(() => {
      this.lobbyTimer = undefined
      this.io.to(LOBBY).emit('msg', { type: 'lobby.rooms', rooms: this.rooms.publicSummaries() })
    }, 100)
  }

  private sweep(): void {
    const removed = this.rooms.sweep()
    for (const id of removed) this.opts.swarms?.dropRoom(id)
    if (removed.length > 0) {
      this.log.info({ removed: removed.length }, 'removed empty rooms')
      this.lobbyChanged()
    }
  }
}

function okReply(peerId: string, room: Room): Reply {
  return { ok: true, peerId, room: roomView(room), lurker: room.members.get(peerId)?.lurker ?? false }
}
