/**
 * Who may change the room, and how it is proven. The curator's page signs
 * every state it sends (anchors, mode, chat switch, chat lines, vote tallies)
 * with a key registered with the room for the current epoch; every page
 * verifies them. Listeners' wishes travel as requests to the curator, who
 * applies, counts or refuses them according to the control mode.
 */
import {
  protocolError,
  ROOM_LIMITS,
  ROOM_REFUSALS,
  type ControlMode,
  type LocalTrack,
  type PeerMessage,
  type Proposal,
  type ProtocolError,
  type RoomRefusal,
  type RoomRequest,
  type SignedBody,
  type SignedState,
  type Track,
} from '../../../../protocol/index.ts'
import type { PeerLink } from '../peer-link.ts'
import type { RoomSession } from '../room-session.svelte.ts'
import type { SignalClient } from '../signal-client.svelte.ts'
import { pageServerClock } from '../sync/clock-channel.ts'
import type { RoomPlayback } from '../sync/room-playback.svelte.ts'
import { syncNow } from '../sync/sync-clock.ts'
import { roomTrackList, setRoomTracks } from '../tracks.ts'
import { createSigner, StatePublisher, StateVerifier } from './authority.ts'
import { appendLine, ChatGate, type ChatLine } from './chat.ts'
import { checkHandover, CuratorWatch } from './handoff.ts'
import { route, type Actor } from './permissions.ts'
import { apply as applyQueue, reduce as reduceQueue, type QueueRequest } from './queue.ts'
import { electorateOf, VoteBox } from './votes.ts'

type RequestResult = Extract<PeerMessage, { type: 'request.result' }>
const REQUEST_TIMEOUT_MS = 5000
const ROLE_CHECK_MS = 250
const SETTINGS_REFRESH_MS = 3000

export class RoomControl {
  mode = $state<ControlMode>('curator')
  chatEnabled = $state(false)
  chatLines = $state<ChatLine[]>([])
  tallies = $state<{ proposal: Proposal; votes: number; needed: number }[]>([])
  /** The last answer to something this person tried (a refusal, a vote counted). */
  notice = $state<string | null>(null)
  /** Whether this page's own curator state is signed and registered (or we follow a verified curator). */
  trusted = $state(false)

  private readonly verifier: StateVerifier
  private publisher: StatePublisher | null = null
  private keyEpoch = -1
  private readonly latest = new Map<SignedBody['type'], SignedState>()
  private readonly votes = new VoteBox()
  private watch: CuratorWatch | null = null
  private readonly gate = new ChatGate()
  private nextRequest = 1
  private readonly pending = new Map<number, (r: RequestResult | null) => void>()
  private readonly disposers: (() => void)[] = []
  private destroyed = false

  constructor(
    private readonly session: RoomSession,
    private readonly client: SignalClient,
    private readonly playback: RoomPlayback,
    private readonly library: () => Track[],
    initialMode: ControlMode = 'curator',
  ) {
    this.mode = initialMode
    this.verifier = new StateVerifier(session.roomId)
    playback.broadcast = (anchor) => void this.seal({ ...anchor })
    const onMessage = (m: PeerMessage, from: PeerLink) => void this.onPeerMessage(m, from)
    const onOpen = (link: PeerLink) => {
      // A newcomer gets the current state at once, in the order it was made.
      if (!this.session.isCurator) return
      for (const s of [...this.latest.values()].sort((a, b) => a.seq - b.seq)) link.send(s)
    }
    session.peerMessages.add(onMessage)
    session.linkOpened.add(onOpen)
    const timer = setInterval(() => this.syncRole(), ROLE_CHECK_MS)
    // Room settings ride along every few seconds: a listener whose view of
    // the key lagged behind (and so dropped them) catches up.
    const refresh = setInterval(() => {
      if (!this.isCurator || !this.publisher) return
      void this.seal({ type: 'mode', mode: this.mode })
      void this.seal({ type: 'chat.config', enabled: this.chatEnabled })
    }, SETTINGS_REFRESH_MS)
    this.disposers.push(
      () => session.peerMessages.delete(onMessage),
      () => session.linkOpened.delete(onOpen),
      () => clearInterval(timer),
      () => clearInterval(refresh),
    )
    this.syncRole()
    this.takeRelayed()
  }

  /**
   * A joiner: the curator's anchor as the server relayed it with the join
   * reply. Checked like any curator state (the server cannot forge one), it
   * starts the sound before the link to the curator is up (RoomPlayback.bridge).
   */
  private takeRelayed(): void {
    const relayed = this.session.relayed
    this.session.relayed = undefined
    if (!relayed || this.isCurator || relayed.state.body.type !== 'anchor') return
    const anchor = relayed.state.body
    void this.verifier.authentic(relayed.state).then((verdict) => {
      if (this.destroyed) return
      if (!verdict.ok) return console.warn(`[room] dropped the relayed curator state: ${verdict.reason}`)
      this.playback.bridge(anchor, relayed.clock)
    })
  }

  get isCurator(): boolean {
    return this.session.isCurator
  }

  private get actor(): Actor {
    return { isCurator: this.isCurator, lurker: this.session.lurker }
  }

  /** How this person's click on `action` would reach the room. */
  routeOf(action: RoomRequest['action']): ReturnType<typeof route> {
    return route(this.mode, action, this.actor)
  }

  destroy(): void {
    this.destroyed = true
    for (const d of this.disposers.splice(0)) d()
    for (const resolve of this.pending.values()) resolve(null)
    this.pending.clear()
  }

  // ---- what people do --------------------------------------------------------

  async act(request: RoomRequest): Promise<void> {
    this.notice = null
    if (this.isCurator) {
      const refusal = this.applyAsCurator(request, this.session.peerId ?? '', this.actor)
      if (refusal) this.notice = ROOM_REFUSALS[refusal]
      return
    }
    if (this.routeOf(request.action) === 'deny') {
      this.notice = ROOM_REFUSALS[this.session.lurker ? 'lurker' : 'not_allowed']
      return
    }
    const result = await this.ask(request)
    if (!result) this.notice = 'The curator did not answer; try again.'
    else if (result.outcome === 'refused') this.notice = ROOM_REFUSALS[result.reason]
    else if (result.outcome === 'voted') this.notice = 'Your vote is counted.'
  }

  /**
   * The curator hands the role to a visible listener by choice (issue #7).
   * Nothing else changes here: the server bumps the epoch, and every page
   * follows its RoomView as in an automatic hand-off (syncRole; the new
   * curator's playback re-expresses the anchor on its own clock). Returns
   * the refusal, if any, for the page to show.
   */
  async handOver(peerId: string): Promise<ProtocolError | null> {
    const room = this.session.room
    if (!room) return protocolError('not_in_room')
    const check = checkHandover(room, this.session.peerId ?? '', peerId)
    if (!check.ok) return protocolError(check.reason === 'not_curator' ? 'not_curator' : 'handoff_target')
    const reply = await this.client.request({ type: 'room.handoff', roomId: room.id, to: peerId, epoch: room.epoch ?? 0 })
    return reply.ok ? null : reply.error
  }

  private ask(request: RoomRequest): Promise<RequestResult | null> {
    const curator = this.session.room?.curatorId
    const link = curator ? this.session.mesh?.link(curator) : undefined
    if (!link) return Promise.resolve(null)
    const id = this.nextRequest++
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        resolve(null)
      }, REQUEST_TIMEOUT_MS)
      this.pending.set(id, (r) => {
        clearTimeout(timer)
        resolve(r)
      })
      link.send({ type: 'request', id, request })
    })
  }

  /**
   * The curator queues one of its own files (already seeded by the room's
   * swarm): the room first learns the track (signed, so listeners can name
   * it and find its swarm), then the queue gains it, in that order on the wire.
   */
  async addLocalTrack(track: LocalTrack): Promise<void> {
    if (!this.isCurator) throw new Error(protocolError('not_curator').message)
    const known = roomTrackList().filter((t) => t.id !== track.id)
    await this.seal({ type: 'tracks', tracks: [...known, track].slice(-ROOM_LIMITS.maxLocalTracks) })
    await this.act({ action: 'queue.add', trackId: track.id })
  }

  // ---- the curator's side ---------------------------------------------------------

  /** Applies a request (the curator's own or a listener's); returns why not, if not. */
  private applyAsCurator(req: RoomRequest, fromId: string, actor: Actor): RoomRefusal | null {
    const how = route(this.mode, req.action, actor)
    switch (req.action) {
      case 'chat.send': {
        const ok = this.gate.admit({ enabled: this.chatEnabled }, actor, fromId, req.text, Date.now())
        if (!ok.ok) return ok.reason
        void this.seal({ type: 'chat', from: fromId, text: ok.text, at: syncNow() })
        return null
      }
      case 'mode.change':
        if (how !== 'direct') return 'not_allowed'
        void this.seal({ type: 'mode', mode: req.mode })
        return null
      case 'chat.toggle':
        if (how !== 'direct') return 'not_allowed'
        void this.seal({ type: 'chat.config', enabled: req.enabled })
        return null
      case 'play':
      case 'pause':
        if (how === 'deny' || how === 'vote') return actor.lurker ? 'lurker' : 'not_allowed'
        if (req.action === 'pause') this.playback.pause()
        else this.playback.resume()
        return null
      case 'seek':
        if (how === 'deny' || how === 'vote') return actor.lurker ? 'lurker' : 'not_allowed'
        if (req.index >= this.playback.queueState().tracks.length) return 'out_of_range'
        this.playback.seek(req.index, req.positionFrames)
        return null
      default:
        return this.applyQueue(req, fromId, actor)
    }
  }

  private applyQueue(req: QueueRequest, fromId: string, actor: Actor): RoomRefusal | null {
    const rules = { isKnownTrack: (id: string) => this.library().some((t) => t.id === id) }
    const state = this.playback.queueState()
    const result = applyQueue(state, req, actor, this.mode, rules)
    if (result.kind === 'refused') return result.reason
    if (result.kind === 'applied') {
      this.commitQueue(result.state.tracks, result.state.index, result.currentChanged, result.ended)
      return null
    }
    const room = this.session.room
    if (!room) return 'not_member'
    const cast = this.votes.cast(result.proposal, fromId, electorateOf(room), Date.now())
    if (!cast.ok) return cast.reason
    if (cast.passed) this.carry(result.proposal)
    this.publishTallies()
    return null
  }

  /** A proposal passed: the curator applies it as its own. */
  private carry(proposal: Proposal): void {
    const rules = { isKnownTrack: (id: string) => this.library().some((t) => t.id === id) }
    const state = this.playback.queueState()
    const req: QueueRequest = proposal === 'skip' ? { action: 'next', at: state.index } : { action: 'queue.add', trackId: proposal.slice(4) }
    const r = reduceQueue(state, req, rules)
    if (r.kind === 'applied') this.commitQueue(r.state.tracks, r.state.index, r.currentChanged, r.ended)
  }

  private commitQueue(tracks: readonly string[], index: number, currentChanged: boolean, ended: boolean): void {
    this.playback.setQueue([...tracks], index, ended ? 'stop' : currentChanged ? 'restart' : 'keep')
    if (currentChanged) {
      // Skip votes were about the track that just went.
      this.votes.trackChanged()
      this.publishTallies()
    }
  }

  private publishTallies(): void {
    const room = this.session.room
    if (!room) return
    const tallies = this.votes.tallies(electorateOf(room), Date.now())
    void this.seal({ type: 'votes', tallies: tallies.map((t) => ({ proposal: t.proposal, votes: t.votes, needed: t.needed, expiresAt: syncNow() + (t.expiresAt - Date.now()) })) })
  }

  /** Signs a state, applies it here, and sends it to everyone. */
  private async seal(body: SignedBody): Promise<void> {
    if (!this.isCurator) return
    this.take(body)
    const publisher = this.publisher
    if (!publisher) return // re-sent once the key is registered (syncRole)
    const sealed = await publisher.seal(body)
    if (publisher !== this.publisher) return
    // The latest of each kind of state, for newcomers; chat lines are not state.
    if (body.type !== 'chat') this.latest.set(body.type, sealed)
    this.session.mesh?.broadcast(sealed)
    // Joiners get the latest anchor from the server too, with where this page's clock stands against the server's.
    const clock = body.type === 'anchor' ? pageServerClock().curatorClock() : null
    if (clock) this.client.send({ type: 'room.anchor', roomId: this.session.roomId, state: sealed, clock })
  }

  /** Keys follow the curatorship: a new epoch gets a new key, registered before anything is signed. */
  private syncRole(): void {
    const room = this.session.room
    if (!room) return
    this.verifier.setCurator(room.curatorKey ?? null, room.epoch ?? 0)
    this.claimIfCuratorSilent(room)
    // Someone left: a proposal may pass now with the smaller room.
    const passed = this.votes.settle(electorateOf(room), Date.now())
    if (this.isCurator) for (const p of passed) this.carry(p)
    if (!this.isCurator || this.keyEpoch === (room.epoch ?? 0)) return
    const epoch = room.epoch ?? 0
    this.keyEpoch = epoch
    this.publisher = null
    this.trusted = false
    void (async () => {
      const signer = await createSigner()
      const reply = await this.client.request({ type: 'room.key', roomId: room.id, publicKey: signer.publicKey, epoch })
      if (!reply.ok) {
        this.notice = reply.error.message
        this.keyEpoch = -1 // try again on the next check
        return
      }
      if ((this.session.room?.epoch ?? 0) !== epoch) return
      this.publisher = new StatePublisher(room.id, signer, epoch)
      this.trusted = true
      // Everything the room needs to know, under the new key.
      void this.seal({ type: 'mode', mode: this.mode })
      void this.seal({ type: 'chat.config', enabled: this.chatEnabled })
      // The room's local files as we know them (before any anchor that queues them).
      const local = roomTrackList()
      if (local.length > 0) void this.seal({ type: 'tracks', tracks: local })
      // Our own anchor only: one inherited from the last curator is on their
      // clock, and the playback re-expresses it on ours first (takeover).
      const a = this.playback.anchorIsMine ? this.playback.anchor : null
      if (a) {
        const { type: _t, ...rest } = a
        void this.seal({ type: 'anchor', ...rest })
      }
    })().catch((err: Error) => {
      this.notice = protocolError('connection_lost', err.message).message
      this.keyEpoch = -1
    })
  }

  /**
   * A curator whose tab froze or whose network vanished still holds the role
   * on the server; after a few seconds of silence the senior listener claims
   * it (the server asks the curator first, see signal-hub.ts).
   */
  private claimIfCuratorSilent(room: NonNullable<RoomSession['room']>): void {
    const self = this.session.peerId
    if (!self || this.session.lurker) return
    this.watch ??= new CuratorWatch(self, Date.now())
    const now = Date.now()
    const decision = this.watch.shouldClaim(room, now)
    if (!decision.claim) return
    this.watch.claimed(now)
    void this.client.request({ type: 'room.claim', roomId: room.id, epoch: decision.epoch }).then((r) => {
      if (!r.ok && r.error.code !== 'curator_alive' && r.error.code !== 'stale_epoch') console.warn('[room] claim refused:', r.error.message)
    })
  }

  // ---- everyone's side ------------------------------------------------------------

  private async onPeerMessage(m: PeerMessage, from: PeerLink): Promise<void> {
    switch (m.type) {
      case 'signed': {
        if (this.isCurator) return
        let verdict = await this.verifier.accept(m)
        if (!verdict.ok && verdict.reason === 'wrong-key') {
          // A new curator's first states can beat our periodic look at the
          // room's key (syncRole, every 250 ms): look now, and check again.
          const room = this.session.room
          if (room) this.verifier.setCurator(room.curatorKey ?? null, room.epoch ?? 0)
          verdict = await this.verifier.accept(m)
        }
        if (!verdict.ok) {
          console.warn(`[room] dropped a curator state from ${from.remoteId}: ${verdict.reason}`)
          return
        }
        this.trusted = true
        this.watch?.heard(Date.now())
        if (m.body.type === 'anchor') this.playback.receive(m.body, from)
        else this.take(m.body)
        return
      }
      case 'request': {
        if (!this.isCurator) return
        const visible = this.session.room?.members.some((x) => x.peerId === from.remoteId) ?? false
        const refusal = this.applyAsCurator(m.request, from.remoteId, { isCurator: false, lurker: !visible })
        const answer: RequestResult = refusal
          ? { type: 'request.result', id: m.id, outcome: 'refused', reason: refusal }
          : m.request.action === 'next' && this.mode === 'vote'
            ? { type: 'request.result', id: m.id, outcome: 'voted', proposal: 'skip' }
            : m.request.action === 'queue.add' && this.mode === 'vote'
              ? { type: 'request.result', id: m.id, outcome: 'voted', proposal: `add:${m.request.trackId}` }
              : { type: 'request.result', id: m.id, outcome: 'applied' }
        from.send(answer)
        return
      }
      case 'request.result': {
        this.pending.get(m.id)?.(m)
        this.pending.delete(m.id)
        return
      }
    }
  }

  /** Applies a (verified, or our own) state to what this page shows. */
  private take(body: SignedBody): void {
    switch (body.type) {
      case 'mode':
        this.mode = body.mode
        return
      case 'chat.config':
        this.chatEnabled = body.enabled
        return
      case 'chat':
        this.chatLines = appendLine(this.chatLines, { from: body.from, text: body.text, at: body.at })
        return
      case 'votes':
        this.tallies = body.tallies.map(({ proposal, votes, needed }) => ({ proposal: proposal as Proposal, votes, needed }))
        return
      case 'tracks':
        setRoomTracks(body.tracks)
        return
      case 'anchor':
        return // the curator's own anchors are applied by the playback itself
    }
  }
}
