/**
 * Playback as a room: the curator's browser owns the state and sends anchors
 * over the data channels; every page (the curator's too) places the audio
 * from the anchor through its clock estimate of the curator and its output
 * clock, so all hear the same frame at the same instant.
 */
import type { CuratorServerClock, PeerMessage, SyncReport, Track } from '../../../../protocol/index.ts'
import type { PeerLink } from '../peer-link.ts'
import type { Player, PositionHint } from '../player/player.svelte.ts'
import type { RoomSession } from '../room-session.svelte.ts'
import { signalClient } from '../signal-client.svelte.ts'
import { fetchTracks, libraryTracks, libraryVersion, trackById } from '../tracks.ts'
import { pageServerClock } from './clock-channel.ts'
import type { ClockEstimator } from './clock-sync.ts'
import { BRIDGE_MS, RelayedClock, type CuratorClock } from './relayed-clock.ts'
import { syncNow } from './sync-clock.ts'
import { frame0Time, positionAt, trackFrames } from './timeline.ts'

type AnchorMessage = Extract<PeerMessage, { type: 'anchor' }>

/**
 * Play and Next sound this long after the curator acts (a pause stops
 * PAUSE_LEAD_MS after it): everyone starts together. With the entry that
 * plays next held warm (player/warm-start.ts), the lead covers the anchor's
 * trip, placing audio already decoded, and the output's latency (~85 ms,
 * audio-output.ts): in bench/sync (5 pages in one Chromium, 2 cores shared
 * with other work) every page handed Web Audio its first node 5–55 ms after
 * the click. A page that misses it starts a few ms into the track, in step.
 * Without warm start, each page fetched and decoded the new track inside
 * the lead and sounded 230–930 ms after the click; no lead a person would
 * call immediate covers that (a cold start cues first, startAtTop).
 */
export const LEAD_MS = 150
/**
 * A track nobody holds warm is first cued (paused at its first frame, so
 * every page fetches and decodes its opening), then played once the
 * curator's page and every linked listener hold it (`cue.ready`), or after
 * this long whoever does not (startAtTop).
 */
const COLD_WAIT_MAX_MS = 2000
const HEARTBEAT_MS = 2000
/** A listener starts sound once its clock estimate is this good (ms)… */
const PLACE_MAX_UNCERTAINTY_MS = 2
/**
 * …or this good, through the server's clock (bridge): that bound adds two
 * paths' (2-3 ms on loopback, bench/sync) and waiting for a better one is
 * waiting for the link, which the bridge is there not to wait for. The
 * link's estimate, once as good, mends the rest in whole frames.
 */
const BRIDGE_PLACE_MAX_UNCERTAINTY_MS = 5
/** While bridging, a joiner exchanges with the server's clock this often (two at a time). */
const BRIDGE_PROBE_MS = 200
/**
 * …or after this long, whatever the estimate: drift correction mends the
 * rest in whole frames, once the estimate is surer than the error
 * (Placement.uncertaintyMs), with probes going fast meanwhile (hurryClock).
 * A joiner on a busy page gets few clean exchanges at first (its answers
 * wait behind its own start-up work): bench/sync's joiner placed on
 * smallest round trips of 2-24 ms, rarely under the bound. Earlier, 300 ms
 * was no faster than 600, because the joiner's first bytes then arrived
 * piece by piece after placing; with those bridged from the origin (and due
 * early), its first node follows its placement at once, and 300 ms joins
 * in 1.00-1.26 s where 600 ms took 1.28-1.35 s. The price: a rough
 * placement sits up to ~20 ms off for its first 0.2-2 s, until clean
 * exchanges come and a correction or two mend it.
 */
const PLACE_WAIT_MAX_MS = 300
/** Clock probes go fast (PeerLink.hurryClock) for this long after the estimate was last seen rough… */
const HURRY_WHILE_ROUGH_MS = 500
/** …within this long of a new state (a join, Play, a seek). */
const HURRY_AFTER_START_MS = 3000
const REPORT_MS = 1000
/** A joiner with no clock estimate yet looks again this often (the first answer comes a round trip after the link opens). */
const CLOCK_POLL_MS = 20
/**
 * A joiner decodes from this far past where the sound is when it places
 * (its clock estimate and the file's head are in hand by then): the bytes
 * there, one decode and the output latency. Were they slower, it starts a
 * little later, in step; a lead longer than they take is only a later start.
 * bench/sync's joiner took 100-130 ms from placing to its first node.
 */
const JOIN_LEAD_SEC = 0.15
/**
 * A pause stops the sound this long after the curator acts: longer than
 * LEAD_MS, since a page stops on its frame only if the pause reaches it
 * before that frame is rendered, the output's latency (~85 ms) and a
 * device callback (STOP_GUARD_SEC, 50 ms) ahead of when it is heard. With
 * 150 ms that left ~15 ms: in bench/sync (5 pages, 2 cores) every listener
 * got the pause 80-183 ms after the click, too late, and played on 6-100 ms
 * past it plus LATE_STOP_LEAD_SEC; its resume then went on after what it
 * had heard, sounding 106-201 ms after the others.
 */
const PAUSE_LEAD_MS = 300
/** A seek sounds this long after the curator acts: a head read, a seek plan and some decoding on every page. */
const SEEK_LEAD_MS = 400
/**
 * A pause that came after its moment stops the sound this far ahead, on an
 * exact frame (stopAtPause): past the device callback being rendered (2048
 * frames at 96 kHz, 4096 at 192 kHz, ~21 ms). A stop 20 ms ahead landed 127
 * frames late, at the next render quantum (room-seek in CI).
 */
const LATE_STOP_LEAD_SEC = 0.1

export type AnchorState = Omit<AnchorMessage, 'type' | 'seq'>

export class RoomPlayback {
  /**
   * How the curator's anchors leave this page (signed by the room control);
   * a listener's arrive through `receive` once verified.
   */
  broadcast: (anchor: AnchorMessage) => void = () => {}

  anchor = $state<AnchorMessage | null>(null)
  /** Everyone's sync, as the curator shares it (visible members only). */
  table = $state<{ peerId: string; report: SyncReport }[]>([])
  report = $state<SyncReport>(idleReport())
  error = $state<string | null>(null)

  private library: Track[] = []
  private appliedAt = 0
  private toldLobby: string | null = null
  private waitingForClock = false
  /** A cold start waiting for every page to hold its track warm (startAtTop); any other action cancels it. */
  private pendingStart: { trackId: string; ready: Set<string>; check: () => void } | null = null
  /** The curator's page is cueing a cold start (the player bar says so instead of offering Play). */
  starting = $state(false)
  /** The cued track this listener told the curator it holds ready. */
  private toldReady: string | null = null
  /** The curator's last hint (prepare), and the links that said they hold that track. */
  private hinted: { trackId: string; ready: Set<string> } | null = null
  /** A listener: the track the curator last hinted at. */
  private hintedHere: string | null = null
  /** The first placement on this page has marked how its clock estimate stood (bench/sync steps). */
  private clockMarked = false
  private destroyed = false
  private lastSeq = -1
  /**
   * Whose clock the current anchor's times are on: ours (we published it) or
   * the curator who sent it, through our estimate of their clock. Kept even
   * after that curator leaves, so playback rides through a hand-off.
   */
  private anchorMine = false
  /**
   * A pause reached this page after its moment, and it stopped a moment
   * later (stopAtPause): the paused entry, its paused frame, and the last
   * frame this page played. A resume of that pause begins after it here (in
   * step; frames heard already are not heard twice). Taken by the next start.
   */
  private heardPast: { index: number; paused: number; frame: number } | null = null
  /** `queue` as last mapped: for which anchor queue, under which libraryVersion(). */
  private queueMemo: { ids: readonly string[]; library: number; tracks: Track[] } | null = null
  /** Our link's estimate of the curator's clock (null for the curator, and before a link). */
  private linkClock: ClockEstimator | null = null
  /** A joiner's estimate through the signal server's clock, until the link's is as good (bridge). */
  private bridgeClock: RelayedClock | null = null
  private readonly reports = new Map<string, SyncReport>()
  private readonly disposers: (() => void)[] = []

  constructor(
    private readonly session: RoomSession,
    private readonly player: Player,
  ) {
    void fetchTracks().then((t) => {
      this.library = t
      if (this.destroyed) return
      if (this.anchor) this.apply(this.anchor)
      else this.expectHinted()
    }, () => {})
    const onMessage = (m: Parameters<typeof this.onPeerMessage>[0], from: PeerLink) => this.onPeerMessage(m, from)
    const onOpen = (link: PeerLink) => {
      if (link.remoteId !== session.room?.curatorId) return
      performance.mark('aula:curator-link')
      // Bridging (the curator's anchor came through the server): this link times that same curator.
      if (this.bridgeClock) this.linkClock = link.clock
    }
    session.peerMessages.add(onMessage)
    session.linkOpened.add(onOpen)
    // Where this page's clock stands against the server's: a curator's tells joiners where its clock stands (bridge).
    void pageServerClock().burst()
    const heartbeat = setInterval(() => this.heartbeat(), HEARTBEAT_MS)
    const reporting = setInterval(() => this.refreshReport(), REPORT_MS)
    this.disposers.push(
      () => session.peerMessages.delete(onMessage),
      () => session.linkOpened.delete(onOpen),
      () => clearInterval(heartbeat),
      () => clearInterval(reporting),
    )
  }

  get isCurator(): boolean {
    return this.session.isCurator
  }

  /** Whether the current anchor's times are on this page's clock (we published it). */
  get anchorIsMine(): boolean {
    return this.anchorMine
  }

  get queue(): Track[] {
    const a = this.anchor
    if (!a) return []
    // Read on every tick (frameOf): a queue of hundreds (Play on a library
    // track queues the whole library) is mapped once per anchor, not each time.
    const memo = this.queueMemo
    if (memo && memo.ids === a.queue && memo.library === libraryVersion()) return memo.tracks
    // The library and the curator's own files (signed 'tracks' state) alike.
    const tracks = a.queue.map((id) => trackById(id)).filter((t): t is Track => t !== undefined)
    this.queueMemo = { ids: a.queue, library: libraryVersion(), tracks }
    return tracks
  }

  // ---- the curator's controls ---------------------------------------------

  /** The anchor says playing, but its queue has played to the end. */
  get ended(): boolean {
    const a = this.anchor
    const now = this.curatorNow() ?? a?.atCuratorTime
    return !!a && a.state === 'playing' && a.queue.length > 0 && now !== undefined && now > a.atCuratorTime && positionAt(a, this.queue, now) === null
  }

  /** The queue as the anchor holds it, with the entry sounding now as current. */
  queueState(): { tracks: string[]; index: number } {
    const a = this.anchor
    if (!a) return { tracks: [], index: 0 }
    const pos = a.state === 'playing' ? positionAt(a, this.queue, this.curatorNow() ?? a.atCuratorTime) : null
    return { tracks: [...a.queue], index: pos?.index ?? a.index }
  }

  /**
   * The curator changed the queue: start its current entry afresh, stop, or
   * keep the current track sounding where it is under the new queue.
   */
  setQueue(tracks: string[], index: number, how: 'restart' | 'keep' | 'stop'): void {
    const a = this.anchor
    const now = syncNow()
    if (how === 'stop' || tracks.length === 0) {
      this.setPending(null)
      this.publish({ queue: tracks, index: 0, state: 'stopped', positionFrames: 0, atCuratorTime: now })
      return
    }
    const pos = a && a.state !== 'stopped' ? positionAt(a, this.queue, now) : null
    if (how === 'keep' && a && pos) {
      this.publish({ queue: tracks, index, state: a.state, positionFrames: pos.frame, atCuratorTime: now })
      return
    }
    const playing = !a || a.state !== 'paused'
    if (playing) this.startAtTop(tracks, index)
    else this.publish({ queue: tracks, index, state: 'paused', positionFrames: 0, atCuratorTime: now })
  }

  play(queue: Track[], index: number): void {
    this.startAtTop(queue.map((t) => t.id), index)
  }

  /**
   * Everyone hears queue[index] from its first frame. Held warm here (the
   * next entry, a cued one), it sounds LEAD_MS after the click. Cold, a
   * 150 ms lead would have every page fetch and decode inside it and start
   * up to a second into the song (in step, its opening cut): so the room
   * first cues it, paused at frame 0, every listener says `cue.ready` once
   * it holds the opening decoded, and it plays when this page and every
   * linked one are ready (or after COLD_WAIT_MAX_MS, whoever is not).
   */
  private startAtTop(queue: string[], index: number): void {
    this.setPending(null)
    const id = queue[index]
    const track = id === undefined ? undefined : trackById(id)
    // Prepared on a hint, it must be warm on every page, not only here: a
    // pointer that rested briefly left listeners still fetching. (Held warm
    // as the next entry, it is everywhere, as every page holds the next.)
    const hint = track && this.hinted?.trackId === track.id ? this.hinted : null
    this.hinted = null
    const everyone = () => (this.session.mesh?.openLinks() ?? []).every((l) => hint!.ready.has(l.remoteId))
    if (!track || (this.player.isWarm(track, 0) && (!hint || everyone()))) {
      this.publish({ queue, index, state: 'playing', positionFrames: 0, atCuratorTime: syncNow() + LEAD_MS })
      return
    }
    const pending = { trackId: track.id, ready: new Set<string>(hint?.ready), check: () => {} }
    this.setPending(pending)
    this.publish({ queue, index, state: 'paused', positionFrames: 0, atCuratorTime: syncNow() })
    const since = performance.now()
    /** Starts it once every page holds it (or the wait is over); false while it should wait. */
    const settle = (): boolean => {
      if (this.pendingStart !== pending) return true // Pause, a seek, another start… came meanwhile
      // Queue edits meanwhile keep the start, as long as the cued entry is still the one at the top.
      const a = this.anchor
      if (this.destroyed || !this.isCurator || !a || a.state !== 'paused' || a.queue[a.index] !== track.id || a.positionFrames !== 0) {
        this.setPending(null)
        return true
      }
      const links = this.session.mesh?.openLinks() ?? []
      const allReady = this.player.isWarm(track, 0) && links.every((l) => pending.ready.has(l.remoteId))
      if (!allReady && performance.now() - since < COLD_WAIT_MAX_MS) return false
      this.setPending(null)
      this.publish({ queue: a.queue, index: a.index, state: 'playing', positionFrames: 0, atCuratorTime: syncNow() + LEAD_MS })
      return true
    }
    // Settled as each listener says ready and as each slice decodes here (in
    // a 20 ms poll, the last one to come waited 10 ms more on average). And
    // every 50 ms: a listener that left is no longer waited for, nor is anyone once the wait is over.
    const unwatch = this.player.onSlice(() => void check())
    const check = (): boolean => {
      if (!settle()) return false
      unwatch()
      return true
    }
    pending.check = check
    const poll = () => {
      if (!check()) setTimeout(poll, 50)
    }
    setTimeout(poll, 50)
  }

  private setPending(p: RoomPlayback['pendingStart']): void {
    this.pendingStart = p
    this.starting = p !== null
  }

  /** A listener: tells the curator once the track it cued at frame 0 is held warm here. */
  private watchCue(a: AnchorMessage): void {
    const track = this.queue[a.index]
    if (!track || a.positionFrames !== 0) return
    this.tellWhenWarm(track, () => {
      const now = this.anchor
      return !!now && sameState(now, a)
    })
  }

  /** A listener: says `cue.ready` once `track` is held warm from its top, unless `wanted` stops first. */
  private tellWhenWarm(track: Track, wanted: () => boolean): void {
    if (this.toldReady === track.id) return
    const done = () => {
      unwatch()
      clearTimeout(timer)
    }
    // Looked at as each slice decodes here, until the curator's wait is over.
    const check = () => {
      if (this.destroyed || this.isCurator || !wanted()) return done()
      // Not before there is a link to say it over (a joiner starting from the
      // server's copy of a cue): the link's copy of the cue looks again (receive).
      const link = this.curatorLink()
      if (!this.player.isWarm(track, 0) || !link) return
      this.toldReady = track.id
      performance.mark('aula:cue-ready')
      link.send({ type: 'cue.ready', trackId: track.id })
      done()
    }
    const unwatch = this.player.onSlice(check)
    const timer = setTimeout(done, COLD_WAIT_MAX_MS)
    check()
  }

  /** Nothing plays nor waits paused: the room would start afresh (what a hint may prepare for). */
  private get idle(): boolean {
    const a = this.anchor
    return !a || a.state === 'stopped' || (a.state === 'playing' && this.ended)
  }

  /**
   * The curator's pointer rests on `track`'s Play (TrackList) while nothing
   * plays: every page prepares its opening (`cue.hint`) and says when it
   * holds it, so the click that likely follows starts at once, without the
   * cue that every page otherwise fetches and decodes first (startAtTop).
   */
  prepare(track: Track): void {
    if (!this.isCurator || !this.idle || this.hinted?.trackId === track.id) return
    this.hinted = { trackId: track.id, ready: new Set() }
    this.player.prepare(track)
    this.session.mesh?.broadcast({ type: 'cue.hint', trackId: track.id })
  }

  /** A listener: the curator hinted at `trackId` (prepare). */
  private onHint(trackId: string): void {
    const track = trackById(trackId)
    if (!track || !this.idle) return
    this.hintedHere = trackId
    this.player.prepare(track)
    this.tellWhenWarm(track, () => this.hintedHere === trackId && this.idle)
  }

  /**
   * Everyone stops on the same frame, PAUSE_LEAD_MS from now,
   * and a resume goes on from that very frame: stopping at once, each page
   * stopped wherever the anchor reached it, and a resume repeated what it
   * had played past the paused point (the anchor's trip and the output's
   * latency, ~40-90 ms).
   */
  pause(): void {
    this.setPending(null)
    const a = this.anchor
    if (!a || a.state !== 'playing') return
    const at = syncNow() + PAUSE_LEAD_MS
    const pos = positionAt(a, this.queue, at)
    if (!pos) return
    this.publish({ queue: a.queue, index: pos.index, state: 'paused', positionFrames: pos.frame, atCuratorTime: at })
  }

  resume(): void {
    this.setPending(null)
    const a = this.anchor
    if (a && this.ended) {
      // The queue played out: Play starts it again from the top.
      this.startAtTop(a.queue, 0)
      return
    }
    if (!a || a.state !== 'paused') return
    this.publish({ ...strip(a), state: 'playing', atCuratorTime: syncNow() + LEAD_MS })
  }

  /**
   * Jumps to a point of queue[index]. Everyone starts there together, a
   * little later than after Play: each page first reads the file's head and
   * finds a frame to decode from (a seek is a mid-track join).
   */
  seek(index: number, positionFrames: number): void {
    this.setPending(null)
    const a = this.anchor
    const track = this.queue[index]
    if (!a || !track || a.state === 'stopped') return
    const frame = Math.max(0, Math.min(Math.floor(positionFrames), trackFrames(track) - 1))
    const playing = a.state === 'playing'
    this.publish({ queue: a.queue, index, state: a.state, positionFrames: frame, atCuratorTime: syncNow() + (playing ? SEEK_LEAD_MS : 0) })
  }

  next(): void {
    const a = this.anchor
    const pos = a && positionAt(a, this.queue, syncNow())
    if (!a) return
    const index = (pos?.index ?? a.index) + 1
    if (index >= a.queue.length) return
    this.startAtTop(a.queue, index)
  }

  destroy(): void {
    this.destroyed = true
    for (const d of this.disposers.splice(0)) d()
    this.player.stop()
  }

  // ---- both sides ---------------------------------------------------------

  /**
   * A joiner learns what plays from the server's view of the room, before
   * its first link (and the curator's anchor over it) is up: the output opens
   * and the file's head is read meanwhile, off the join's critical path.
   */
  private expectHinted(): void {
    const id = this.session.room?.playingTrackId
    const track = id && !this.isCurator ? this.library.find((t) => t.id === id) : undefined
    if (track) this.player.expect(track, this.hintFor(track))
  }

  /** Where the server last said the room is in `track` (RoomView.playingPositionSec): a joiner decodes from there ahead. */
  private hintFor(track: Track): PositionHint | undefined {
    const room = this.session.room
    if (room?.playingTrackId !== track.id || room.playingPositionSec === undefined) return undefined
    return { positionSec: room.playingPositionSec, at: this.session.roomAt }
  }

  private publish(state: Omit<AnchorMessage, 'type' | 'seq'>): void {
    if (!this.isCurator) return
    const anchor: AnchorMessage = { type: 'anchor', seq: this.lastSeq + 1, ...state }
    this.lastSeq = anchor.seq
    this.anchorMine = true
    // A heartbeat repeats the state under a new seq: nothing to restart.
    const heartbeat = sameState(anchor, this.anchor)
    this.tellLobby(anchor, !heartbeat)
    // Sent first: signing waits on a main-thread task, and applying a new
    // state here (player, output) held the room's cold cue back 15 ms.
    this.broadcast(anchor)
    if (heartbeat) this.anchor = anchor
    else this.apply(anchor)
  }

  /**
   * The lobby shows what public rooms play, and a joiner fetches the bytes
   * about where the room is before its links are up: the curator keeps the
   * server told of the track sounding, and of where it is whenever the state
   * changes (`changed`: a start, a seek; not a heartbeat).
   */
  private tellLobby(a: AnchorMessage, changed: boolean): void {
    const now = syncNow()
    // The entry sounding now: a queue plays on past the anchored one (heartbeats tell the next).
    const pos = a.state === 'playing' ? positionAt(a, this.queue, now) : null
    const trackId = a.state === 'playing' ? (a.queue[pos?.index ?? a.index] ?? null) : null
    if (trackId === this.toldLobby && !(changed && trackId !== null)) return
    this.toldLobby = trackId
    // Negative before its start (a Play's lead): frame 0 sounds that much later.
    const frame0 = pos ? frame0Time(a, this.queue, pos.index) : null
    const positionSec = frame0 === null ? undefined : (now - frame0) / 1000
    signalClient().send({ type: 'room.playing', roomId: this.session.roomId, trackId, ...(positionSec !== undefined && { positionSec }) })
  }

  /**
   * Our estimate of the curator's clock: the link's, or, while a joiner's
   * link is not up or not yet as sure, the one through the server's clock
   * (bridge). Once the link's is as good, it is the only one.
   */
  get curatorClock(): CuratorClock | null {
    const bridge = this.bridgeClock
    if (!bridge) return this.linkClock
    const now = syncNow()
    const b = bridge.estimate(now)
    const l = this.linkClock?.estimate(now)
    if (l && (!b || l.uncertaintyMs + l.asymmetryBoundMs <= b.uncertaintyMs + b.asymmetryBoundMs)) {
      // Marked (with both estimates) for bench/sync's steps.
      performance.mark('aula:bridge-end', { detail: { link: l, bridge: b } })
      this.bridgeClock = null
      return this.linkClock
    }
    return b ? bridge : this.linkClock
  }

  /**
   * A joiner: the curator's anchor as the server relayed it with the join
   * (its signature checked), and where the curator's clock stood against the
   * server's. It plays on through the server's clock (RelayedClock) while the
   * link to the curator comes up, then on the link's.
   */
  bridge(m: AnchorMessage, clock: CuratorServerClock): void {
    if (this.isCurator || this.anchor || this.destroyed) return
    // It queues the curator's own files (known from its 'tracks' state, over the link): the link's copy starts it.
    if (libraryTracks().length > 0 && m.queue.some((id) => !trackById(id))) return
    const server = pageServerClock()
    performance.mark('aula:bridge', { detail: { curator: clock, server: server.estimator.estimate(syncNow()) } })
    const until = syncNow() + BRIDGE_MS
    const bridge = new RelayedClock(server.estimator, clock, until)
    this.bridgeClock = bridge
    // More exchanges with the server meanwhile: its estimate firms up as the join burst's round trips shrink.
    const firming = setInterval(() => {
      if (this.bridgeClock === bridge && !this.destroyed && syncNow() < until) void server.exchange(2)
      else clearInterval(firming)
    }, BRIDGE_PROBE_MS)
    this.anchorMine = false
    this.apply(m)
  }

  /** A verified anchor from the curator (`from` is the link it came over). */
  receive(m: AnchorMessage, from: PeerLink): void {
    if (this.isCurator) return
    this.anchorMine = false
    this.linkClock = from.clock
    if (!sameState(m, this.anchor)) return this.apply(m)
    this.anchor = m
    // The cue this page took from the server's copy, before it had a link to say it holds it warm.
    if (m.state === 'paused') this.watchCue(m)
  }

  private onPeerMessage(m: Exclude<PeerMessage, { type: 'hello' | 'clock.req' | 'clock.res' }>, from: PeerLink): void {
    const fromCurator = from.remoteId === this.session.room?.curatorId
    switch (m.type) {
      case 'sync.report':
        if (this.isCurator) this.reports.set(from.remoteId, m.report)
        return
      case 'sync.table':
        if (fromCurator) this.table = m.reports
        return
      case 'cue.hint':
        if (fromCurator && !this.isCurator) this.onHint(m.trackId)
        return
      case 'cue.ready': {
        if (this.isCurator && this.hinted?.trackId === m.trackId) this.hinted.ready.add(from.remoteId)
        const pending = this.isCurator && this.pendingStart?.trackId === m.trackId ? this.pendingStart : null
        if (!pending || pending.ready.has(from.remoteId)) return
        pending.ready.add(from.remoteId)
        pending.check()
        return
      }
    }
  }

  private apply(a: AnchorMessage): void {
    performance.mark('aula:anchor', { detail: { state: a.state, positionFrames: a.positionFrames } })
    if (a.state !== 'paused') this.toldReady = null
    // The wait for a good clock estimate counts from a new state, not from
    // each retry while waiting for it.
    if (!sameState(a, this.anchor) || this.appliedAt === 0) this.appliedAt = performance.now()
    this.anchor = a
    const queue = this.queue
    if (queue.length !== a.queue.length) {
      if (this.library.length > 0) this.error = 'The curator queued tracks this library does not have.'
      return
    }
    this.error = null
    const curatorNow = this.curatorNow()
    if (a.state === 'playing' && curatorNow === null) {
      // No clock estimate yet (a joiner's first moments): wait for one, so
      // decoding starts where the room is rather than at the top. The track
      // is known already: its output and file head open meanwhile.
      const track = queue[a.index]
      if (track) this.player.expect(track, this.hintFor(track))
      this.curatorLink()?.hurryClock(HURRY_WHILE_ROUGH_MS)
      if (!this.waitingForClock) {
        this.waitingForClock = true
        setTimeout(() => {
          this.waitingForClock = false
          if (this.anchor && !this.destroyed) this.apply(this.anchor)
        }, CLOCK_POLL_MS)
      }
      return
    }
    const pos = a.state === 'playing' ? positionAt(a, queue, curatorNow ?? a.atCuratorTime) : null
    if (a.state !== 'playing' || !pos) {
      if (a.state === 'paused' && this.stopAtPause(a)) return
      // Paused: what Play would start is held warm, so it sounds within the lead.
      if (a.state === 'paused') {
        this.player.stopAndCue(queue, a.index, a.positionFrames)
        if (!this.anchorMine) this.watchCue(a)
      } else this.player.stop()
      return
    }
    const index = Math.max(a.index, pos.index)
    // Already playing that track of that queue (a hand-off re-expressed the
    // same timeline on a new clock, or a gapless advance): keep the sound
    // going; the placement reads the new anchor and drift correction absorbs
    // the difference.
    if (this.player.adopt(queue, index)) return
    // Start at the track sounding now (or the anchored one, if it has not
    // begun yet). An anchor that has not sounded yet (play, resume, next)
    // begins at its own frame; joining sound already going, decoding starts a
    // little past where the sound is now.
    const track = queue[index]!
    const ahead = curatorNow !== null && a.atCuratorTime >= curatorNow
    const joinAt = pos.frame > 0 ? pos.frame + Math.round(JOIN_LEAD_SEC * track.sampleRate) : 0
    const past = this.heardPast
    this.heardPast = null
    const resumed = past !== null && past.index === a.index && past.paused === a.positionFrames ? past.frame + 1 : a.positionFrames
    const fromFrame = index !== pos.index ? 0 : ahead && index === a.index ? resumed : joinAt
    void this.player.follow(
      queue,
      index,
      {
        frameOf: (index, out) => {
          const anchor = this.anchor
          const t = anchor && frame0Time(anchor, this.queue, index)
          if (t === null || t === undefined) return null
          // Through the present, not through the entry's frame 0: that moment
          // is as old as the track, and mapping it to this clock takes the
          // skew between the clocks, which a joiner does not know yet. A join
          // 20 s into a track started 4.5 ms off (bench/sync, ±300 ppm), 1.1 ms
          // at 5 s; now it needs only the present offset. What the two clocks'
          // rates then do apart is drift, which keepInStep mends. The curator
          // counts the same way (its own clock is the curator's clock), so a
          // listener who takes over goes on where it stood (handoff-choice).
          const curatorNow = this.curatorNow()
          const local = curatorNow === null ? null : this.toLocal(curatorNow)
          const nowFrame = local === null ? null : out.clock.frameAtSync(local)
          return nowFrame === null || curatorNow === null ? null : nowFrame - ((curatorNow - t) / 1000) * out.ctx.sampleRate
        },
        uncertaintyMs: () => (this.anchorMine ? 0 : (this.curatorClock?.estimate(syncNow())?.uncertaintyMs ?? Infinity)),
      },
      fromFrame,
    )
  }

  /**
   * A pause: the sound stops on its frame if its moment is still ahead (on a
   * frame a moment ahead if it has passed), then the point a resume starts
   * from is cued (held warm for Play). False when this page does not play it.
   */
  private stopAtPause(a: AnchorMessage): boolean {
    const now = this.curatorNow()
    const queue = this.queue
    // Once stopped, what Play would start is held warm (cued) from where this page resumes.
    const cueFrom = (frame: number) => () => {
      if (this.destroyed || !sameState(a, this.anchor)) return
      this.player.stopAndCue(queue, a.index, frame)
      if (!this.anchorMine) this.watchCue(a)
    }
    if (now !== null && a.atCuratorTime > now && this.player.stopAt(a.index, a.positionFrames, cueFrom(a.positionFrames))) return true
    // The pause came after its moment (a late message, a busy page): this
    // page has played past the paused frame. It stops on a frame a moment
    // ahead, and a resume goes on after it: stopping at once, a resume from
    // the paused frame repeated what had been heard since (room-seek: 273
    // frames). Marked, so a test that sees it can say so.
    const sounding = this.player.frameSounding(a.index)
    const rate = queue[a.index]?.sampleRate
    if (sounding === null || !rate) return false
    // Or too close to it to stop on it (Player.stopAt): the stop lands a moment after it.
    const stop = Math.max(a.positionFrames, sounding + Math.round(LATE_STOP_LEAD_SEC * rate))
    if (stop > a.positionFrames) performance.mark('aula:pause-late', { detail: { lateMs: now === null ? null : now - a.atCuratorTime, frames: sounding - a.positionFrames } })
    if (!this.player.stopAt(a.index, stop, cueFrom(stop))) return false
    if (stop > a.positionFrames) this.heardPast = { index: a.index, paused: a.positionFrames, frame: stop - 1 }
    return true
  }

  private toLocal(curatorMs: number): number | null {
    if (this.anchorMine) return curatorMs
    const clock = this.curatorClock
    if (!clock) return null
    // Starting on a rough first estimate means starting in the wrong place
    // and jumping later; wait (briefly) for one good to a few milliseconds.
    const est = clock.estimate(syncNow())
    const bound = clock === this.bridgeClock ? BRIDGE_PLACE_MAX_UNCERTAINTY_MS : PLACE_MAX_UNCERTAINTY_MS
    const rough = !est || est.uncertaintyMs + est.asymmetryBoundMs > bound
    // Probing fast while rough around a start: before placing, for a better
    // place; after, so drift correction has a good estimate to mend a rough
    // placement by. Not for ever: over a path of 5 ms round trips the bound
    // (asymmetry included) never gets under PLACE_MAX_UNCERTAINTY_MS.
    const waited = performance.now() - this.appliedAt
    if (rough && waited < HURRY_AFTER_START_MS) this.curatorLink()?.hurryClock(HURRY_WHILE_ROUGH_MS)
    if (rough && waited < PLACE_WAIT_MAX_MS) return null
    if (!this.clockMarked) {
      this.clockMarked = true
      performance.mark(rough ? 'aula:clock-rough' : 'aula:clock-good', { detail: { ...est, ...clock.stats } })
    }
    return clock.toListener(curatorMs)
  }

  private curatorNow(): number | null {
    if (this.anchorMine) return syncNow()
    return this.curatorClock?.toCurator(syncNow()) ?? null
  }

  private curatorLink(): PeerLink | undefined {
    const id = this.session.room?.curatorId
    return id ? this.session.mesh?.link(id) : undefined
  }

  private heartbeat(): void {
    this.takeOverIfCurator()
    if (!this.isCurator) return
    void pageServerClock().exchange()
    if (this.anchor && this.anchorMine) this.publish(strip(this.anchor))
    const visible = new Set(this.session.room?.members.map((m) => m.peerId))
    const reports = [...this.reports].filter(([id]) => visible.has(id)).map(([peerId, report]) => ({ peerId, report }))
    if (this.session.peerId) reports.unshift({ peerId: this.session.peerId, report: this.report })
    this.table = reports
    this.session.mesh?.broadcast({ type: 'sync.table', reports: reports.slice(0, 200) })
  }

  /**
   * A new curator carries on from the last anchor, re-expressed on its own
   * clock through the estimate it had of the old curator's: no gap.
   */
  private takeOverIfCurator(): void {
    if (this.isCurator && !this.anchorMine && this.anchor && this.curatorClock) {
      const local = this.curatorClock.toListener(this.anchor.atCuratorTime)
      if (local !== null) this.publish({ ...strip(this.anchor), atCuratorTime: local })
    }
  }

  private refreshReport(): void {
    this.takeOverIfCurator()
    const err = this.player.syncErrorMs
    if (this.isCurator) {
      this.report = { ...idleReport(), state: this.anchor?.state === 'playing' ? 'locked' : 'idle', offsetMs: 0, uncertaintyMs: 0, errorMs: err, corrections: this.player.corrections }
      return
    }
    const link = this.curatorLink()
    // Bridging, the estimate through the server's clock says 'converging' until the link's takes over.
    const clock = this.curatorClock
    const est = clock && clock !== this.linkClock ? clock.estimate(syncNow()) : (link?.estimate() ?? null)
    const playing = this.anchor?.state === 'playing'
    // Never claim 'locked' without a locked clock estimate of a live link.
    let state: SyncReport['state']
    if (!link && !est) state = 'lost'
    else if (!est) state = 'converging'
    else if (est.state !== 'locked') state = est.state
    else if (playing && err !== null && Math.abs(err) > this.player.syncToleranceMs()) state = 'adjusting'
    else state = 'locked'
    this.report = {
      state,
      offsetMs: est?.offsetMs ?? null,
      uncertaintyMs: est ? est.uncertaintyMs + est.asymmetryBoundMs : null,
      rttMs: est?.rttMs ?? null,
      skewPpm: est?.skewPpm ?? null,
      errorMs: err,
      corrections: this.player.corrections,
    }
    if (link) link.send({ type: 'sync.report', report: this.report })
  }
}

function strip(a: AnchorMessage): Omit<AnchorMessage, 'type' | 'seq'> {
  const { type: _t, seq: _s, ...rest } = a
  return rest
}

function sameState(a: AnchorMessage, b: AnchorMessage | null): boolean {
  return (
    b !== null &&
    a.index === b.index &&
    a.state === b.state &&
    a.positionFrames === b.positionFrames &&
    a.atCuratorTime === b.atCuratorTime &&
    a.queue.length === b.queue.length &&
    a.queue.every((id, i) => id === b.queue[i])
  )
}

function idleReport(): SyncReport {
  return { state: 'idle', offsetMs: null, uncertaintyMs: null, rttMs: null, skewPpm: null, errorMs: null, corrections: 0 }
}
