import { randomBytes, timingSafeEqual } from 'node:crypto'
import { TOKEN_BYTES } from '../protocol/index.ts'

/** 128 random bits as base64url: room ids, peer ids and invite tokens alike. */
export function randomId(bytes: number = TOKEN_BYTES): string {
  return randomBytes(bytes).toString('base64url')
}

/** Compare secrets without leaking how many leading characters matched. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}
