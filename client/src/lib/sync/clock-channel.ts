/**
 * The page's end of the clock channels (protocol's CLOCK_CHANNEL): each peer
 * link creates its negotiated channel and hands it straight to the page's
 * clock worker (workers/clock-api.ts), which stamps, answers and checks every
 * exchange off the main thread. Chromium lets a data channel move to a
 * worker only in the task that creates it, before any send; where that fails
 * (another browser, Node) there is no clock channel and the link keeps its
 * exchanges on the room channel.
 */
import { proxy, transfer, wrap, type Remote } from 'comlink'
import { CLOCK_CHANNEL } from '../../../../protocol/index.ts'
import type { ClockChannelLike, ClockExchangeStamps } from '../../../../workers/clock-api.ts'
import type { ClockWorker } from '../../../../workers/clock.worker.ts'
import { ServerClock } from './server-clock.ts'
import { pageClock } from './sync-clock.ts'

export interface ClockPathEvents {
  exchange(e: ClockExchangeStamps): void
  bad(reason: string): void
}

/** A link's clock channel, as the link sees it. */
export interface ClockPath {
  /** The channel is open at both ends: probes go here. */
  readonly open: boolean
  probe(seq: number): void
  /** Probes `firstSeq` … `firstSeq + count - 1`, `spacingMs` apart, timed in the worker from the channel's opening. */
  burst(firstSeq: number, count: number, spacingMs: number): void
  close(): void
}

export type ClockPathFactory = (pc: RTCPeerConnection, events: ClockPathEvents) => ClockPath | null

let worker: Remote<ClockWorker> | null | undefined
let nextLink = 1

function clockWorker(): Remote<ClockWorker> | null {
  if (worker !== undefined) return worker
  try {
    const w = new Worker(new URL('../../../../workers/clock.worker.ts', import.meta.url), { type: 'module' })
    worker = wrap<ClockWorker>(w)
    void worker.configure(pageClock())
    // A worker that fails to load leaves every link on the room channel.
    w.addEventListener('error', () => (worker = null))
  } catch {
    worker = null
  }
  return worker
}

/** Loads the worker ahead of the first link (a join), so the first exchanges need not wait for it. */
export function startClockWorker(): void {
  if (typeof Worker !== 'undefined') clockWorker()
}

let serverClock: ServerClock | undefined

/** This page's clock against the signal server's, its exchanges stamped in the clock worker. */
export function pageServerClock(): ServerClock {
  return (serverClock ??= new ServerClock(async (count) => (await clockWorker()?.probeServer(count)) ?? []))
}

/** The browser's factory (PeerLinkOptions.clockPath); undefined where there are no workers. */
export const workerClockPath: ClockPathFactory | undefined = typeof Worker === 'undefined' ? undefined : openClockPath

function openClockPath(pc: RTCPeerConnection, events: ClockPathEvents): ClockPath | null {
  const api = clockWorker()
  if (!api) return null
  let channel: RTCDataChannel
  try {
    // Unordered, never resent: a resent probe only comes back with a long round trip.
    channel = pc.createDataChannel(CLOCK_CHANNEL.label, { negotiated: true, id: CLOCK_CHANNEL.id, ordered: false, maxRetransmits: 0 })
  } catch {
    return null
  }
  const linkId = nextLink++
  let open = false
  let closed = false
  // Comlink posts synchronously, so the channel moves in the task that made
  // it. A refused move rejects: the channel is closed then, which closes the
  // remote end too, so that peer does not probe a channel nobody answers.
  api
    .attach(
      linkId,
      // The worker sees it as a ClockChannelLike (what it uses of it).
      transfer(channel as unknown as ClockChannelLike, [channel as unknown as Transferable]),
      proxy({
        open: () => void (open = !closed),
        exchange: (e: ClockExchangeStamps) => !closed && events.exchange(e),
        bad: (reason: string) => !closed && events.bad(reason),
        closed: () => void (open = false),
      }),
    )
    .catch(() => {
      closed = true
      open = false
      try {
        channel.close()
      } catch {
        // It moved after all, and the worker failed: nothing is left here to close.
      }
    })
  return {
    get open() {
      return open
    },
    probe(seq) {
      void api.probe(linkId, seq)
    },
    burst(firstSeq, count, spacingMs) {
      void api.burst(linkId, firstSeq, count, spacingMs)
    },
    close() {
      if (closed) return
      closed = true
      open = false
      void api.detach(linkId)
    },
  }
}
