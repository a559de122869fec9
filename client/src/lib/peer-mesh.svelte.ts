/**
 * The room's data channels: one PeerLink per remote peer, reconciled with the
 * room membership the signal server pushes (y-webrtc's shape).
 */
import type { RoomView } from '../../../protocol/index.ts'
import { acceptsDial, planLinks, type MeshInput } from './mesh-plan.ts'
import type { PeerMessage } from '../../../protocol/index.ts'
import { PeerLink, type AppMessage } from './peer-link.ts'
import { workerClockPath } from './sync/clock-channel.ts'

export interface PeerStatus {
  peerId: string
  state: PeerLink['state']
  rttMs: number | null
  minRttMs: number | null
}

/** Round trips shown in the listener list are refreshed at most this often. */
const RTT_REFRESH_MS = 250
/** How long links to listeners wait for the curator's link to open before dialling anyway. */
const CURATOR_FIRST_MS = 1500

export class PeerMesh {
  /** Reactive snapshot of every link, for the room page. */
  peers = $state<PeerStatus[]>([])
  private readonly links = new Map<string, PeerLink>()
  private input: MeshInput | undefined
  private room: RoomView | undefined
  private destroyed = false
  /**
   * How far the remote end of each dialled link has come (see underway):
   * its answer, that answer applied, a candidate of theirs. Who waits on it.
   */
  private readonly answers = new Map<string, { answer: boolean; applied: boolean; candidate: boolean }>()
  private readonly waitingAnswer = new Map<string, () => void>()
  private refreshTimer: ReturnType<typeof setTimeout> | undefined
  /** When this page last dialled the curator (see update). */
  private dialledCuratorAt = -Infinity
  /** Redials links that dropped while both ends are still in the room. */
  private readonly redial = setInterval(() => this.room && this.update(this.room), 2000)

  constructor(
    private readonly selfId: string,
    private readonly selfLurker: boolean,
    private readonly iceServers: RTCIceServer[],
    private readonly sendSignal: (to: string, data: Record<string, unknown>) => void,
    /** Messages beyond the link's own clock exchanges, already validated. */
    private readonly onMessage: (m: AppMessage, from: PeerLink) => void = () => {},
  ) {}

  /**
   * Resolves once `peerId`'s answer to this page's offer is applied and one
   * of their candidates handed to the connection, or the link has opened or
   * closed, or after `maxMs`; at once when this page is not dialling them.
   * From there ICE and DTLS go on off the page's main thread. A joiner's room
   * page mounts after this: mounted first, its ~150-200 ms on a busy machine
   * held the answer (then simple-peer's hand-over of the candidates, which
   * waits on a main-thread task) in the queue, and the link opened that much
   * later (a probe; ICE to DTLS to open takes ~25 ms).
   */
  underway(peerId: string, maxMs: number): Promise<void> {
    const link = this.links.get(peerId)
    if (!link || link.state !== 'connecting' || this.remoteReady(peerId)) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(done, maxMs)
      const waiting = this.waitingAnswer
      function done() {
        clearTimeout(timer)
        if (waiting.get(peerId) === done) waiting.delete(peerId)
        resolve()
      }
      this.waitingAnswer.set(peerId, done)
    })
  }

  link(peerId: string): PeerLink | undefined {
    const l = this.links.get(peerId)
    return l?.state === 'open' ? l : undefined
  }

  openLinks(): PeerLink[] {
    return [...this.links.values()].filter((l) => l.state === 'open')
  }

  broadcast(m: PeerMessage): void {
    for (const l of this.openLinks()) l.send(m)
  }

  /** Called when a link opens, e.g. so the curator can send its state at once. */
  onOpen: ((link: PeerLink) => void) | undefined

  update(room: RoomView): void {
    if (this.destroyed) return
    this.room = room
    this.input = { selfId: this.selfId, selfLurker: this.selfLurker, curatorId: room.curatorId, members: room.members }
    const planned = planLinks(this.input)
    const keep = new Set(planned.map((l) => l.peerId))
    // The curator keeps whoever dialled it, lurkers included (they are not in
    // the visible list but the server vouched for them when relaying).
    if (this.selfId === room.curatorId) for (const id of this.links.keys()) keep.add(id)
    for (const [id, link] of this.links) {
      const gone = !keep.has(id) || (link.state === 'closed' && planned.some((l) => l.peerId === id && l.initiator))
      if (gone) this.drop(id)
    }
    // The curator's link first: a joiner's clock estimate and the room's
    // state come over it. Links to listeners follow once it is open (or
    // failing), not competing with it for the page's main thread (and, in a
    // fresh browser, its first ICE and mDNS work). planLinks lists the
    // curator first; whether its link is coming is asked again after it is
    // dialled (read once before the loop, it let every listener link go at once).
    for (const l of planned) {
      if (!l.initiator || this.links.has(l.peerId)) continue
      const curatorLink = this.links.get(room.curatorId)
      const curatorComing = curatorLink?.state === 'connecting' && performance.now() - this.dialledCuratorAt < CURATOR_FIRST_MS
      if (l.peerId !== room.curatorId && curatorComing) continue
      this.open(l.peerId, true)
      if (l.peerId === room.curatorId) this.dialledCuratorAt = performance.now()
    }
    this.refresh()
  }

  onSignal(from: string, data: Record<string, unknown>): void {
    if (this.destroyed) return
    let link = this.links.get(from)
    if (!link || link.state === 'closed') {
      // Only an offer starts a link; stray candidates for a dead link are dropped.
      if (data.type !== 'offer' || !this.input || !acceptsDial(this.input, from)) return
      if (link) this.drop(from)
      link = this.open(from, false)
    }
    link.signal(data)
    const answer = this.answers.get(from)
    if (answer && (data.type === 'answer' || data.type === 'candidate')) {
      answer[data.type] = true
      this.noteRemoteProgress(from)
    }
  }

  destroy(): void {
    if (this.destroyed) return
    this.destroyed = true
    clearInterval(this.redial)
    clearTimeout(this.refreshTimer)
    for (const id of [...this.links.keys()]) this.drop(id)
    this.peers = []
  }

  private open(peerId: string, initiator: boolean): PeerLink {
    const link = new PeerLink({
      remoteId: peerId,
      initiator,
      iceServers: this.iceServers,
      sendSignal: (data) => this.sendSignal(peerId, data),
      onDescribed: () => {
        const answer = this.answers.get(peerId)
        if (!answer?.answer) return
        // After simple-peer's reaction to the same change has handed over the candidates it held.
        setTimeout(() => {
          answer.applied = true
          this.noteRemoteProgress(peerId)
        })
      },
      clockPath: workerClockPath,
      onChange: () => {
        if (link.state !== 'connecting') this.waitingAnswer.get(peerId)?.()
        if (link.state === 'open' && !opened) {
          opened = true
          this.onOpen?.(link)
          // The curator's link is up: the links that waited for it (update) go now.
          if (peerId === this.room?.curatorId && this.room) this.update(this.room)
        }
        // A state change shows at once; a new round trip (every clock
        // exchange: every 20 ms while a start waits on the estimate) at most
        // a few times a second, so the room page does not re-render the
        // listener list on a joiner's busiest moments.
        if (link.state !== shownState) {
          shownState = link.state
          this.refresh()
        } else this.refreshSoon()
      },
      onMessage: (m, from) => this.onMessage(m, from),
    })
    let opened = false
    let shownState = link.state
    this.links.set(peerId, link)
    if (initiator) this.answers.set(peerId, { answer: false, applied: false, candidate: false })
    return link
  }

  /** A candidate that arrives once the answer is applied goes to the connection at once. */
  private remoteReady(peerId: string): boolean {
    const a = this.answers.get(peerId)
    return !!a && a.answer && a.applied && a.candidate
  }

  private noteRemoteProgress(peerId: string): void {
    if (this.remoteReady(peerId)) this.waitingAnswer.get(peerId)?.()
  }

  private drop(peerId: string): void {
    this.answers.delete(peerId)
    this.waitingAnswer.get(peerId)?.()
    const link = this.links.get(peerId)
    if (!link) return
    this.links.delete(peerId)
    link.destroy()
  }

  private refreshSoon(): void {
    this.refreshTimer ??= setTimeout(() => this.refresh(), RTT_REFRESH_MS)
  }

  private refresh(): void {
    clearTimeout(this.refreshTimer)
    this.refreshTimer = undefined
    if (this.destroyed) return
    this.peers = [...this.links.values()].map((l) => ({
      peerId: l.remoteId,
      state: l.state,
      rttMs: l.rttMs,
      minRttMs: l.minRttMs,
    }))
  }
}
