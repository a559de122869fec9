/**
 * The origin without a swarm: the file streamed from a byte offset, as the
 * player read it before P2P. SwarmByteSource falls back to it when a track's
 * swarm cannot start (no metadata, a browser that cannot verify pieces), and
 * bridges a start's first bytes through it. Bytes a joiner prefetched
 * (origin-prefetch.ts) come from memory.
 */
import { SwarmError } from '../../../../protocol/index.ts'
import { prefetchedFrom } from './origin-prefetch.ts'

/**
 * Prefetched bytes are handed out in reads of up to this much: a decode
 * slice's most (track-stream.ts), so a start's first pull decodes as much as
 * one can. In 64 KiB reads it took four pulls, each a worker round trip.
 */
const READ_BYTES = 256 * 1024

export class OriginStream {
  /** Bytes received. */
  bytes = 0
  private reader: ReadableStreamDefaultReader<Uint8Array> | null = null
  /** Prefetched bytes (origin-prefetch.ts) still to hand out, then where the network takes over. */
  private early: Uint8Array | null = null
  private rest: { start: number; end?: number } | null = null
  /** Nothing more after `early`: the range asked for was all prefetched, or lies past the end of the file. */
  private atEnd = false

  constructor(
    private readonly url: string,
    private readonly fetchImpl: typeof fetch,
    private readonly signal: AbortSignal,
  ) {}

  /** Streams bytes [start, end) (to the end of the file without `end`) through read(). */
  async open(start: number, end?: number): Promise<void> {
    if (await this.fromPrefetch(start, end)) performance.mark('aula:prefetch-hit', { detail: { start } })
    else await this.request(start, end)
  }

  /** Whether a prefetched range holds byte `start`: read() then hands out what of it has come, and goes on from `rest`. */
  private async fromPrefetch(start: number, end?: number): Promise<boolean> {
    const early = await prefetchedFrom(this.url, start)
    if (!early || early.byteLength === 0) return false
    const n = end === undefined ? early.byteLength : Math.min(early.byteLength, end - start)
    this.early = early.subarray(0, n)
    this.rest = end === undefined || start + n < end ? { start: start + n, end } : null
    // All of the range asked for was here: nothing follows.
    this.atEnd = this.rest === null
    return true
  }

  /** `afterPrefetch`: the range goes on where prefetched bytes ended, maybe at the end of the file. */
  private async request(start: number, end?: number, afterPrefetch = false): Promise<void> {
    const ranged = start > 0 || end !== undefined
    const range = end === undefined ? `bytes=${start}-` : `bytes=${start}-${end - 1}`
    const res = await this.fetchImpl(this.url, { headers: ranged ? { Range: range } : {}, signal: this.signal })
    // Prefetched bytes ran to the end of the file: the rest is empty.
    if (res.status === 416 && afterPrefetch) {
      this.atEnd = true
      return
    }
    if (!res.ok || !res.body || (ranged && res.status !== 206)) throw new SwarmError('origin_failed', `HTTP ${res.status}`)
    this.reader = res.body.getReader()
  }

  get opened(): boolean {
    return this.reader !== null || this.early !== null || this.rest !== null || this.atEnd
  }

  async read(): Promise<Uint8Array | null> {
    if (this.early) {
      const chunk = this.early.subarray(0, READ_BYTES)
      this.early = this.early.byteLength > READ_BYTES ? this.early.subarray(READ_BYTES) : null
      this.bytes += chunk.byteLength
      return chunk
    }
    if (this.rest) {
      // Past a prefetched range: the next one, or the network.
      const { start, end } = this.rest
      this.rest = null
      if (await this.fromPrefetch(start, end)) return this.read()
      await this.request(start, end, true)
    }
    if (this.atEnd) return null
    if (!this.reader) throw new Error('OriginStream.read() before open()')
    const { value, done } = await this.reader.read()
    if (done) return null
    this.bytes += value.byteLength
    return value
  }

  /** Bytes [from, to), fewer at the end of the file. */
  async range(from: number, to: number): Promise<Uint8Array> {
    const res = await this.fetchImpl(this.url, { headers: { Range: `bytes=${from}-${to - 1}` }, signal: this.signal })
    if (res.status === 416) return new Uint8Array(0)
    if (res.status !== 206) throw new SwarmError('origin_failed', `HTTP ${res.status}`)
    const body = new Uint8Array(await res.arrayBuffer())
    this.bytes += body.byteLength
    return body
  }

  /** Stops the current stream; open() may start another. */
  cancel(): void {
    void this.reader?.cancel().catch(() => {})
    this.reader = null
    this.early = null
    this.rest = null
    this.atEnd = false
  }
}
