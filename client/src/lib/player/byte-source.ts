/**
 * Where a track's bytes come from. Today: the library origin over HTTP; the
 * peer-to-peer swarm plugs in behind the same interface. Reads are pulled, so
 * a paused reader applies backpressure all the way to the sender.
 */
export interface ByteSource {
  /** The next slice of the file in order, or null at the end. */
  read(): Promise<Uint8Array | null>
  bytesFromOrigin: number
  close(): void
}

export class HttpByteSource implements ByteSource {
  bytesFromOrigin = 0
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined
  private readonly abort = new AbortController()

  constructor(private readonly url: string) {}

  async read(): Promise<Uint8Array | null> {
    if (!this.reader) {
      const res = await fetch(this.url, { signal: this.abort.signal })
      if (!res.ok || !res.body) throw new Error(`The library answered HTTP ${res.status} for this track`)
      this.reader = res.body.getReader()
    }
    const { value, done } = await this.reader.read()
    if (done) return null
    this.bytesFromOrigin += value.byteLength
    return value
  }

  close(): void {
    this.abort.abort()
  }
}
