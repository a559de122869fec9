/**
 * What to answer to a request's `Range` header (RFC 9110 §14), as a pure
 * function of the header and the file size: the streaming code only acts on
 * the decision.
 */
import parseRange from 'range-parser'

export type RangeDecision =
  /** 200 with the whole file. */
  | { kind: 'full' }
  /** 206 with bytes `start..end` inclusive. */
  | { kind: 'partial'; start: number; end: number }
  /** 416 with `Content-Range: bytes *\/size`. */
  | { kind: 'unsatisfiable' }

/**
 * - No header, a unit other than `bytes`, or a malformed header: the whole
 *   file (§14.2: a server MAY ignore Range; it MUST ignore unknown units).
 * - Several ranges: overlapping or adjacent ones are merged; if that leaves
 *   one range it is served, otherwise the whole file (as the `send` module
 *   does). Audio clients ask for one range at a time, and a 200 is always a
 *   correct answer, where multipart/byteranges would be code no client here uses.
 * - A suffix longer than the file means the whole file, as a 206 (§14.1.2).
 * - An empty file has no bytes to range over: the (empty) whole file.
 * - `validator.ifRange`: the request's `If-Range`; unless it equals the strong `etag`,
 *   the range was computed against other content, so send the whole file (§13.1.5).
 */
export function decideRange(
  size: number,
  header: string | undefined,
  validator?: { ifRange: string | undefined; etag: string },
): RangeDecision {
  if (!header) return { kind: 'full' }
  if (validator?.ifRange !== undefined && validator.ifRange.trim() !== validator.etag) return { kind: 'full' }
  const eq = header.indexOf('=')
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return { kind: 'full' }
  if (size === 0) return { kind: 'full' }

  // range-parser drops a suffix longer than the file as unsatisfiable; RFC 9110 says it means "all of it".
  const specs = header
    .slice(eq + 1)
    .split(',')
    .map((spec) => {
      const suffix = /^\s*-\s*(\d+)\s*$/.exec(spec)
      return suffix && Number(suffix[1]) > size ? '0-' : spec
    })
  const ranges = parseRange(size, `bytes=${specs.join(',')}`, { combine: true })
  if (ranges === -2) return { kind: 'full' }
  if (ranges === -1) return { kind: 'unsatisfiable' }
  const only = ranges[0]
  if (ranges.length !== 1 || !only) return { kind: 'full' }
  return { kind: 'partial', start: only.start, end: only.end }
}
