/**
 * The origin without a swarm: the file streamed from a byte offset, as the
 * player read it before P2P. SwarmByteSource falls back to it when a track's
 * swarm cannot start (no metadata, a browser that cannot verify pieces).
 */
import { SwarmError } from '../../../../protocol/index.ts'

export class OriginStream {
  /** Bytes received. */
  bytes = 0
  private reader: ReadableStreamDefaultReader<Uint8Array> | null = null

  constructor(
    private readonly url: string,
    private readonly fetchImpl: typeof fetch,
    private readonly signal: AbortSignal,
  ) {}

  /** Streams bytes [start, end) (to the end of the file without `end`) through read(). */
  async open(start: number, end?: number): Promise<void> {
    const ranged = start > 0 || end !== undefined
    const range = end === undefined ? `bytes=${start}-` : `bytes=${start}-${end - 1}`
    const res = await this.fetchImpl(this.url, { headers: ranged ? { Range: range } : {}, signal: this.signal })
    if (!res.ok || !res.body || (ranged && res.status !== 206)) throw new SwarmError('origin_failed', `HTTP ${res.status}`)
    this.reader = res.body.getReader()
  }

  get opened(): boolean {
    return this.reader !== null
  }

  async read(): Promise<Uint8Array | null> {
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
  }
}
