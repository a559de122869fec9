/**
 * The two checks a FLAC frame carries, both MSB-first with initial value 0:
 * CRC-8 (x^8+x^2+x+1) ends the frame header (RFC 9639 §9.1.8) and CRC-16
 * (x^16+x^15+x^2+1) ends the frame (§9.3). libFLAC checks them too, but only
 * after a frame is handed to it; the framer needs them to find where a frame
 * ends, since a frame does not state its own length.
 */
function table(bits: 8 | 16, poly: number): Uint16Array {
  const top = 1 << (bits - 1)
  const mask = (1 << bits) - 1
  const t = new Uint16Array(256)
  for (let i = 0; i < 256; i++) {
    let c = i << (bits - 8)
    for (let k = 0; k < 8; k++) c = c & top ? ((c << 1) ^ poly) & mask : (c << 1) & mask
    t[i] = c
  }
  return t
}

const CRC8 = table(8, 0x07)
const CRC16 = table(16, 0x8005)

export function crc8(bytes: Uint8Array): number {
  let c = 0
  for (let i = 0; i < bytes.length; i++) c = CRC8[c ^ bytes[i]!]!
  return c
}

/** CRC-16 continued from `c`, so a growing frame is not rescanned from its start. */
export function crc16(bytes: Uint8Array, c = 0): number {
  for (let i = 0; i < bytes.length; i++) c = ((c << 8) & 0xffff) ^ CRC16[(c >> 8) ^ bytes[i]!]!
  return c
}
