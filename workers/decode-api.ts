/**
 * The decode worker's API object: sessions of StreamDecoder keyed by the
 * caller's id. Kept apart from `expose()` (decode.worker.ts) so tests can
 * call it directly in Node. Decoded buffers are transferred, not copied.
 *
 * Errors cross comlink as plain Errors whose message is `<code>: <sentence>`
 * (comlink keeps an Error's message, not its class or fields); the caller
 * reads them with decodeErrorFromWorker() from protocol/worker-api.ts.
 * Misuse (an unknown session, too many open) throws without a code, which
 * decodeErrorFromWorker also reads as corrupt: the track cannot be played.
 */
import { transfer } from 'comlink'
import type { DecodeEnd, DecodeWorkerApi, PcmChunk, SeekStart, TrackCodec, TrackFormat } from '../protocol/worker-api.ts'
import { DecodeError, StreamDecoder, checkSeekStart } from './decoder/index.ts'

/** A player needs the playing track and the next one; more open sessions mean a leak. */
export const MAX_SESSIONS = 8

export interface DecodeApi extends DecodeWorkerApi {
  /** Open sessions, for tests and diagnostics. */
  sessionCount(): number
}

export function createDecodeApi(): DecodeApi {
  const sessions = new Map<number, Promise<StreamDecoder>>()

  async function session(id: unknown): Promise<StreamDecoder> {
    const s = typeof id === 'number' ? sessions.get(id) : undefined
    if (!s) throw new Error(`decode session ${String(id)} is not open`)
    return s
  }

  /** Stored before it resolves, so a push() sent right behind open() or seek() finds it. */
  async function start(id: number, created: Promise<StreamDecoder>): Promise<void> {
    sessions.set(id, created)
    try {
      await created
    } catch (err) {
      if (sessions.get(id) === created) sessions.delete(id)
      throw asWorkerError(err)
    }
  }

  function forget(id: number): void {
    const s = sessions.get(id)
    sessions.delete(id)
    s?.then((d) => d.destroy(), () => {})
  }

  return {
    async open(sessionId: number, codec: TrackCodec, from?: SeekStart): Promise<void> {
      if (!Number.isSafeInteger(sessionId) || sessionId < 0) throw new Error(`${String(sessionId)} is not a session id`)
      if (codec !== 'flac' && codec !== 'wav') throw new Error(`unsupported: the codec ${String(codec)} is not supported (FLAC and WAV are)`)
      if (sessions.has(sessionId)) throw new Error(`decode session ${sessionId} is already open`)
      if (sessions.size >= MAX_SESSIONS) throw new Error(`too many decode sessions are open (${MAX_SESSIONS}); close() the ones you are done with`)
      if (from !== undefined) checkSeekStart(from)
      await start(sessionId, StreamDecoder.create(codec, from))
    },

    async seek(sessionId: number, from: SeekStart): Promise<void> {
      const old = await session(sessionId)
      checkSeekStart(from)
      old.destroy()
      await start(sessionId, StreamDecoder.create(old.codec, from))
    },

    async push(sessionId: number, bytes: Uint8Array): Promise<{ format: TrackFormat | null; chunks: PcmChunk[] }> {
      const d = await session(sessionId)
      if (!(bytes instanceof Uint8Array)) throw new Error('push() takes a Uint8Array')
      try {
        const chunks = d.push(bytes)
        return transfer({ format: d.format, chunks }, buffersOf(chunks))
      } catch (err) {
        throw asWorkerError(err)
      }
    },

    async end(sessionId: number): Promise<DecodeEnd> {
      const d = await session(sessionId)
      try {
        const result = d.end()
        return transfer(result, buffersOf(result.chunks))
      } catch (err) {
        throw asWorkerError(err)
      } finally {
        forget(sessionId)
      }
    },

    close(sessionId: number): void {
      forget(sessionId)
    },

    sessionCount(): number {
      return sessions.size
    },
  }
}

/** Each distinct buffer once: listing a buffer twice makes postMessage throw. */
function buffersOf(chunks: PcmChunk[]): ArrayBuffer[] {
  const set = new Set<ArrayBuffer>()
  for (const c of chunks) for (const ch of c.channels) set.add(ch.buffer as ArrayBuffer)
  return [...set]
}

function asWorkerError(err: unknown): Error {
  if (err instanceof DecodeError) return new Error(`${err.code}: ${err.message}`)
  return new Error(`corrupt: the track could not be decoded (${err instanceof Error ? err.message : String(err)})`)
}
