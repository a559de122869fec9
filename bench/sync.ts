/**
 * bench/sync: N pages (default 5) in one Chromium, each with its page clock
 * off by seconds and hundreds of ppm, play a long 24/96 ramp together.
 * Prints the offset between each listener and the curator at the output
 * (p50/p95/max), join→audible for a listener joining mid-track,
 * play→audible, and the offset after the long run.
 *   tsx bench/sync.ts [pages=5] [seconds=60] [--hover=MS] [--join-after=S] [--library=N] [--server-in-process]
 * The signal server runs in a process of its own, as deployed; figures
 * before 2026-11-26 ran it in the benchmark's own (--server-in-process).
 * Output times come from getOutputTimestamp() on each context, on the one
 * machine clock (tests/support/room-stage.ts). Each page has a renderer
 * process of its own; they share the machine's 2 cores, and one browser's
 * network, audio and GPU processes.
 */
import type { Page } from 'playwright-core'
import { firstSound, offsetAt, readCaptures, type Capture } from '../tests/support/capture.ts'
import { clockDiagnosis, createRoom, underrunLog } from '../tests/support/pages.ts'
import { openStage } from '../tests/support/room-stage.ts'
import { LONG_RAMP, makeSyncLibrary, padLibrary } from '../tests/support/sync-library.ts'
import { fmt, percentile } from './support/stats.ts'

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const PAGES = Number(args[0] ?? 5)
const SECONDS = Number(args[1] ?? 60)
/** `--hover=MS`: the curator's pointer rests this long on the first Play before the click, as a person's does. */
const HOVER_MS = Number(process.argv.find((a) => a.startsWith('--hover='))?.slice(8) ?? 0)
/** `--join-after=S`: the mid-track joiner opens the link this long after Play (default 5; the run's seconds should exceed it). */
const JOIN_AFTER_S = Number(process.argv.find((a) => a.startsWith('--join-after='))?.slice(13) ?? 5)

/** `--library=N`: the library holds N tracks (the four above, padded with short WAVs), as a person's does. */
const LIBRARY = Number(process.argv.find((a) => a.startsWith('--library='))?.slice(10) ?? 0)
// The track after the long ramp (what Next plays) lasts 30 s: the joiner in a
// browser of its own comes ~4 s into it, plus its browser's launch, and on a
// busy machine a 10 s track had ended by then, the room's queue with it: it had
// nothing to play, and its join printed NaN.
const library = await makeSyncLibrary(SECONDS + 10, 30)
if (LIBRARY > 4) padLibrary(library.dir, LIBRARY - 4)
const stage = await openStage(library, { serverProcess: !process.argv.includes('--server-in-process') })
const { origin } = stage

// Deterministic "machines": offsets of seconds, skews of hundreds of ppm.
const clocks = Array.from({ length: PAGES }, (_, i) => ({ offsetMs: ((i * 7919) % 10_000) - 5000, skewPpm: ((i * 131) % 600) - 300 }))

const person = (name: string | null) => stage.person(name ? { savedName: name } : {})
const withClock = (link: string, c: { offsetMs: number; skewPpm: number }) => link.replace('#', `?clock=${c.offsetMs},${c.skewPpm}#`)
const machineNow = (page: Page) => page.evaluate(() => performance.timeOrigin + performance.now())
/** Marks when the page itself sees the next click: the steps below show what Playwright's click took. */
const markClick = (page: Page) => page.evaluate(() => document.addEventListener('click', () => performance.mark('aula:click'), { capture: true, once: true }))

/** Points of `other` that fell in silence after its first sound (the ramp is never 0 twice in a row): audio that ran dry. */
const silentPoints = new Map<Capture, number>()
/** Points with no output-time reading near them (see offsets). */
const unreadPoints = new Map<Capture, number>()

/**
 * Offsets at points of `other` heard before `until` (machine ms). A point in
 * silence is skipped and counted: silence matches the curator's own silence
 * anywhere, which once showed up as offsets of tens of seconds.
 */
function offsets(ref: Capture, other: Capture, from: number, until: number, step = 9_973): number[] {
  const out: number[] = []
  let silent = 0
  let unread = 0
  for (let at = Math.max(from, firstSound(other.L)); at < other.L.length - 1024; at += step) {
    if (other.outputTimeOfFrame(other.frameAt(at)) > until) break
    if (other.L[at] === 0 && other.L[at + 1] === 0) {
      silent++
      continue
    }
    const offset = offsetAt(ref, other, at)
    if (offset === null) continue
    // No output-time reading within half a second of the point: the page's main thread stalled that long.
    if (Number.isNaN(offset)) unread++
    else out.push(offset)
  }
  silentPoints.set(other, Math.max(silentPoints.get(other) ?? 0, silent))
  unreadPoints.set(other, Math.max(unreadPoints.get(other) ?? 0, unread))
  return out
}

try {
  const curator = await person(null)
  const link = await createRoom(curator, origin, { room: 'Bench', me: 'Curator' })
  // Listeners who are there before Play open the link and are in (a saved name joins at once).
  const early: Page[] = []
  for (let i = 1; i < PAGES - 1; i++) {
    const p = await person(`Listener ${i}`)
    await p.goto(withClock(link, clocks[i]!))
    early.push(p)
  }
  for (const p of early) await p.getByLabel('Sync state').filter({ hasText: /^locked$/ }).waitFor({ timeout: 20_000 })

  const firstPlay = curator.getByRole('button', { name: `Play ${LONG_RAMP}`, exact: true })
  if (HOVER_MS > 0) {
    await firstPlay.hover()
    await curator.waitForTimeout(HOVER_MS)
  }
  const clickedAt = await machineNow(curator)
  await markClick(curator)
  await firstPlay.click()
  await curator.waitForTimeout(JOIN_AFTER_S * 1000)

  // The last one joins mid-track: join→audible from opening the link.
  const late = await person(`Listener ${PAGES - 1}`)
  const openedAt = await machineNow(curator)
  await late.goto(withClock(link, clocks[PAGES - 1]!))
  const listeners = [...early, late]
  await curator.waitForTimeout((SECONDS - JOIN_AFTER_S) * 1000)

  const marks = await late.evaluate(() =>
    performance.getEntriesByType('mark').filter((m) => m.name.startsWith('aula:')).map((m) => `${m.name.slice(5)} ${m.startTime.toFixed(0)}`).join(', '),
  )
  // Whether a listener that sits off has a wrong clock estimate or something after it (tests/support/pages.ts).
  const clockErrors = await Promise.all(
    listeners.map(async (p, i) => {
      const d = await clockDiagnosis(p, clocks[i + 1]!)
      return `${d.clockErrorMs?.toFixed(2)} / ${d.correctorSeesMs?.toFixed(2)}`
    }),
  )
  const joinLoad = await late.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined
    return n ? `response ${n.responseEnd.toFixed(0)}, dom-interactive ${n.domInteractive.toFixed(0)}, loaded ${n.loadEventEnd.toFixed(0)}` : ''
  })
  const joinClock = await late.evaluate(() => JSON.stringify((performance.getEntriesByType('mark').find((m) => m.name.startsWith('aula:clock-')) as PerformanceMark | undefined)?.detail ?? null))
  // Its start through the server's clock, before its link was up (relayed-clock.ts): the curator's word and its own estimate then.
  const joinBridge = await late.evaluate(() => JSON.stringify((performance.getEntriesByName('aula:bridge')[0] as PerformanceMark | undefined)?.detail ?? null))
  const estimates = await Promise.all(
    listeners.map((p) => p.evaluate(() => {
      const dd = [...document.querySelectorAll('[aria-label="Sync"] dd')].map((d) => d.textContent?.trim())
      return dd.slice(0, 4).join(' / ')
    })),
  )
  // Next, once everything is warm: the usual play→audible.
  const nextAt = await machineNow(curator)
  await markClick(curator)
  await curator.getByRole('region', { name: 'Player' }).getByRole('button', { name: 'Next' }).click()
  await curator.waitForTimeout(2500)
  // Pause, then the player's Play: the room resumes where it stopped (issue #5's "Play control latency").
  await curator.getByRole('region', { name: 'Player' }).getByRole('button', { name: 'Pause' }).click()
  await curator.waitForTimeout(1000)
  const resumeAt = await machineNow(curator)
  await markClick(curator)
  await curator.getByRole('region', { name: 'Player' }).getByRole('button', { name: 'Play', exact: true }).click()
  await curator.waitForTimeout(1500)
  // Underruns so far, apart from those while the next browser launches and joins on the same 2 cores.
  const underrunCount = () => Promise.all([curator, ...listeners].map((p) => p.evaluate(() => (window as unknown as { aulaDebug: { player: { underruns: number } } }).aulaDebug.player.underruns)))
  const underrunsBeforeOwn = await underrunCount()
  // One more joiner, in a browser of its own, as a person on another machine
  // opens the link: a fresh browser (its network, audio and GPU processes
  // start for it, its profile is empty), sharing only the CPU with the
  // others. Timed on its own clock, from its navigation. Before the captures
  // are copied out, which keeps the cores busy for seconds (the curator's
  // page too).
  const own = await stage.person({ savedName: 'Own browser', ownBrowser: true })
  await own.goto(withClock(link, { offsetMs: 1234, skewPpm: 77 }))
  // Until it sounds (a busy machine has taken over 3 s, which printed NaN), then a moment for the capture.
  await own.waitForFunction(() => performance.getEntriesByName('aula:first-node').length > 0, null, { timeout: 10_000 }).catch(() => {})
  await own.waitForTimeout(1000)
  // Its first output that sounded: one may have opened for a track that had
  // moved on and stayed silent, and a later one for the track after (the
  // queue plays on while this page is measured).
  const ownCap = (await readCaptures(own)).find((c) => firstSound(c.L) >= 0)
  const ownOrigin = (await own.evaluate('performance.timeOrigin')) as number
  const ownJoin = ownCap ? ownCap.outputTimeOfFrame(ownCap.frameAt(firstSound(ownCap.L))) - ownOrigin : NaN
  // Why a joiner that never sounded did not: its player, its clock, its sync panel.
  const ownState = await own.evaluate(() => {
    const d = (window as unknown as { aulaDebug?: { player?: { status: string }; room?: { ended: boolean; curatorClock?: { stats?: object } | null } } }).aulaDebug
    const panel = [...document.querySelectorAll('[aria-label="Sync"] dd')].map((e) => e.textContent?.trim()).slice(0, 5).join(' / ')
    return `room's queue ended ${d?.room?.ended}, player ${d?.player?.status}, clock ${JSON.stringify(d?.room?.curatorClock?.stats ?? null)}, sync panel ${panel}`
  })
  const ownMarks = await own.evaluate(() =>
    performance.getEntriesByType('mark').filter((m) => m.name.startsWith('aula:')).map((m) => `${m.name.slice(5)} ${m.startTime.toFixed(0)}`).join(', '),
  )
  // Where each page's play→audible and next→audible went: anchor applied, output opened,
  // warm segment taken, placed, first node handed to Web Audio (ms after the click).
  const stepsOf = (pages: Page[], from: number, to: number) => Promise.all(pages.map((p) => p.evaluate(({ since, until }) =>
    performance.getEntriesByType('mark')
      .map((m) => ({ name: m.name, at: performance.timeOrigin + m.startTime - since }))
      .filter((m) => m.name.startsWith('aula:') && m.at >= 0 && m.at < until - since)
      .map((m) => `${m.name.slice(5)} ${m.at.toFixed(0)}`)
      .join(', '), { since: from, until: to })))
  const playSteps = await stepsOf([curator, ...early], clickedAt, clickedAt + 3000)
  const nextSteps = await stepsOf([curator, ...listeners], nextAt, nextAt + 2500)
  const resumeSteps = await stepsOf([curator, ...listeners], resumeAt, resumeAt + 1500)
  // A pause that reached a page too late to stop on its frame (room-playback.ts stopAtPause): that page
  // stopped past the paused frame, and its resume goes on after what it heard, so it sounds later.
  const pausesLate = await Promise.all(listeners.map((p) => p.evaluate(() => {
    const m = performance.getEntriesByName('aula:pause-late').at(-1) as PerformanceMark | undefined
    const d = m?.detail as { lateMs: number | null; frames: number } | undefined
    if (!d) return 'in time'
    const when = d.lateMs === null ? 'with no clock' : d.lateMs < 0 ? `${(-d.lateMs).toFixed(0)} ms before its moment` : `${d.lateMs.toFixed(0)} ms after its moment`
    return `too late, ${when}, ${d.frames} frames from the paused one`
  })))

  // Before the captures are copied out: that copy keeps the cores busy for seconds, and the pages run dry.
  const underruns = await underrunCount()
  // Each as "seconds after Play:ms cut(ms the last slice waited for its bytes/for the decoder) [its bytes' sources]".
  const underrunTimes = await Promise.all([curator, ...listeners].map((p) => underrunLog(p, clickedAt)))
  const captures = await Promise.all([curator, ...listeners].map(readCaptures))
  const [ref, ...caps] = captures.map((c) => c[0]!)
  // The next track has the same rate: it continues in the same capture. Its first
  // frame is the ramp value after the long ramp's last, so find where that sounds.
  /** When sound first began after `since` (machine ms): the first sample after silence (the ramps are never 0 twice in a row). */
  const soundAfter = (c: Capture, since: number) => {
    for (let k = 2; k < c.L.length; k++) {
      if (c.L[k] === 0 || c.L[k - 1] !== 0 || c.L[k - 2] !== 0) continue
      const t = c.outputTimeOfFrame(c.frameAt(k))
      if (t > since) return t - since
    }
    return NaN
  }
  const nextToAudible = captures.map(([c]) => soundAfter(c!, nextAt))
  const resumeToAudible = captures.map(([c]) => soundAfter(c!, resumeAt))
  const playToAudible = [ref!, ...caps.slice(0, -1)].map((c) => c.outputTimeOfFrame(c.frameAt(firstSound(c.L))) - clickedAt)
  const lateCap = caps.at(-1)!
  const joinToAudible = lateCap.outputTimeOfFrame(lateCap.frameAt(firstSound(lateCap.L))) - openedAt

  const rate = ref!.rate
  const all: number[] = []
  const lastTen: number[] = []
  const perListener: string[] = []
  for (const cap of caps) {
    const mine = offsets(ref!, cap, 0, nextAt).map(Math.abs)
    all.push(...mine)
    lastTen.push(...offsets(ref!, cap, 0, nextAt, 4_999).filter((_, i, xs) => i >= xs.length - Math.round((10 * rate) / 4_999)).map(Math.abs))
    perListener.push(`p95 ${fmt(percentile(mine, 95), 2)} / max ${fmt(Math.max(...mine), 2)}`)
  }
  // How the joiner came in: its offset every ~0.5 s from its first sound (a rough placement, then corrections).
  const joinerSeries = offsets(ref!, caps.at(-1)!, 0, nextAt, Math.round(rate / 2)).map((x) => x.toFixed(2)).join(' ')
  const corrections = await Promise.all(listeners.map((p) => p.evaluate(() => (window as unknown as { aulaDebug: { player: { corrections: number } } }).aulaDebug.player.corrections)))

  console.log(`sync: ${PAGES} pages (1 curator), clocks off by up to ±5 s and ±300 ppm, ${SECONDS} s of 24/96`)
  console.log(`sync offset to curator at the output: p50 ${fmt(percentile(all, 50), 3)} ms, p95 ${fmt(percentile(all, 95), 3)} ms, max ${fmt(Math.max(...all), 3)} ms (${all.length} points)`)
  console.log(`sync offset per listener (ms; the last joined mid-track): ${perListener.join(' | ')}`)
  console.log(`sync offset over the last 10 s: p50 ${fmt(percentile(lastTen, 50), 3)} ms, p95 ${fmt(percentile(lastTen, 95), 3)} ms, max ${fmt(Math.max(...lastTen), 3)} ms`)
  const hovered = HOVER_MS > 0 ? `, after the pointer rested ${HOVER_MS} ms on Play` : ', a bare click'
  console.log(`sync play→audible (first play of a track nobody holds${hovered}): ${playToAudible.map((x) => fmt(x, 0)).join(', ')} ms (max ${fmt(Math.max(...playToAudible), 0)} ms)`)
  console.log(`sync next→audible (warm): ${nextToAudible.map((x) => fmt(x, 0)).join(', ')} ms (max ${fmt(Math.max(...nextToAudible), 0)} ms)`)
  console.log(`sync Play after Pause→audible: ${resumeToAudible.map((x) => fmt(x, 0)).join(', ')} ms (max ${fmt(Math.max(...resumeToAudible), 0)} ms)`)
  // The figures above start before Playwright's click, which alone can take hundreds of ms on a busy machine.
  const clickIn = (steps: string) => Number(/click (\d+)/.exec(steps)?.[1] ?? NaN)
  const fromClick = (xs: number[], steps: string) => xs.map((x) => fmt(x - clickIn(steps), 0)).join(', ')
  console.log(
    `sync from the page's click event: play→audible ${fromClick(playToAudible, playSteps[0]!)} ms, next→audible ${fromClick(nextToAudible, nextSteps[0]!)} ms` +
      `, Play after Pause→audible ${fromClick(resumeToAudible, resumeSteps[0]!)} ms`,
  )
  console.log(`sync play→audible steps (ms after the click; curator first): ${playSteps.join(' | ')}`)
  console.log(`sync next→audible steps (ms after the click; curator first): ${nextSteps.join(' | ')}`)
  console.log(`sync Play after Pause→audible steps (ms after the click; curator first): ${resumeSteps.join(' | ')}`)
  console.log(`sync the Pause before it, per listener: ${pausesLate.join(' | ')}`)
  console.log(`sync listeners' own view (state / offset / round trip / skew): ${estimates.join(' | ')}`)
  console.log(`sync join→audible (mid-track, from opening the link): ${fmt(joinToAudible, 0)} ms`)
  console.log(`sync mid-track joiner's offset every 0.5 s from its first sound (ms): ${joinerSeries}`)
  console.log(`sync mid-track joiner's steps (ms after opening the link): ${marks}`)
  console.log(`sync join→audible, a joiner in a browser of its own (from its navigation): ${fmt(ownJoin, 0)} ms; steps: ${ownMarks}`)
  if (!Number.isFinite(ownJoin)) console.log(`sync the joiner in a browser of its own never sounded: ${ownState}`)
  console.log(`sync mid-track joiner's page load (ms after its navigation began): ${joinLoad}`)
  console.log(`sync mid-track joiner's clock estimate when it placed: ${joinClock}`)
  console.log(`sync mid-track joiner's bridge (its start through the server's clock): ${joinBridge}`)
  console.log(`sync listeners' clock estimate error / what their corrector sees (ms): ${clockErrors.join(' | ')}`)
  console.log(`sync drift corrections per listener: ${corrections.join(', ')}`)
  console.log(
    `sync underruns per page (curator first): ${underrunsBeforeOwn.join(', ')}, and while the browser of its own launched and joined: ${underruns.map((n, i) => n - underrunsBeforeOwn[i]!).join(', ')}; points in silence per listener: ${caps.map((c) => silentPoints.get(c) ?? 0).join(', ')}` +
      `; points with no output reading near (a stalled page): ${caps.map((c) => unreadPoints.get(c) ?? 0).join(', ')}`,
  )
  console.log(`sync underruns at (s after Play; curator first): ${underrunTimes.map((t) => t || '-').join(' | ')}`)
} finally {
  await stage.dispose()
}
