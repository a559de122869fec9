/**
 * The page's decode worker, behind comlink. One worker serves every track
 * (sessions keep them apart); if it dies, the next session gets a fresh one.
 */
import { wrap, type Remote } from 'comlink'
import type { DecodeWorkerApi } from '../../../../protocol/index.ts'

let worker: { w: Worker; api: Remote<DecodeWorkerApi> } | undefined
let nextSession = 1

function decodeWorker(): Remote<DecodeWorkerApi> {
  if (!worker) {
    const w = new Worker(new URL('../../../../workers/decode.worker.ts', import.meta.url), { type: 'module' })
    w.addEventListener('error', () => {
      if (worker?.w === w) worker = undefined
    })
    worker = { w, api: wrap<DecodeWorkerApi>(w) }
  }
  return worker.api
}

export interface DecodeSession {
  api: Remote<DecodeWorkerApi>
  id: number
}

export async function openDecodeSession(codec: 'flac' | 'wav'): Promise<DecodeSession> {
  const api = decodeWorker()
  const id = nextSession++
  await api.open(id, codec)
  return { api, id }
}

/**
 * Starts the worker and compiles the FLAC decoder ahead of the first track:
 * both cost hundreds of milliseconds that would otherwise come out of the
 * first second of music.
 */
export async function warmUpDecoder(): Promise<void> {
  const { api, id } = await openDecodeSession('flac')
  api.close(id)
}
