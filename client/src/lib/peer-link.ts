/**
 * One data channel to one remote peer: owns its simple-peer, validates every
 * message it receives, and measures the round trip with clock exchanges.
 */
import Peer from '@thaunknown/simple-peer/lite.js'
import { parsePeerMessage, PROTOCOL_VERSION, type PeerMessage } from '../../../protocol/index.ts'
import { clockSample } from './clock-sample.ts'

export type LinkState = 'connecting' | 'open' | 'closed'

export interface PeerLinkOptions {
  remoteId: string
  initiator: boolean
  iceServers: RTCIceServer[]
  sendSignal: (data: Record<string, unknown>) => void
  onChange: () => void
}

/** A burst at connect gives a quick first figure; then one exchange a second. */
const BURST = [50, 150, 300, 500]
const PROBE_EVERY_MS = 1000
/** Answers later than this are treated as lost, so the pending map stays small. */
const PROBE_TIMEOUT_MS = 5000
const MAX_STRIKES = 20

export class PeerLink {
  state: LinkState = 'connecting'
  rttMs: number | null = null
  minRttMs: number | null = null
  remoteName: string | undefined
  private readonly peer: Peer.Instance
  private readonly timers: ReturnType<typeof setTimeout>[] = []
  private readonly pending = new Map<number, number>()
  private seq = 0
  private strikes = 0

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

  signal(data: Record<string, unknown>): void {
    if (this.state !== 'closed') this.peer.signal(data)
  }

  /** Idempotent: clears every timer and the connection. */
  destroy(): void {
    if (this.state === 'closed') return
    this.close()
  }

  private close(): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    for (const t of this.timers) clearTimeout(t)
    this.timers.length = 0
    this.pending.clear()
    this.peer.destroy()
    this.opts.onChange()
  }

  private send(m: PeerMessage): void {
    if (this.state === 'open') this.peer.send(JSON.stringify(m))
  }

  private onOpen(): void {
    this.state = 'open'
    this.send({ type: 'hello', v: PROTOCOL_VERSION })
    for (const delay of BURST) this.timers.push(setTimeout(() => this.probe(), delay))
    this.timers.push(setInterval(() => this.probe(), PROBE_EVERY_MS))
    this.opts.onChange()
  }

  private probe(): void {
    const t0 = now()
    for (const [seq, sent] of this.pending) if (t0 - sent > PROBE_TIMEOUT_MS) this.pending.delete(seq)
    const seq = this.seq++
    this.pending.set(seq, t0)
    this.send({ type: 'clock.req', seq, t0 })
  }

  private onData(raw: Uint8Array | string): void {
    const t = now()
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
        this.send({ type: 'clock.res', seq: m.seq, t0: m.t0, t1: t, t2: now() })
        return
      case 'clock.res': {
        // Only answers to our own outstanding questions count: no replays.
        const sent = this.pending.get(m.seq)
        if (sent === undefined || sent !== m.t0) return this.strike('unexpected clock answer')
        this.pending.delete(m.seq)
        const sample = clockSample({ t0: m.t0, t1: m.t1, t2: m.t2, t3: t })
        if (!sample) return this.strike('impossible clock answer')
        this.rttMs = sample.rttMs
        this.minRttMs = this.minRttMs === null ? sample.rttMs : Math.min(this.minRttMs, sample.rttMs)
        this.opts.onChange()
        return
      }
    }
  }

  private strike(reason: string): void {
    console.warn(`[peer ${this.remoteId}] dropped message: ${reason}`)
    if (++this.strikes >= MAX_STRIKES) this.close()
  }
}

/** Milliseconds on a monotonic clock that is comparable across pages of one machine. */
function now(): number {
  return performance.timeOrigin + performance.now()
}
