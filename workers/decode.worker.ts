/**
 * The decode worker: FLAC/WAV to PCM off the main thread. Plain module
 * worker, no secure-context APIs (no crypto.subtle, no WebCodecs), so it
 * runs at a LAN http:// origin too. Load it with
 * `new Worker(new URL('../../workers/decode.worker.ts', import.meta.url), { type: 'module' })`
 * and `wrap<DecodeWorkerApi>()` it.
 */
import { expose } from 'comlink'
import { createDecodeApi } from './decode-api.ts'
import { warmUp } from './decoder/warm-up.ts'

expose(createDecodeApi())

// In the background: a track that starts meanwhile waits at most one round.
void fetch(new URL('./decoder/warm-up.flac', import.meta.url))
  .then(async (res) => (res.ok ? warmUp(new Uint8Array(await res.arrayBuffer())) : 0))
  .catch((err: Error) => console.warn('[decoder] warm-up failed:', err.message))
