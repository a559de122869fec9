/**
 * One data channel to one remote peer: owns its simple-peer, validates every
 * message it receives, and keeps a clock estimate of the remote's clock from
 * NTP-style exchanges (a burst at connect, then about one a second).
 */
import Peer from '@thaunknown/simple-peer/lite.js'
import { parsePeerMessage, PROTOCOL_VERSION, type PeerMessage } from '../../../protocol/index.ts'
import { clockSample } from './clock-sample.ts'
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
}

/** Answers later than this are treated as lost, so the pending map stays small. */
const PROBE_TIMEOUT_MS = 5000
/**
 * Probe spacing while someone waits on a good estimate (hurryClock): a
 * joiner's first exchanges queue behind its own start-up work, so its
 * smallest round trips were 9-24 ms after the 8-probe burst (bench/sync);
 * more tries in that time find more that met no queue.
 */
const HURRY_MS = 20
const MAX_STRIKES = 20

export class PeerLink {
  state: LinkState = 'connecting'
  rttMs: number | null = null
  minRttMs: number | null = null
  /** The remote's clock as seen from here (remote minus local). */
  readonly clock = new ClockEstimator()
  private readonly peer: Peer.Instance
  private readonly schedule = burstSchedule()
  private probeTimer: ReturnType<typeof setTimeout> | undefined
  private readonly pending = new Map<number, number>()
  private seq = 0
  private strikes = 0
  private hurryUntil = 0

  constructor(private readonly opts: PeerLinkOptions) {
    this.peer = new Peer({ initiator: opts.initiator, trickle: true, config: { iceServers: opts.iceServers } })
    this.peer.on('signal', (data: Record<string, unknown>) => opts.sendSignal(data))
    this.peer.on('connect', () => this.onOpen())
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
    this.pending.clear()
    this.peer.destroy()
    this.opts.onChange()
  }

  private onOpen(): void {
    this.state = 'open'
    this.send({ type: 'hello', v: PROTOCOL_VERSION })
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
    const t0 = syncNow()
    for (const [seq, sent] of this.pending) if (t0 - sent > PROBE_TIMEOUT_MS) this.pending.delete(seq)
    const seq = this.seq++
    this.pending.set(seq, t0)
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
        const sent = this.pending.get(m.seq)
        if (sent === undefined || sent !== m.t0) return this.strike('unexpected clock answer')
        this.pending.delete(m.seq)
        const sample = clockSample({ t0: m.t0, t1: m.t1, t2: m.t2, t3: t })
        if (!sample) return this.strike('impossible clock answer')
        this.clock.add({ ...sample, seq: m.seq })
        this.rttMs = sample.rttMs
        this.minRttMs = this.minRttMs === null ? sample.rttMs : Math.min(this.minRttMs, sample.rttMs)
        this.opts.onChange()
        return
      }
      default:
        this.opts.onMessage?.(m, this)
    }
  }

  private strike(reason: string): void {
    console.warn(`[peer ${this.remoteId}] dropped message: ${reason}`)
    if (++this.strikes >= MAX_STRIKES) this.close()
  }
}
