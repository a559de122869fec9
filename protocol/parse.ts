import * as v from 'valibot'
import { protocolError, type ProtocolError } from './errors.ts'

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: ProtocolError }

/** Size of a value as JSON, in UTF-8 bytes; Infinity when it cannot be serialised. */
export function jsonBytes(value: unknown): number {
  try {
    const s = JSON.stringify(value)
    return s === undefined ? 0 : new TextEncoder().encode(s).length
  } catch {
    return Infinity
  }
}

/**
 * The one entry point for untrusted input: size first (cheap, and keeps a
 * hostile payload out of the validator), then the schema.
 */
export function parseWith<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  maxBytes: number,
): Parsed<v.InferOutput<S>> {
  if (jsonBytes(input) > maxBytes) return { ok: false, error: protocolError('message_too_large') }
  const r = v.safeParse(schema, input)
  if (r.success) return { ok: true, value: r.output }
  const issue = r.issues[0]
  const where = issue.path?.map((p) => String(p.key)).join('.') || 'message'
  return { ok: false, error: protocolError('invalid_message', `${where}: ${issue.message}`) }
}
