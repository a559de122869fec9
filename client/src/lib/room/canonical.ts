/**
 * The bytes a curator signs: one spelling per value, so the listener can
 * rebuild them from the parsed message. JSON with object keys sorted
 * (UTF-16 code unit order), `undefined` members left out as JSON.stringify
 * does, no whitespace. Non-finite numbers and non-JSON values throw: they
 * cannot come out of the message schema, so meeting one is a bug.
 */
import type { SignedState } from '../../../../protocol/index.ts'

/** Names the purpose and version of the signed bytes, so they can never pass for another message. */
export const STATE_CONTEXT = 'aula-sonora/state/1'

export function canonicalJson(value: unknown): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value)
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number')
      return JSON.stringify(value)
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`
    }
    default:
      throw new TypeError(`canonicalJson: cannot encode ${typeof value}`)
  }
}

/**
 * The room id is not on the wire but is signed: a state from one room cannot
 * be replayed into another that happens to share a curator key.
 */
export function stateBytes(roomId: string, s: Pick<SignedState, 'epoch' | 'seq' | 'kid' | 'body'>): Uint8Array {
  const doc = { ctx: STATE_CONTEXT, room: roomId, epoch: s.epoch, seq: s.seq, kid: s.kid, body: s.body }
  return new TextEncoder().encode(canonicalJson(doc))
}
