import type { DecodeErrorCode } from '../../protocol/worker-api.ts'

/**
 * A stream that cannot be decoded: a stable code for programs and a sentence
 * for people as the message. Crossing comlink loses the class, so the worker
 * API rethrows it as `Error('<code>: <message>')` (see decodeErrorFromWorker).
 */
export class DecodeError extends Error {
  override name = 'DecodeError'
  readonly code: DecodeErrorCode

  constructor(code: DecodeErrorCode, message: string) {
    super(message)
    this.code = code
  }
}
