/**
 * The clock worker's side of every peer link's clock channel (protocol's
 * CLOCK_CHANNEL): it answers the remote's probes and sends this page's,
 * stamping each message as it arrives and leaves here, off the page's main
 * thread. On the main thread a busy page (a joiner starting up, a render, a
 * decode hand-off; in bench/sync, five pages on one renderer) held answers
 * back by 2-24 ms, and every such exchange is as good as useless to the
 * min-RTT estimator. The page still decides when to probe and keeps the
 * estimate; this only stamps, answers and checks.
 */
import * as v from 'valibot'
import type { ClockExchange } from '../client/src/lib/clock-sample.ts'
import { ProbeBook } from '../client/src/lib/sync/probe-book.ts'
import { parseClockMessage, ServerClockReading } from '../protocol/index.ts'

/** What the worker uses of an RTCDataChannel (a fake one in Node tests). */
export interface ClockChannelLike {
  readonly readyState: string
  send(data: string): void
  onmessage: ((e: { data: unknown }) => void) | null
  onopen: (() => void) | null
  onclose: (() => void) | null
  close(): void
}

/** One exchange this page asked for, every stamp on the page clock. */
export interface ClockExchangeStamps {
  seq: number
  t0: number
  t1: number
  t2: number
  t3: number
}

/** Calls back to the page, one set per link. */
export interface ClockLinkEvents {
  open(): void
  exchange(e: ClockExchangeStamps): void
  /** Something no honest peer sends: the page counts it against the link. */
  bad(reason: string): void
  closed(): void
}

export interface ClockWorkerApi {
  attach(linkId: number, channel: ClockChannelLike, events: ClockLinkEvents): void
  /** Sends probe `seq` now, if the channel is open; false if it is not. */
  probe(linkId: number, seq: number): boolean
  /**
   * Sends probes `firstSeq`, `firstSeq + 1`, … (`count` of them) `spacingMs`
   * apart, the first once the channel is open: a link's opening burst, timed
   * here so a busy page's main thread neither delays nor spaces it out.
   */
  burst(linkId: number, firstSeq: number, count: number, spacingMs: number): void
  detach(linkId: number): void
}

interface Link {
  channel: ClockChannelLike
  events: ClockLinkEvents
  /** Our probes not yet answered. */
  probes: ProbeBook
  /** A burst waiting for the channel to open, or going. */
  burst: { next: number; last: number; spacingMs: number; timer: ReturnType<typeof setTimeout> | undefined } | null
}

/** What the worker uses of a WebSocket (the `ws` package's in Node tests). */
export interface ClockSocketLike {
  send(data: string): void
  onmessage: ((e: { data: unknown }) => void) | null
  onopen: (() => void) | null
  onclose: (() => void) | null
  onerror: (() => void) | null
  close(): void
}

/**
 * Exchanges with the signal server's clock (protocol's SERVER_CLOCK_PATH),
 * stamped here as each probe leaves and as its answer arrives: the page's
 * main thread, busy while a joiner starts, would stamp late. One socket,
 * opened on first use and again after it closes. Each call resolves to one
 * exchange, or null (no socket, no answer within `timeoutMs`).
 */
export function serverClockProbe(open: () => ClockSocketLike, now: () => number, timeoutMs = 1000): () => Promise<ClockExchange | null> {
  let socket: ClockSocketLike | null = null
  let ready: Promise<boolean> | null = null
  let nextSeq = 0
  const pending = new Map<number, { t0: number; resolve: (e: ClockExchange | null) => void; timer: ReturnType<typeof setTimeout> }>()

  const connect = (): Promise<boolean> =>
    (ready ??= new Promise<boolean>((resolve) => {
      let s: ClockSocketLike
      try {
        s = open()
      } catch {
        ready = null
        return resolve(false)
      }
      s.onopen = () => {
        socket = s
        resolve(true)
      }
      s.onerror = () => {}
      s.onclose = () => {
        socket = null
        ready = null
        resolve(false)
        for (const p of pending.values()) {
          clearTimeout(p.timer)
          p.resolve(null)
        }
        pending.clear()
      }
      s.onmessage = (e) => {
        const t3 = now()
        let body: unknown
        try {
          body = JSON.parse(String(e.data))
        } catch {
          return
        }
        const r = v.safeParse(ServerClockReading, body)
        const p = r.success ? pending.get(r.output.seq) : undefined
        if (!r.success || !p) return
        pending.delete(r.output.seq)
        clearTimeout(p.timer)
        // The server reads its clock once, as it answers: t1 = t2.
        p.resolve({ t0: p.t0, t1: r.output.serverMs, t2: r.output.serverMs, t3 })
      }
    }))

  return async () => {
    if (!(await connect()) || !socket) return null
    const s = socket
    const seq = nextSeq++
    return new Promise<ClockExchange | null>((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(seq)
        resolve(null)
      }, timeoutMs)
      pending.set(seq, { t0: now(), resolve, timer })
      s.send(JSON.stringify({ seq }))
    })
  }
}

/** `now`: the page clock (sync-clock's pageClockReader in the worker). */
export function createClockApi(now: () => number): ClockWorkerApi {
  const links = new Map<number, Link>()

  const onMessage = (link: Link, raw: unknown) => {
    const arrived = now()
    if (typeof raw !== 'string') return link.events.bad('clock channel: not text')
    const parsed = parseClockMessage(raw)
    if (!parsed.ok) return link.events.bad(`clock channel: ${parsed.error.message}`)
    const m = parsed.value
    if (m.type === 'clock.req') {
      if (link.channel.readyState === 'open') link.channel.send(JSON.stringify({ type: 'clock.res', seq: m.seq, t0: m.t0, t1: arrived, t2: now() }))
      return
    }
    if (!link.probes.answered(m.seq, m.t0)) return link.events.bad('unexpected clock answer')
    link.events.exchange({ seq: m.seq, t0: m.t0, t1: m.t1, t2: m.t2, t3: arrived })
  }

  const send = (link: Link, seq: number) => {
    const t0 = now()
    link.probes.sent(seq, t0)
    link.channel.send(JSON.stringify({ type: 'clock.req', seq, t0 }))
  }

  const stopBurst = (link: Link) => {
    clearTimeout(link.burst?.timer)
    link.burst = null
  }

  const runBurst = (link: Link) => {
    const b = link.burst
    if (!b || link.channel.readyState !== 'open') return
    send(link, b.next++)
    if (b.next > b.last) link.burst = null
    else b.timer = setTimeout(() => runBurst(link), b.spacingMs)
  }

  return {
    attach(linkId, channel, events) {
      const link: Link = { channel, events, probes: new ProbeBook(), burst: null }
      links.set(linkId, link)
      channel.onmessage = (e) => onMessage(link, e.data)
      channel.onopen = () => {
        events.open()
        if (link.burst && link.burst.timer === undefined) runBurst(link)
      }
      channel.onclose = () => {
        stopBurst(link)
        if (links.get(linkId) === link) links.delete(linkId)
        events.closed()
      }
      if (channel.readyState === 'open') events.open()
    },
    probe(linkId, seq) {
      const link = links.get(linkId)
      if (!link || link.channel.readyState !== 'open') return false
      send(link, seq)
      return true
    },
    burst(linkId, firstSeq, count, spacingMs) {
      const link = links.get(linkId)
      if (!link || count < 1) return
      stopBurst(link)
      link.burst = { next: firstSeq, last: firstSeq + count - 1, spacingMs, timer: undefined }
      runBurst(link)
    },
    detach(linkId) {
      const link = links.get(linkId)
      if (!link) return
      stopBurst(link)
      links.delete(linkId)
      link.channel.onmessage = link.channel.onopen = link.channel.onclose = null
      link.channel.close()
    },
  }
}
