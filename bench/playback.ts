/**
 * `npm run bench:playback`: the lossless engine in Debian's Chromium
 * (headless). Prints figures, never pass/fail.
 *
 * 1. Decode speed in one Web Worker as × real time, FLAC 16/44.1, 24/96 and
 *    24/192 (60 s of music-like sound, bench/support/flac-gen.ts): the real
 *    workers/decode.worker.ts, bundled by Vite into a page of its own
 *    (bench/support/worker-page/), fed through comlink in 64 KiB slices,
 *    each push awaited as the player awaits its own (the player pushes what
 *    fetch yields, often larger: see 2.); full path incl. STREAMINFO MD5
 *    and SHA-256. Median of 3 after a warm-up.
 * 2. PCM held while the real app player plays a 5-minute 24/192 stereo track
 *    from a temp library through a real server: the player's own ledger
 *    (`heldPcmBytes`, `peakPcmBytes`) sampled every 250 ms for 45 s, for the
 *    'aggressive' strategy (the worst case) and 'balanced'. The window
 *    fills in about 30 s and should then stay flat; the renderer process's
 *    anonymous memory is printed beside it as a cross-check of the ledger.
 *    Then the worst content rather than the worst rate: a track opening with
 *    4 minutes of digital silence, which FLAC stores in a few bytes per
 *    block, so one slice of bytes holds minutes of PCM. Also printed: the
 *    sizes of the byte slices the player actually pushes to the worker
 *    (seen by wrapping Worker.prototype.postMessage, which changes nothing).
 * 3. The main thread while playing: a `longtask` PerformanceObserver
 *    registered before navigation counts tasks over 50 ms; a Chromium trace
 *    of the same 45 s gives the longest task of any length (the longtask
 *    API never reports one under 50 ms).
 *
 * Bounded to 5 minutes; temp folders are removed on every exit path.
 * AULA_BENCH_TRACE_DIR=<dir> keeps the Chromium traces (open them in
 * chrome://tracing or Perfetto) to see what a long task was.
 */
import './support/quiet-log.ts'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import type { Page } from 'playwright-core'
import type { Track } from '../protocol/index.ts'
import { ensureChromium, launchChromium, type LaunchedBrowser } from '../tests/support/chromium.ts'
import { createRoom } from '../tests/support/pages.ts'
import { startTestServer } from '../tests/support/server.ts'
import { longFlacFile, musicLikeFlacFile, requireAudioTools } from './support/flac-gen.ts'
import { percentile } from './support/stats.ts'
import { buildApp, buildWorkerPage, serveStatic, type StaticServer } from './support/worker-page.ts'
import type { WorkerRun } from './support/worker-page/main.ts'

const DECODE_SECONDS = 60
const RUNS = 3
const DECODE_CONFIGS = [
  { rate: 44100, bits: 16 },
  { rate: 96000, bits: 24 },
  { rate: 192000, bits: 24 },
] as const
const LONG_SECONDS = 300
const SILENCE_LEAD_SECONDS = 240
const BUDGET_MS = 5 * 60_000
/** The player's bound (MAX_PCM_BYTES in client/src/lib/player/buffer-budget.ts): 64 MiB. */
const LIMIT_BYTES = 64 * 2 ** 20
const TRACE_CATEGORIES = ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8']

const MiB = (bytes: number) => (bytes / 2 ** 20).toFixed(1)

// --- preconditions: say clearly what is missing ---------------------------------
requireAudioTools('bench/playback')
try {
  await ensureChromium()
} catch (err) {
  console.error(`bench/playback: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
}

// --- resources, released on every exit path -------------------------------------
const tmp = mkdtempSync(join(tmpdir(), 'aula-bench-playback-'))
let browser: LaunchedBrowser | undefined
let staticServer: StaticServer | undefined
let appServer: Awaited<ReturnType<typeof startTestServer>> | undefined

async function cleanup(): Promise<void> {
  await browser?.close()
  browser = undefined
  await staticServer?.close().catch(() => {})
  staticServer = undefined
  await appServer?.dispose().catch(() => {})
  appServer = undefined
  rmSync(tmp, { recursive: true, force: true })
}

const overBudget = setTimeout(() => {
  console.error(`bench/playback: still running after ${BUDGET_MS / 60_000} minutes; stopping`)
  void cleanup().finally(() => process.exit(1))
}, BUDGET_MS)
overBudget.unref()
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => void cleanup().finally(() => process.exit(130)))
}

// --- 1. decode speed in a Chromium worker ----------------------------------------
async function workerDecode(): Promise<void> {
  const www = join(tmp, 'www')
  await buildWorkerPage(www)
  const media = join(www, 'media')
  mkdirSync(media)
  staticServer = await serveStatic(www)
  const page = await (await browser!.context()).newPage()
  page.on('pageerror', (e) => console.error('[worker page]', e.message))
  await page.goto(`${staticServer.origin}/`)
  await page.waitForFunction('typeof window.aulaBench === "object"')

  for (const { rate, bits } of DECODE_CONFIGS) {
    const file = musicLikeFlacFile(media, rate, bits, DECODE_SECONDS)
    const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex')
    const size = (await page.evaluate(`window.aulaBench.load(${JSON.stringify(`/media/${basename(file)}`)})`)) as number
    await page.evaluate('window.aulaBench.run()') // warm-up: wasm compile, JIT
    const runs: WorkerRun[] = []
    for (let i = 0; i < RUNS; i++) runs.push((await page.evaluate('window.aulaBench.run()')) as WorkerRun)
    runs.sort((a, b) => a.ms - b.ms)
    const median = runs[Math.floor(RUNS / 2)]!
    const seconds = median.frames / rate
    const label = `${bits}/${rate / 1000}`
    console.log(
      `decode chromium worker flac ${label}: ${Math.round((seconds * 1000) / median.ms)}x real time (${seconds.toFixed(1)} s in ${Math.round(median.ms)} ms, ` +
        `median of ${RUNS}; ${MiB(size)} MiB file in 64 KiB pushes, MD5 ${median.md5}, SHA-256 ${median.sha256 === sha256 ? 'match' : 'MISMATCH'})`,
    )
    console.log(
      `decode chromium worker flac ${label}: slowest push round trip ${median.slowestPushMs.toFixed(1)} ms, ` +
        `largest PCM chunk per push ${(median.peakChunkBytes / 2 ** 10).toFixed(0)} KiB`,
    )
    rmSync(file)
  }
  await page.context().close()
  await staticServer.close()
  staticServer = undefined
}

// --- 2 and 3. the app player ---------------------------------------------------

/**
 * Installed before the app's own scripts: the longtask observer (buffered,
 * so nothing before it is missed) and the sampler. A string, not a function:
 * tsx would wrap named inner functions in a helper the page lacks.
 */
const PAGE_PROBE = `(() => {
  const longTasks = []
  let observerError = null
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longTasks.push([e.startTime, e.duration])
    }).observe({ type: 'longtask', buffered: true })
  } catch (e) {
    observerError = String(e)
  }
  // The byte slices the player hands the decode worker (comlink 'push' calls),
  // seen by wrapping postMessage: it changes nothing about what is sent.
  const pushBytes = []
  const post = Worker.prototype.postMessage
  Worker.prototype.postMessage = function (msg, ...rest) {
    if (msg && msg.type === 'APPLY' && Array.isArray(msg.path) && msg.path[0] === 'push') {
      for (const a of msg.argumentList || []) if (a && a.value instanceof Uint8Array) pushBytes.push(a.value.byteLength)
    }
    return post.call(this, msg, ...rest)
  }
  const samples = []
  let timer
  window.__aulaPlaybackBench = {
    longTasks,
    pushBytes,
    samples,
    observerError: () => observerError,
    playError: null,
    start(track, strategy) {
      const p = window.aulaDebug.player
      p.strategy = () => strategy
      const t0 = performance.now()
      timer = setInterval(() => {
        samples.push({
          t: performance.now() - t0, held: p.heldPcmBytes, peak: p.peakPcmBytes, ahead: p.aheadSec,
          target: p.targetSec, underruns: p.underruns, status: p.status,
        })
      }, 250)
      p.play([track], 0).catch((e) => { window.__aulaPlaybackBench.playError = String(e) })
      return t0
    },
    stop() {
      clearInterval(timer)
      window.aulaDebug.player.destroy()
      return performance.now()
    },
  }
})()`

interface Sample {
  t: number
  held: number
  peak: number
  ahead: number
  target: number
  underruns: number
  status: string
}

interface TraceEvent {
  name: string
  ph: string
  pid: number
  tid: number
  ts: number
  dur?: number
  /** Time the thread was on a CPU, µs. */
  tdur?: number
  args?: { name?: string; data?: { frames?: { processId: number; url: string }[] } }
}

interface Task {
  ms: number
  /** Of which the thread ran on a CPU: much less than `ms` means it waited for one (a busy machine). */
  cpuMs: number
}

/** Top-level tasks on the page's renderer main thread. */
function mainThreadTasks(trace: Buffer, origin: string): Task[] {
  const events = (JSON.parse(trace.toString('utf8')) as { traceEvents: TraceEvent[] }).traceEvents
  const mains = events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
  const pagePids = new Set<number>()
  for (const e of events) for (const f of e.args?.data?.frames ?? []) if (f.url.startsWith(origin)) pagePids.add(f.processId)
  const candidates = mains.filter((m) => pagePids.size === 0 || pagePids.has(m.pid))
  const byThread = new Map<string, Task[]>()
  for (const m of candidates) byThread.set(`${m.pid}:${m.tid}`, [])
  // 'RunTask' spans each task the scheduler runs; older builds name it ThreadControllerImpl::RunTask.
  const taskName = events.some((e) => e.name === 'RunTask' && e.ph === 'X') ? 'RunTask' : 'ThreadControllerImpl::RunTask'
  for (const e of events) {
    if (e.ph !== 'X' || e.name !== taskName || e.dur === undefined) continue
    byThread.get(`${e.pid}:${e.tid}`)?.push({ ms: e.dur / 1000, cpuMs: (e.tdur ?? e.dur) / 1000 })
  }
  // The page's main thread is the busy one (an idle spare renderer runs next to nothing).
  return [...byThread.values()].sort((a, b) => b.length - a.length)[0] ?? []
}

/** Anonymous resident memory of the browser's renderer processes, summed (the page and its worker live there). */
async function rendererAnonBytes(): Promise<number | null> {
  try {
    const cdp = await browser!.browser.newBrowserCDPSession()
    const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] }
    await cdp.detach()
    let total = 0
    for (const p of processInfo.filter((x) => x.type === 'renderer')) {
      const m = /^RssAnon:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p.id}/status`, 'utf8'))
      if (m) total += Number(m[1]) * 1024
    }
    return total
  } catch {
    return null
  }
}

function at(samples: Sample[], sec: number): Sample {
  return samples.reduce((best, s) => (Math.abs(s.t - sec * 1000) < Math.abs(best.t - sec * 1000) ? s : best))
}

interface Scenario {
  /** What the output lines call it, after the format. */
  name: string
  file: string
  strategy: 'aggressive' | 'balanced'
  /** Seconds after play() at which held PCM and renderer memory are reported; the last ends the run. */
  marks: number[]
}

async function playAndWatch(origin: string, track: Track, sc: Scenario): Promise<void> {
  const page: Page = await (await browser!.context()).newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.addInitScript(PAGE_PROBE)
  await createRoom(page, origin, { room: 'Bench', me: 'Bench' })
  await page.getByRole('region', { name: 'Player' }).waitFor()
  await page.waitForFunction('window.aulaDebug && window.aulaDebug.player')

  const rss = new Map<number, number | null>([[0, await rendererAnonBytes()]])
  await browser!.browser.startTracing(page, { categories: TRACE_CATEGORIES })
  // Long tasks count from before the call that starts playback: that task is part of playing.
  const tCall = (await page.evaluate('performance.now()')) as number
  const t0 = (await page.evaluate(`window.__aulaPlaybackBench.start(${JSON.stringify(track)}, ${JSON.stringify(sc.strategy)})`)) as number
  for (const mark of sc.marks) {
    await page.waitForTimeout(Math.max(0, t0 + mark * 1000 - ((await page.evaluate('performance.now()')) as number)))
    rss.set(mark, await rendererAnonBytes())
  }
  await page.waitForTimeout(300) // one more sample past the last mark
  const tStop = (await page.evaluate('window.__aulaPlaybackBench.stop()')) as number
  const trace = await browser!.browser.stopTracing()
  const traceDir = process.env.AULA_BENCH_TRACE_DIR
  if (traceDir) writeFileSync(join(traceDir, `playback-${sc.name.replace(/\W+/g, '-')}.trace.json`), trace)

  const samples = (await page.evaluate('window.__aulaPlaybackBench.samples')) as Sample[]
  const longTasks = ((await page.evaluate('window.__aulaPlaybackBench.longTasks')) as [number, number][])
    .filter(([start]) => start >= tCall && start < tStop)
    .map(([, d]) => d)
  const observerError = (await page.evaluate('window.__aulaPlaybackBench.observerError()')) as string | null
  const playError = (await page.evaluate('window.__aulaPlaybackBench.playError')) as string | null
  const pushBytes = (await page.evaluate('window.__aulaPlaybackBench.pushBytes')) as number[]
  const notices = (await page.evaluate('window.aulaDebug.player.notices.map((n) => n.kind + ": " + n.message)')) as string[]
  await page.context().close()

  const last = samples[samples.length - 1]
  if (!last || playError) throw new Error(`the player did not play (${playError ?? 'no samples'}; page errors: ${errors.join('; ') || 'none'})`)
  const firstPlaying = samples.find((s) => s.status === 'playing')
  const end = sc.marks[sc.marks.length - 1]!
  const head = `playback chromium ${sc.name}`
  const mb = (b: number | null | undefined) => (b == null ? '?' : MiB(b))

  console.log(`${head}: peak PCM ${MiB(last.peak)} MiB (limit ${MiB(LIMIT_BYTES)} MiB), held after ${end} s ${MiB(at(samples, end).held)} MiB, underruns ${last.underruns}`)
  console.log(
    `${head}: held PCM ${sc.marks.map((m) => `${m} s ${MiB(at(samples, m).held)}`).join(', ')} MiB; ` +
      `decoded ahead ${sc.marks.map((m) => at(samples, m).ahead.toFixed(1)).join('/')} s (target ${last.target.toFixed(1)} s); ` +
      `renderer anonymous memory before/${sc.marks.join('/')} s ${[0, ...sc.marks].map((m) => mb(rss.get(m))).join('/')} MiB; ` +
      `playing after ${firstPlaying ? Math.round(firstPlaying.t) : '?'} ms`,
  )
  if (pushBytes.length > 0) {
    const largest = Math.max(...pushBytes)
    const bytesPerSec = track.bytes / track.durationSec
    console.log(
      `${head}: ${pushBytes.length} byte slices pushed to the worker, median ${(percentile(pushBytes, 50) / 2 ** 10).toFixed(0)} KiB, ` +
        `largest ${(largest / 2 ** 10).toFixed(0)} KiB (${(largest / bytesPerSec).toFixed(1)} s of this track at its average bitrate)`,
    )
  }
  if (notices.length > 0) console.log(`${head}: player notices: ${notices.join(' | ')}`)
  if (errors.length > 0) console.log(`${head}: page errors: ${errors.join(' | ')}`)

  const tasks = mainThreadTasks(trace, origin)
  const worst = tasks.reduce<Task | undefined>((w, t) => (!w || t.ms > w.ms ? t : w), undefined)
  const longest = Math.max(worst?.ms ?? 0, ...longTasks)
  const cpu = worst && worst.ms >= longest ? `, ${Math.round(worst.cpuMs)} ms of it on a CPU` : ''
  const over50 = observerError ? `? tasks over 50 ms (longtask observer failed: ${observerError})` : `${longTasks.length} tasks over 50 ms`
  console.log(
    `main thread while playing ${sc.name}: longest task ${Math.round(longest)} ms${cpu}, ${over50} ` +
      `(trace: ${tasks.length} tasks in ${((tStop - tCall) / 1000).toFixed(0)} s, ${tasks.filter((t) => t.ms > 16).length} over 16 ms, ` +
      `main thread busy ${((tasks.reduce((n, t) => n + t.cpuMs, 0) / (tStop - tCall)) * 100).toFixed(1)} % of the time)`,
  )
}

const MUSIC = 'Long 24-192 bench'
const SILENCE_FIRST = 'Silence first 24-192 bench'
const SCENARIOS: Scenario[] = [
  { name: '24/192 aggressive', file: MUSIC, strategy: 'aggressive', marks: [15, 30, 45] },
  { name: '24/192 balanced', file: MUSIC, strategy: 'balanced', marks: [15, 30, 45] },
  // FLAC stores silence in a few bytes per block: one slice of bytes holds minutes of it.
  { name: `24/192 aggressive, ${SILENCE_LEAD_SECONDS / 60} min of digital silence first`, file: SILENCE_FIRST, strategy: 'aggressive', marks: [5, 10] },
]

async function appPlayback(): Promise<void> {
  const library = join(tmp, 'library')
  mkdirSync(library)
  longFlacFile(library, MUSIC, 192000, 24, LONG_SECONDS)
  longFlacFile(library, SILENCE_FIRST, 192000, 24, LONG_SECONDS, SILENCE_LEAD_SECONDS)
  // The app is built into our own folder: current sources (workers/ included),
  // and safe from a `vite build` of dist/ that someone runs meanwhile.
  const app = join(tmp, 'app')
  await buildApp(app)
  appServer = await startTestServer({ libraryDir: library, clientDir: app })
  const origin = `http://localhost:${appServer.port}`
  const tracks = (await (await fetch(`${origin}/api/tracks`)).json()) as Track[]
  for (const sc of SCENARIOS) {
    const track = tracks.find((t) => t.title === sc.file)
    if (!track) throw new Error(`the library did not list the generated track “${sc.file}” (it listed ${tracks.map((t) => t.title).join(', ')})`)
    await playAndWatch(origin, track, sc)
  }
}

try {
  browser = await launchChromium()
  await workerDecode()
  await appPlayback()
} catch (err) {
  console.error(`bench/playback failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
  process.exitCode = 1
} finally {
  await cleanup()
  clearTimeout(overBudget)
}
