/** HTTP errors as JSON `{error: {code, message}}`, sentences from the protocol catalogue. */
import type { ServerResponse } from 'node:http'
import { ERRORS, type ErrorCode } from '../protocol/index.ts'

export function sendHttpError(
  res: ServerResponse,
  status: number,
  code: ErrorCode,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify({ error: { code, message: ERRORS[code] } })
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    // An error must not be cached under the track's immutable URL.
    'Cache-Control': 'no-store',
  })
  res.end(body) // Node drops the body itself for HEAD requests.
}
