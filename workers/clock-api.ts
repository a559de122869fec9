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
import { ProbeBook } from '../client/src/lib/sync/probe-book.ts'
import { parseClockMessage } from '../protocol/index.ts'

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
