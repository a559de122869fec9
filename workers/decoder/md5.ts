/**
 * Incremental MD5 (RFC 1321) for the STREAMINFO check (RFC 9639 §8.2).
 * WebCrypto has no MD5, and @noble/hashes' table-driven one ran ~100 MB/s in
 * Node and ~165 MB/s in Chromium, so hashing 24/96 PCM cost more than
 * decoding it. Here the 64 steps are unrolled with constants and rotations
 * written out (no helper calls: Node 20's V8 stops inlining them after a
 * few), ~650 MB/s in Node and ~450 MB/s in Chromium 156. Checked against
 * node:crypto in tests/unit/hashes.test.ts.
 */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1

export class Md5 {
  private a = 0x67452301
  private b = 0xefcdab89 | 0
  private c = 0x98badcfe | 0
  private d = 0x10325476
  private readonly block = new Uint8Array(64)
  private readonly words = new Int32Array(16)
  private buffered = 0
  private length = 0

  update(bytes: Uint8Array): this {
    this.length += bytes.length
    let at = 0
    if (this.buffered > 0) {
      const n = Math.min(64 - this.buffered, bytes.length)
      this.block.set(bytes.subarray(0, n), this.buffered)
      this.buffered += n
      at = n
      if (this.buffered < 64) return this
      this.compress(this.block, 0)
      this.buffered = 0
    }
    const whole = (bytes.length - at) & ~63
    if (whole > 0 && LITTLE_ENDIAN && (bytes.byteOffset + at) % 4 === 0) {
      // Aligned (the usual case: PCM scratch buffers): read whole words, not bytes.
      const words = new Int32Array(bytes.buffer, bytes.byteOffset + at, whole / 4)
      for (let w = 0; w < words.length; w += 16) this.compressWords(words, w)
      at += whole
    }
    for (; at + 64 <= bytes.length; at += 64) this.compress(bytes, at)
    if (at < bytes.length) {
      this.block.set(bytes.subarray(at), 0)
      this.buffered = bytes.length - at
    }
    return this
  }

  digestHex(): string {
    const bits = this.length * 8
    const tail = new Uint8Array(((this.buffered + 8) >> 6) * 64 + 64 - this.buffered)
    tail[0] = 0x80
    const dv = new DataView(tail.buffer)
    dv.setUint32(tail.length - 8, bits >>> 0, true)
    dv.setUint32(tail.length - 4, Math.floor(bits / 2 ** 32), true)
    this.update(tail)
    let hex = ''
    for (const word of [this.a, this.b, this.c, this.d]) {
      for (let i = 0; i < 4; i++) hex += ((word >>> (8 * i)) & 0xff).toString(16).padStart(2, '0')
    }
    return hex
  }

  private compress(p: Uint8Array, at: number): void {
    const x = this.words
    for (let i = 0; i < 16; i++, at += 4) x[i] = p[at]! | (p[at + 1]! << 8) | (p[at + 2]! << 16) | (p[at + 3]! << 24)
    this.compressWords(x, 0)
  }

  /** One 64-byte block given as 16 little-endian words at `x[o]`. */
  private compressWords(x: Int32Array, o: number): void {
    let a = this.a
    let b = this.b
    let c = this.c
    let d = this.d
    // RFC 1321 §3.4; K[i] = floor(abs(sin(i + 1)) * 2^32) written out.
    // round 1
    a = (a + ((b & c) | (~b & d)) + x[o + 0]! + (0xd76aa478 | 0)) | 0
    a = (((a << 7) | (a >>> 25)) + b) | 0
    d = (d + ((a & b) | (~a & c)) + x[o + 1]! + (0xe8c7b756 | 0)) | 0
    d = (((d << 12) | (d >>> 20)) + a) | 0
    c = (c + ((d & a) | (~d & b)) + x[o + 2]! + (0x242070db)) | 0
    c = (((c << 17) | (c >>> 15)) + d) | 0
    b = (b + ((c & d) | (~c & a)) + x[o + 3]! + (0xc1bdceee | 0)) | 0
    b = (((b << 22) | (b >>> 10)) + c) | 0
    a = (a + ((b & c) | (~b & d)) + x[o + 4]! + (0xf57c0faf | 0)) | 0
    a = (((a << 7) | (a >>> 25)) + b) | 0
    d = (d + ((a & b) | (~a & c)) + x[o + 5]! + (0x4787c62a)) | 0
    d = (((d << 12) | (d >>> 20)) + a) | 0
    c = (c + ((d & a) | (~d & b)) + x[o + 6]! + (0xa8304613 | 0)) | 0
    c = (((c << 17) | (c >>> 15)) + d) | 0
    b = (b + ((c & d) | (~c & a)) + x[o + 7]! + (0xfd469501 | 0)) | 0
    b = (((b << 22) | (b >>> 10)) + c) | 0
    a = (a + ((b & c) | (~b & d)) + x[o + 8]! + (0x698098d8)) | 0
    a = (((a << 7) | (a >>> 25)) + b) | 0
    d = (d + ((a & b) | (~a & c)) + x[o + 9]! + (0x8b44f7af | 0)) | 0
    d = (((d << 12) | (d >>> 20)) + a) | 0
    c = (c + ((d & a) | (~d & b)) + x[o + 10]! + (0xffff5bb1 | 0)) | 0
    c = (((c << 17) | (c >>> 15)) + d) | 0
    b = (b + ((c & d) | (~c & a)) + x[o + 11]! + (0x895cd7be | 0)) | 0
    b = (((b << 22) | (b >>> 10)) + c) | 0
    a = (a + ((b & c) | (~b & d)) + x[o + 12]! + (0x6b901122)) | 0
    a = (((a << 7) | (a >>> 25)) + b) | 0
    d = (d + ((a & b) | (~a & c)) + x[o + 13]! + (0xfd987193 | 0)) | 0
    d = (((d << 12) | (d >>> 20)) + a) | 0
    c = (c + ((d & a) | (~d & b)) + x[o + 14]! + (0xa679438e | 0)) | 0
    c = (((c << 17) | (c >>> 15)) + d) | 0
    b = (b + ((c & d) | (~c & a)) + x[o + 15]! + (0x49b40821)) | 0
    b = (((b << 22) | (b >>> 10)) + c) | 0
    // round 2
    a = (a + ((b & d) | (c & ~d)) + x[o + 1]! + (0xf61e2562 | 0)) | 0
    a = (((a << 5) | (a >>> 27)) + b) | 0
    d = (d + ((a & c) | (b & ~c)) + x[o + 6]! + (0xc040b340 | 0)) | 0
    d = (((d << 9) | (d >>> 23)) + a) | 0
    c = (c + ((d & b) | (a & ~b)) + x[o + 11]! + (0x265e5a51)) | 0
    c = (((c << 14) | (c >>> 18)) + d) | 0
    b = (b + ((c & a) | (d & ~a)) + x[o + 0]! + (0xe9b6c7aa | 0)) | 0
    b = (((b << 20) | (b >>> 12)) + c) | 0
    a = (a + ((b & d) | (c & ~d)) + x[o + 5]! + (0xd62f105d | 0)) | 0
    a = (((a << 5) | (a >>> 27)) + b) | 0
    d = (d + ((a & c) | (b & ~c)) + x[o + 10]! + (0x02441453)) | 0
    d = (((d << 9) | (d >>> 23)) + a) | 0
    c = (c + ((d & b) | (a & ~b)) + x[o + 15]! + (0xd8a1e681 | 0)) | 0
    c = (((c << 14) | (c >>> 18)) + d) | 0
    b = (b + ((c & a) | (d & ~a)) + x[o + 4]! + (0xe7d3fbc8 | 0)) | 0
    b = (((b << 20) | (b >>> 12)) + c) | 0
    a = (a + ((b & d) | (c & ~d)) + x[o + 9]! + (0x21e1cde6)) | 0
    a = (((a << 5) | (a >>> 27)) + b) | 0
    d = (d + ((a & c) | (b & ~c)) + x[o + 14]! + (0xc33707d6 | 0)) | 0
    d = (((d << 9) | (d >>> 23)) + a) | 0
    c = (c + ((d & b) | (a & ~b)) + x[o + 3]! + (0xf4d50d87 | 0)) | 0
    c = (((c << 14) | (c >>> 18)) + d) | 0
    b = (b + ((c & a) | (d & ~a)) + x[o + 8]! + (0x455a14ed)) | 0
    b = (((b << 20) | (b >>> 12)) + c) | 0
    a = (a + ((b & d) | (c & ~d)) + x[o + 13]! + (0xa9e3e905 | 0)) | 0
    a = (((a << 5) | (a >>> 27)) + b) | 0
    d = (d + ((a & c) | (b & ~c)) + x[o + 2]! + (0xfcefa3f8 | 0)) | 0
    d = (((d << 9) | (d >>> 23)) + a) | 0
    c = (c + ((d & b) | (a & ~b)) + x[o + 7]! + (0x676f02d9)) | 0
    c = (((c << 14) | (c >>> 18)) + d) | 0
    b = (b + ((c & a) | (d & ~a)) + x[o + 12]! + (0x8d2a4c8a | 0)) | 0
    b = (((b << 20) | (b >>> 12)) + c) | 0
    // round 3
    a = (a + (b ^ c ^ d) + x[o + 5]! + (0xfffa3942 | 0)) | 0
    a = (((a << 4) | (a >>> 28)) + b) | 0
    d = (d + (a ^ b ^ c) + x[o + 8]! + (0x8771f681 | 0)) | 0
    d = (((d << 11) | (d >>> 21)) + a) | 0
    c = (c + (d ^ a ^ b) + x[o + 11]! + (0x6d9d6122)) | 0
    c = (((c << 16) | (c >>> 16)) + d) | 0
    b = (b + (c ^ d ^ a) + x[o + 14]! + (0xfde5380c | 0)) | 0
    b = (((b << 23) | (b >>> 9)) + c) | 0
    a = (a + (b ^ c ^ d) + x[o + 1]! + (0xa4beea44 | 0)) | 0
    a = (((a << 4) | (a >>> 28)) + b) | 0
    d = (d + (a ^ b ^ c) + x[o + 4]! + (0x4bdecfa9)) | 0
    d = (((d << 11) | (d >>> 21)) + a) | 0
    c = (c + (d ^ a ^ b) + x[o + 7]! + (0xf6bb4b60 | 0)) | 0
    c = (((c << 16) | (c >>> 16)) + d) | 0
    b = (b + (c ^ d ^ a) + x[o + 10]! + (0xbebfbc70 | 0)) | 0
    b = (((b << 23) | (b >>> 9)) + c) | 0
    a = (a + (b ^ c ^ d) + x[o + 13]! + (0x289b7ec6)) | 0
    a = (((a << 4) | (a >>> 28)) + b) | 0
    d = (d + (a ^ b ^ c) + x[o + 0]! + (0xeaa127fa | 0)) | 0
    d = (((d << 11) | (d >>> 21)) + a) | 0
    c = (c + (d ^ a ^ b) + x[o + 3]! + (0xd4ef3085 | 0)) | 0
    c = (((c << 16) | (c >>> 16)) + d) | 0
    b = (b + (c ^ d ^ a) + x[o + 6]! + (0x04881d05)) | 0
    b = (((b << 23) | (b >>> 9)) + c) | 0
    a = (a + (b ^ c ^ d) + x[o + 9]! + (0xd9d4d039 | 0)) | 0
    a = (((a << 4) | (a >>> 28)) + b) | 0
    d = (d + (a ^ b ^ c) + x[o + 12]! + (0xe6db99e5 | 0)) | 0
    d = (((d << 11) | (d >>> 21)) + a) | 0
    c = (c + (d ^ a ^ b) + x[o + 15]! + (0x1fa27cf8)) | 0
    c = (((c << 16) | (c >>> 16)) + d) | 0
    b = (b + (c ^ d ^ a) + x[o + 2]! + (0xc4ac5665 | 0)) | 0
    b = (((b << 23) | (b >>> 9)) + c) | 0
    // round 4
    a = (a + (c ^ (b | ~d)) + x[o + 0]! + (0xf4292244 | 0)) | 0
    a = (((a << 6) | (a >>> 26)) + b) | 0
    d = (d + (b ^ (a | ~c)) + x[o + 7]! + (0x432aff97)) | 0
    d = (((d << 10) | (d >>> 22)) + a) | 0
    c = (c + (a ^ (d | ~b)) + x[o + 14]! + (0xab9423a7 | 0)) | 0
    c = (((c << 15) | (c >>> 17)) + d) | 0
    b = (b + (d ^ (c | ~a)) + x[o + 5]! + (0xfc93a039 | 0)) | 0
    b = (((b << 21) | (b >>> 11)) + c) | 0
    a = (a + (c ^ (b | ~d)) + x[o + 12]! + (0x655b59c3)) | 0
    a = (((a << 6) | (a >>> 26)) + b) | 0
    d = (d + (b ^ (a | ~c)) + x[o + 3]! + (0x8f0ccc92 | 0)) | 0
    d = (((d << 10) | (d >>> 22)) + a) | 0
    c = (c + (a ^ (d | ~b)) + x[o + 10]! + (0xffeff47d | 0)) | 0
    c = (((c << 15) | (c >>> 17)) + d) | 0
    b = (b + (d ^ (c | ~a)) + x[o + 1]! + (0x85845dd1 | 0)) | 0
    b = (((b << 21) | (b >>> 11)) + c) | 0
    a = (a + (c ^ (b | ~d)) + x[o + 8]! + (0x6fa87e4f)) | 0
    a = (((a << 6) | (a >>> 26)) + b) | 0
    d = (d + (b ^ (a | ~c)) + x[o + 15]! + (0xfe2ce6e0 | 0)) | 0
    d = (((d << 10) | (d >>> 22)) + a) | 0
    c = (c + (a ^ (d | ~b)) + x[o + 6]! + (0xa3014314 | 0)) | 0
    c = (((c << 15) | (c >>> 17)) + d) | 0
    b = (b + (d ^ (c | ~a)) + x[o + 13]! + (0x4e0811a1)) | 0
    b = (((b << 21) | (b >>> 11)) + c) | 0
    a = (a + (c ^ (b | ~d)) + x[o + 4]! + (0xf7537e82 | 0)) | 0
    a = (((a << 6) | (a >>> 26)) + b) | 0
    d = (d + (b ^ (a | ~c)) + x[o + 11]! + (0xbd3af235 | 0)) | 0
    d = (((d << 10) | (d >>> 22)) + a) | 0
    c = (c + (a ^ (d | ~b)) + x[o + 2]! + (0x2ad7d2bb)) | 0
    c = (((c << 15) | (c >>> 17)) + d) | 0
    b = (b + (d ^ (c | ~a)) + x[o + 9]! + (0xeb86d391 | 0)) | 0
    b = (((b << 21) | (b >>> 11)) + c) | 0
    this.a = (this.a + a) | 0
    this.b = (this.b + b) | 0
    this.c = (this.c + c) | 0
    this.d = (this.d + d) | 0
  }
}
