/**
 * The decode-worker benchmark page (bundled by bench/support/worker-page.ts
 * with Vite, like the app bundles the same worker). It talks to
 * workers/decode.worker.ts through comlink exactly as the player does:
 * one session per track, each push awaited before the next, decoded chunks
 * transferred back, then end() for the STREAMINFO MD5 verdict and the
 * file's SHA-256. The file goes in 64 KiB
 * slices (the player pushes whatever fetch yields, 64 KiB to 2 MiB).
 */
import { wrap } from 'comlink'
import type { DecodeEnd, DecodeWorkerApi } from '../../../protocol/worker-api.ts'

const SLICE = 64 * 1024

const api = wrap<DecodeWorkerApi>(new Worker(new URL('../../../workers/decode.worker.ts', import.meta.url), { type: 'module' }))
let nextSession = 1
/** The file, already cut in slices, each with a buffer of its own (as fetch hands them out). */
let slices: Uint8Array[] = []

export interface WorkerRun {
  ms: number
  frames: number
  md5: DecodeEnd['md5']
  sha256: DecodeEnd['sha256']
  /** Largest PCM one push returned, as float32 bytes. */
  peakChunkBytes: number
  /** Slowest single push round trip. */
  slowestPushMs: number
}

async function load(url: string): Promise<number> {
  const res = await fetch(url)
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`)
  const bytes = new Uint8Array(await res.arrayBuffer())
  slices = []
  for (let at = 0; at < bytes.length; at += SLICE) slices.push(bytes.slice(at, at + SLICE))
  return bytes.length
}

async function run(): Promise<WorkerRun> {
  const id = nextSession++
  await api.open(id, 'flac')
  let peakChunkBytes = 0
  let slowestPushMs = 0
  const t0 = performance.now()
  for (const s of slices) {
    const p0 = performance.now()
    const out = await api.push(id, s)
    slowestPushMs = Math.max(slowestPushMs, performance.now() - p0)
    for (const c of out.chunks) peakChunkBytes = Math.max(peakChunkBytes, c.frames * c.channels.length * 4)
  }
  const end = await api.end(id)
  const ms = performance.now() - t0
  return { ms, frames: end.frames, md5: end.md5, sha256: end.sha256, peakChunkBytes, slowestPushMs }
}

;(window as unknown as { aulaBench: object }).aulaBench = { load, run }
