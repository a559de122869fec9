/**
 * The decode worker: FLAC/WAV to PCM off the main thread. Plain module
 * worker, no secure-context APIs (no crypto.subtle, no WebCodecs), so it
 * runs at a LAN http:// origin too. Load it with
 * `new Worker(new URL('../../workers/decode.worker.ts', import.meta.url), { type: 'module' })`
 * and `wrap<DecodeWorkerApi>()` it.
 */
import { expose } from 'comlink'
import { createDecodeApi } from './decode-api.ts'

expose(createDecodeApi())
