/**
 * One data channel to one remote peer: owns its simple-peer, validates every
 * message it receives, and keeps a clock estimate of the remote's clock from
 * NTP-style exchanges (a burst at connect, then about one a second).
 */
import Peer from '@thaunknown/simple-peer/lite.js'
import { parsePeerMessage, PROTOCOL_VERSION, type PeerMessage } from '../../../protocol/index.ts'
import { connectWithoutStats } from './p2p/simple-peer-compat.ts'
import { clockSample, type ClockExchange } from './clock-sample.ts'
import type { ClockPath, ClockPathFactory } from './sync/clock-channel.ts'
import { ProbeBook } from './sync/probe-book.ts'
import { burstSchedule, ClockEstimator, type ClockEstimate } from './sync/clock-sync.ts'
import { syncNow } from './sync/sync-clock.ts'

export type LinkState = 'connecting' | 'open' | 'closed'
/** Messages other than the link's own handshake and clock exchanges. */
export type AppMessage = Exclude<PeerMessage, { type: 'hello' | 'clock.req' | 'clock.res' }>

export interface PeerLinkOptions {
  remoteId: string
  initiator: boolean
  iceServers: RTCIceServer[]
  sendSignal: (data: Record<string, unknown>) => void
  onChange: () => void
  onMessage?: (m: AppMessage, link: PeerLink) => void
  /** Opens the link's clock channel (sync/clock-channel.ts); without it, clock exchanges use the room channel. */
  clockPath?: ClockPathFactory
  /**
   * The remote description is in (its signaling state is stable again). The
   * candidates that came with it are handed over right after, in the same
   * task's microtasks (simple-peer holds them until then).
   */
  onDescribed?: () => void
}

/**
 * Probe spacing while someone waits on a good estimate (hurryClock): a
 * joiner's first exchanges queue behind its own start-up work, so its
 * smallest round trips were 9-24 ms after the opening burst (then 8 probes
 * 50 ms apart; bench/sync); more tries in that time find more that met no
 * queue.
 */
const HURRY_MS = 20
const MAX_STRIKES = 20
/**
 * How long the clock channel may leave probes unanswered before the link
 * goes back to the room channel: at first (a peer of an older version has no
 * clock channel, and a negotiated channel opens whether or not the other end
 * made one), and after it has worked (its worker died). Time, not a count:
 * answers reach this page through its main thread, which a busy page holds
 * up for hundreds of ms while probes keep going every 20 ms.
 */
const CLOCK_PATH_SILENT_AT_FIRST_MS = 1000
const CLOCK_PATH_SILENT_MS = 5000

export class PeerLink {
  state: LinkState = 'connecting'
  rttMs: number | null = null
  minRttMs: number | null = null
  /** The remote's clock as seen from here (remote minus local). */
  readonly clock = new ClockEstimator()
  private readonly peer: Peer.Instance
  private readonly schedule = burstSchedule()
  private probeTimer: ReturnType<typeof setTimeout> | undefined
  private readonly probes = new ProbeBook()
  private seq = 0
  private strikes = 0
  private hurryUntil = 0
  private readonly clockPath: ClockPath | null
  /** When the clock channel was first probed since its last answer (null: nothing outstanding), and whether it ever answered. */
  private clockPathWaitingSince: number | null = null
  private clockPathAnswered = false

  constructor(private readonly opts: PeerLinkOptions) {
    this.peer = new Peer({ initiator: opts.initiator, trickle: true, config: { iceServers: opts.iceServers } })
    connectWithoutStats(this.peer)
    // Created with the connection, before any offer or answer, at both ends.
    const pc = (this.peer as unknown as { _pc?: RTCPeerConnection })._pc
    this.clockPath =
      (pc &&
        opts.clockPath?.(pc, {
          exchange: ({ seq, ...stamps }) => {
            this.clockPathAnswered = true
            this.clockPathWaitingSince = null
            this.takeExchange(seq, stamps)
          },
          bad: (reason) => this.strike(reason),
        })) ??
      null
    this.peer.on('signal', (data: Record<string, unknown>) => opts.sendSignal(data))
    this.peer.on('connect', () => this.onOpen())
    pc?.addEventListener('signalingstatechange', () => {
      if (pc.signalingState === 'stable') opts.onDescribed?.()
    })
    this.peer.on('data', (raw: Uint8Array | string) => this.onData(raw))
    // A remote hang-up ends in 'disconnect' (simple-peer's internal destroy
    // bypasses the stream's 'close'); a local destroy ends in 'close'.
    this.peer.on('close', () => this.close())
    this.peer.on('disconnect', () => this.close())
    this.peer.on('error', (err: Error) => {
      console.warn(`[peer ${opts.remoteId}]`, err.message)
      this.close()
    })
  }

  get remoteId(): string {
    return this.opts.remoteId
  }

  /** Where clock exchanges go now: the clock channel (stamped in the clock worker) or the room channel. */
  get clockVia(): 'clock channel' | 'room channel' {
    const silentFor = this.clockPathWaitingSince === null ? 0 : performance.now() - this.clockPathWaitingSince
    const patience = this.clockPathAnswered ? CLOCK_PATH_SILENT_MS : CLOCK_PATH_SILENT_AT_FIRST_MS
    return this.clockPath?.open && silentFor < patience ? 'clock channel' : 'room channel'
  }

  estimate(): ClockEstimate | null {
    return this.clock.estimate(syncNow())
  }

  signal(data: Record<string, unknown>): void {
    if (this.state !== 'closed') this.peer.signal(data)
  }

  send(m: PeerMessage): void {
    if (this.state !== 'open') return
    try {
      this.peer.send(JSON.stringify(m))
    } catch (err) {
      console.warn(`[peer ${this.remoteId}] send failed:`, (err as Error).message)
    }
  }

  /** Idempotent: clears every timer and the connection. */
  destroy(): void {
    this.close()
  }

  private close(): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    clearTimeout(this.probeTimer)
    this.probes.clear()
    this.clockPath?.close()
    this.peer.destroy()
    this.opts.onChange()
  }

  private onOpen(): void {
    this.state = 'open'
    this.send({ type: 'hello', v: PROTOCOL_VERSION })
    if (this.clockPath) {
      this.clockPathWaitingSince ??= performance.now()
      // The opening burst, timed in the clock worker (probe-schedule.ts).
      this.clockPath.burst(this.seq, this.schedule.burstCount, this.schedule.burstSpacingMs)
      this.seq += this.schedule.burstCount
    }
    this.scheduleProbe()
    this.opts.onChange()
  }

  /** Probes every HURRY_MS for the next `ms` (a start waits on this estimate), then as scheduled. */
  hurryClock(ms: number): void {
    const now = performance.now()
    const idle = now >= this.hurryUntil
    this.hurryUntil = Math.max(this.hurryUntil, now + ms)
    if (idle && this.state === 'open') {
      clearTimeout(this.probeTimer)
      this.scheduleProbe()
    }
  }

  private scheduleProbe(): void {
    const state = this.estimate()?.state ?? null
    const delay = this.schedule.delayMs(this.seq, state)
    this.probeTimer = setTimeout(
      () => {
        if (this.state !== 'open') return
        this.probe()
        this.scheduleProbe()
      },
      performance.now() < this.hurryUntil ? Math.min(delay, HURRY_MS) : delay,
    )
  }

  private probe(): void {
    if (this.clockVia === 'clock channel') {
      this.clockPathWaitingSince ??= performance.now()
      this.clockPath!.probe(this.seq++)
      return
    }
    const t0 = syncNow()
    const seq = this.seq++
    this.probes.sent(seq, t0)
    this.send({ type: 'clock.req', seq, t0 })
  }

  private onData(raw: Uint8Array | string): void {
    const t = syncNow()
    const parsed = parsePeerMessage(raw)
    if (!parsed.ok) return this.strike(parsed.error.message)
    const m = parsed.value
    switch (m.type) {
      case 'hello':
        if (m.v !== PROTOCOL_VERSION) {
          console.warn(`[peer ${this.remoteId}] speaks protocol ${m.v}, we speak ${PROTOCOL_VERSION}`)
          this.close()
        }
        return
      case 'clock.req':
        this.send({ type: 'clock.res', seq: m.seq, t0: m.t0, t1: t, t2: syncNow() })
        return
      case 'clock.res': {
        // Only answers to our own outstanding questions count: no replays.
        if (!this.probes.answered(m.seq, m.t0)) return this.strike('unexpected clock answer')
        this.takeExchange(m.seq, { t0: m.t0, t1: m.t1, t2: m.t2, t3: t })
        return
      }
      default:
        this.opts.onMessage?.(m, this)
    }
  }

  /** One answered probe of ours, from either channel. */
  private takeExchange(seq: number, stamps: ClockExchange): void {
    if (this.state !== 'open') return
    const sample = clockSample(stamps)
    if (!sample) return this.strike('impossible clock answer')
    this.clock.add({ ...sample, seq })
    this.rttMs = sample.rttMs
    this.minRttMs = this.minRttMs === null ? sample.rttMs : Math.min(this.minRttMs, sample.rttMs)
    this.opts.onChange()
  }

  private strike(reason: string): void {
    console.warn(`[peer ${this.remoteId}] dropped message: ${reason}`)
    if (++this.strikes >= MAX_STRIKES) this.close()
  }
}
