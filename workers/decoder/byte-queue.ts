/**
 * Bytes received but not yet consumed, kept contiguous so a frame can be
 * checked and handed on as one view. Holds at most a header or a frame or
 * two, never the whole file: consumed bytes are dropped, and the storage is
 * compacted before it grows.
 */
const SHRINK_ABOVE = 1 << 20

export class ByteQueue {
  private buf = new Uint8Array(0)
  private start = 0
  private end = 0

  get length(): number {
    return this.end - this.start
  }

  append(bytes: Uint8Array): void {
    if (bytes.length === 0) return
    if (this.end + bytes.length > this.buf.length) {
      // Compact when the live bytes fill at most half the storage, else grow to
      // twice what is needed: each byte is copied O(1) times on average.
      const need = this.length + bytes.length
      if (need * 2 <= this.buf.length) {
        this.buf.copyWithin(0, this.start, this.end)
      } else {
        const grown = new Uint8Array(Math.max(need * 2, 4096))
        grown.set(this.buf.subarray(this.start, this.end))
        this.buf = grown
      }
      this.end = this.length
      this.start = 0
    }
    this.buf.set(bytes, this.end)
    this.end += bytes.length
  }

  /** The byte at `i` past the first unconsumed one (caller checks `i < length`). */
  at(i: number): number {
    return this.buf[this.start + i] ?? 0
  }

  /** A view of unconsumed bytes [from, to), clipped to what is there; valid only until the next append. */
  view(from = 0, to = this.length): Uint8Array {
    return this.buf.subarray(this.start + from, this.start + Math.min(to, this.length))
  }

  consume(n: number): void {
    this.start = Math.min(this.start + n, this.end)
    if (this.start === this.end) this.start = this.end = 0
    // One big push (a whole file) must not leave its storage behind.
    if (this.buf.length > SHRINK_ABOVE && this.length * 4 < this.buf.length) {
      this.buf = this.buf.slice(this.start, this.end)
      this.end = this.length
      this.start = 0
    }
  }

  clear(): void {
    this.buf = new Uint8Array(0)
    this.start = this.end = 0
  }
}
