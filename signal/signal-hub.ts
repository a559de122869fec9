/**
 * Socket.IO adapter around the pure RoomRegistry: validates every message,
 * applies rate limits, relays WebRTC signaling between members of one room,
 * and pushes room state and the public lobby.
 */
import type { Server, Socket } from 'socket.io'
import {
  compareVersion,
  Handshake,
  LIMITS,
  parseClientMessage,
  protocolError,
  type ClientMessage,
  type ProtocolError,
  type Reply,
} from '../protocol/index.ts'
import * as v from 'valibot'
import { randomId } from './ids.ts'
import type { Logger } from './log.ts'
import type { Metrics } from './metrics.ts'
import { TokenBucket } from './rate-limit.ts'
import { roomView, type Room, type RoomRegistry } from './rooms.ts'
import type { ClientToServerEvents, ServerToClientEvents, SocketData } from './socket-events.ts'

type IO = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>
type Sock = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>

export interface HubOptions {
  /** How often empty rooms are swept; the registry holds the grace period itself. */
  graceMs: number
  log: Logger
  metrics: Metrics
}

const LOBBY = 'lobby'
const roomChannel = (id: string) => `room:${id}`

export class SignalHub {
  private readonly sockets = new Map<string, Sock>()
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
      const bucket = msg.type === 'signal' ? buckets.signal : msg.type === 'quality.report' ? buckets.report : buckets.room
      if (!bucket.take(Date.now())) return reject(protocolError('rate_limited'), ack)
      const error = this.dispatch(socket, msg, ack)
      if (error) reject(error, ack)
    })

    socket.on('disconnect', () => {
      this.sockets.delete(peerId)
      for (const roomId of socket.data.rooms) this.leave(socket, roomId)
    })
  }

  /** Returns an error for the sender, or undefined when handled. */
  private dispatch(socket: Sock, msg: ClientMessage, ack: ((r: Reply) => void) | undefined): ProtocolError | undefined {
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
        ack?.({ ok: true, peerId, room: roomView(r.value), lurker: me?.lurker ?? msg.lurker })
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
      case 'signal': {
        const room = this.rooms.get(msg.roomId)
        if (!room || !room.members.has(peerId)) return protocolError('not_in_room')
        const target = room.members.has(msg.to) ? this.sockets.get(msg.to) : undefined
        if (!target) return protocolError('unknown_peer')
        target.emit('msg', { type: 'signal', roomId: msg.roomId, from: peerId, data: msg.data })
        return
      }
    }
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
    if (removed.length > 0) {
      this.log.info({ removed: removed.length }, 'removed empty rooms')
      this.lobbyChanged()
    }
  }
}
