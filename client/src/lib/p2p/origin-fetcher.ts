/**
 * Whole pieces from the library origin (`GET /api/stream/:trackId` with a
 * Range), each checked against the torrent's SHA-1 before anyone uses it.
 * Also keeps the measured delivery time that the piece plan needs.
 */
import { SwarmError } from '../../../../protocol/index.ts'
import { sha1Hex } from './digest.ts'
import { prefetchedFrom } from './origin-prefetch.ts'
import { pieceBytes, pieceStart, type PieceLayout } from './piece-plan.ts'

/** Before the first measurement: a LAN round trip and ~2 MB/s, so early pieces start promptly. */
const DEFAULT_LATENCY_MS = 50
const DEFAULT_BYTES_PER_MS = 2_000
/** Weight of the newest sample in the moving averages. */
const EWMA = 0.3

export class OriginFetcher {
  /** Bytes received from the origin, whether or not they were needed in the end. */
  bytes = 0
  private latencyMs = DEFAULT_LATENCY_MS
  private bytesPerMs = DEFAULT_BYTES_PER_MS

  constructor(
    private readonly url: string,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Expected time for the origin to deliver `bytes`. */
  etaMs(bytes: number): number {
    return this.latencyMs + bytes / this.bytesPerMs
  }

  async fetchPiece(layout: PieceLayout, index: number, expectedSha1: string, signal?: AbortSignal): Promise<Uint8Array> {
    const start = pieceStart(layout, index)
    const length = pieceBytes(layout, index)
    // A joiner's prefetched range (origin-prefetch.ts) outlasts its first
    // seconds: the pieces in it are already here once the swarm takes over.
    const early = await prefetchedFrom(this.url, start)
    if (early && early.byteLength >= length) {
      const piece = await this.checked(index, early.slice(0, length), length, expectedSha1).catch(() => null)
      if (piece) return piece // else the network's copy is checked below
    }
    const t0 = this.now()
    let res: Response
    try {
      res = await this.fetchImpl(this.url, { headers: { Range: `bytes=${start}-${start + length - 1}` }, signal })
    } catch (err) {
      throw new SwarmError('origin_failed', (err as Error).message)
    }
    const t1 = this.now()
    if (res.status !== 206) {
      await res.body?.cancel().catch(() => {})
      throw new SwarmError('origin_failed', `HTTP ${res.status} for piece ${index}`)
    }
    const body = new Uint8Array(await res.arrayBuffer())
    const t2 = this.now()
    this.latencyMs += EWMA * (t1 - t0 - this.latencyMs)
    if (t2 > t1) this.bytesPerMs += EWMA * (body.byteLength / Math.max(1, t2 - t0) - this.bytesPerMs)
    return this.checked(index, body, length, expectedSha1)
  }

  private async checked(index: number, body: Uint8Array, length: number, expectedSha1: string): Promise<Uint8Array> {
    this.bytes += body.byteLength
    if (body.byteLength !== length) throw new SwarmError('origin_corrupt', `piece ${index}: ${body.byteLength} of ${length} bytes`)
    if ((await sha1Hex(body)) !== expectedSha1) throw new SwarmError('origin_corrupt', `piece ${index} fails its hash`)
    return body
  }
}
