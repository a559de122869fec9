/**
 * A hash fed later. The file's SHA-256 and the FLAC MD5 are read only at
 * end(), yet each push hashed its slice before answering. In a browser
 * worker, the SHA-256 of a track's first 256 KiB took 13 ms on top of its
 * ~30 ms decode (bench/sync's 24/96 ramp, an idle machine; the hash code is
 * not yet optimised by then), and later slices 6-9 ms; a cold Play waits on
 * that first slice on every page. So push() keeps copies, the decode worker
 * answers, then catches the hashes up (decode-api.ts); end() does too.
 */
export interface ByteSink {
  update(bytes: Uint8Array): unknown
}

export class DeferredHash<H extends ByteSink> implements ByteSink {
  private pending: Uint8Array[] = []

  constructor(private readonly hash: H) {}

  /** Keeps a copy: callers reuse their buffers (SampleRecovery's scratch). */
  update(bytes: Uint8Array): this {
    if (bytes.byteLength > 0) this.pending.push(bytes.slice())
    return this
  }

  /** Feeds the hash what update() kept, in order, and returns it. */
  catchUp(): H {
    const pending = this.pending
    this.pending = []
    for (const b of pending) this.hash.update(b)
    return this.hash
  }

  /** Bytes kept and not hashed yet. */
  get pendingBytes(): number {
    return this.pending.reduce((n, b) => n + b.byteLength, 0)
  }
}
