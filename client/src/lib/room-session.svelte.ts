/**
 * One person's membership of one room: the join/leave lifecycle, the room
 * state the server pushes, and the peer mesh. Components only render it.
 */
import type { ControlMode, ProtocolError, Reply, RoomView, ServerMessage } from '../../../protocol/index.ts'
import { iceServers } from './client-config.ts'
import type { AppMessage, PeerLink } from './peer-link.ts'
import { PeerMesh } from './peer-mesh.svelte.ts'
import { HeldRelay } from './held-relay.ts'
import type { SignalClient } from './signal-client.svelte.ts'
import { startClockWorker } from './sync/clock-channel.ts'

export type SessionStatus = 'joining' | 'joined' | 'error' | 'left'

export interface JoinRequest {
  roomId: string
  token?: string | undefined
  displayName: string
  lurker: boolean
}

/**
 * A joiner's room page waits at most this long for its link to the curator to
 * be underway (RoomSession.join); on this 2-core machine the curator's answer
 * and candidate came 10-60 ms after the offer.
 */
const LINK_WAIT_MAX_MS = 250

export class RoomSession {
  status = $state<SessionStatus>('joining')
  error = $state<ProtocolError | null>(null)
  room = $state<RoomView | null>(null)
  /** When `room` arrived (performance.now()): its playingPositionSec held then. */
  roomAt = 0
  peerId = $state<string | null>(null)
  lurker = $state(false)
  mesh = $state<PeerMesh | null>(null)
  token: string | undefined
  /** The ICE servers this membership's peer connections use (none unless the operator set ICE_SERVERS). */
  iceServers: RTCIceServer[] = []
  /** The join's copy of the curator's last anchor and clock word, relayed by the server (taken once, by the room's control). */
  relayed: Extract<Reply, { ok: true }>['relayed']
  /** The control mode chosen when this person created the room (the curator's page holds the mode). */
  initialMode: ControlMode = 'curator'
  /** Validated data-channel messages from any peer, and links as they open (held until the room page listens). */
  readonly peerMessages = new HeldRelay<[m: AppMessage, from: PeerLink]>()
  readonly linkOpened = new HeldRelay<[link: PeerLink]>()
  private displayName = ''
  /** The newest room push that arrived before our join reply. */
  private early: RoomView | undefined
  private readonly disposers: (() => void)[] = []

  private constructor(
    private readonly client: SignalClient,
    readonly roomId: string,
  ) {
    this.disposers.push(
      client.subscribe((m) => this.onMessage(m)),
      client.onReconnect(() => void this.rejoin()),
    )
  }

  static async create(
    client: SignalClient,
    req: { name: string; visibility: 'public' | 'invite'; maxListeners: number; displayName: string },
  ): Promise<RoomSession | ProtocolError> {
    startClockWorker()
    const [ice, reply] = await Promise.all([iceServers(), client.request({ type: 'room.create', ...req })])
    if (!reply.ok) return reply.error
    const session = new RoomSession(client, reply.room.id)
    session.displayName = req.displayName
    session.accept(reply, ice)
    return session
  }

  /** `onJoined`: the join is answered (the room known); the room page is not mounted yet. */
  static async join(client: SignalClient, req: JoinRequest, onJoined?: (session: RoomSession) => void): Promise<RoomSession> {
    const session = new RoomSession(client, req.roomId)
    session.token = req.token
    session.displayName = req.displayName
    session.lurker = req.lurker
    // The clock worker loads while the join is answered; neither waits on the other.
    startClockWorker()
    performance.mark('aula:join-sent')
    const [ice, reply] = await Promise.all([iceServers(), client.request({ type: 'room.join', ...req })])
    session.accept(reply, ice)
    if (session.status === 'joined') onJoined?.(session)
    // The room page mounts once the link to the curator is underway
    // (PeerMesh.underway), its answer applied ahead of the mount's long task.
    // Unless the server relayed the curator's anchor: the sound then starts
    // without the link (RoomPlayback.bridge), and waiting held it back
    // 120-380 ms (bench/sync).
    const curator = session.room?.curatorId
    if (curator && !session.relayed) await session.mesh?.underway(curator, LINK_WAIT_MAX_MS)
    return session
  }

  get isCurator(): boolean {
    return this.room !== null && this.room.curatorId === this.peerId
  }

  leave(): void {
    if (this.status === 'joined') this.client.send({ type: 'room.leave', roomId: this.roomId })
    this.status = 'left'
    this.destroy()
  }

  destroy(): void {
    for (const d of this.disposers.splice(0)) d()
    this.mesh?.destroy()
    this.mesh = null
    this.peerMessages.clear()
    this.linkOpened.clear()
  }

  private accept(reply: Reply, ice: RTCIceServer[]): void {
    if (!reply.ok) {
      this.status = 'error'
      this.error = reply.error
      return
    }
    if (reply.token) this.token = reply.token
    this.relayed = reply.relayed
    this.iceServers = ice
    this.peerId = reply.peerId
    this.lurker = reply.lurker
    this.error = null
    this.mesh?.destroy()
    const client = this.client
    const roomId = this.roomId
    this.mesh = new PeerMesh(
      reply.peerId,
      reply.lurker,
      ice,
      (to, data) => client.send({ type: 'signal', roomId, to, data }),
      (m, from) => this.peerMessages.emit(m, from),
    )
    this.mesh.onOpen = (link) => {
      this.linkOpened.emit(link)
    }
    this.status = 'joined'
    performance.mark('aula:joined')
    this.applyRoom(reply.room)
    if (this.early) this.applyRoom(this.early)
    this.early = undefined
  }

  /** Pushes may overtake the join reply (or trail it): keep the newest view. */
  private applyRoom(room: RoomView): void {
    if (this.room && this.room.id === room.id && this.room.rev > room.rev) return
    this.room = room
    this.roomAt = performance.now()
    this.mesh?.update(room)
  }

  /** After a reconnect the server has forgotten us: join again, with a new peer id. */
  private async rejoin(): Promise<void> {
    if (this.status !== 'joined') return
    this.status = 'joining'
    const ice = await iceServers()
    const reply = await this.client.request({
      type: 'room.join',
      roomId: this.roomId,
      token: this.token,
      displayName: this.displayName,
      lurker: this.lurker,
    })
    this.room = null // a new membership: revisions start over
    this.early = undefined
    this.accept(reply, ice)
  }

  private onMessage(m: ServerMessage): void {
    if (m.type === 'room.state' && m.room.id === this.roomId) {
      if (this.status === 'joined') this.applyRoom(m.room)
      else if (this.status === 'joining' && (this.early?.rev ?? -1) < m.room.rev) this.early = m.room
    } else if (m.type === 'signal' && m.roomId === this.roomId) {
      this.mesh?.onSignal(m.from, m.data)
    }
  }
}
