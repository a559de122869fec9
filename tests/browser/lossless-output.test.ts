/**
 * What reaches the output is what the file holds: an AudioWorklet after the
 * player's graph records every rendered frame while ramps whose samples are
 * known play through the real app (fetch → worker decode → Web Audio), and
 * every captured sample must equal the file's int / 2^(bits-1). Across a
 * track boundary there must be no missing and no extra frame.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Page } from 'playwright-core'
import type { Track } from '../../protocol/index.ts'
import { firstSound, installCapture, readCaptures, type Capture } from '../support/capture.ts'
import { launchChromium } from '../support/chromium.ts'
import { expectedRampSample, RAMPS, type RampName } from '../support/fixtures.ts'
import { createRoom, ensureClientBuilt } from '../support/pages.ts'
import { startTestServer } from '../support/server.ts'

ensureClientBuilt()
const server = await startTestServer({ libraryDir: new URL('../fixtures/', import.meta.url).pathname })
const browser = await launchChromium()
const origin = `http://localhost:${server.port}`
test.after(async () => {
  await browser.close()
  await server.dispose()
})

async function freshPlayerPage(): Promise<Page> {
  const page = await (await browser.context()).newPage()
  page.on('pageerror', (e) => console.error('[page]', e.message))
  await installCapture(page)
  await createRoom(page, origin, { room: 'Bit-perfect', me: 'Tester' })
  await page.getByRole('region', { name: 'Player' }).waitFor()
  return page
}

/** Plays the named files in order and waits until the queue has finished. */
async function playAndCapture(page: Page, names: string[]): Promise<Capture[]> {
  const tracks = (await (await fetch(`${origin}/api/tracks`)).json()) as Track[]
  const queue = names.map((n) => {
    const t = tracks.find((x) => x.title === n.replace(/\.\w+$/, ''))
    if (!t) throw new Error(`fixture ${n} is not in the library`)
    return t
  })
  await page.evaluate(async (q) => {
    const p = (window as unknown as { aulaDebug: { player: { play(t: unknown[], i: number): Promise<void> } } }).aulaDebug.player
    await p.play(q, 0)
  }, queue)
  await page.waitForFunction(() => (window as unknown as { aulaDebug: { player: { status: string } } }).aulaDebug.player.status === 'idle', null, { timeout: 30_000 })
  await page.waitForTimeout(400) // let the worklet post its last block
  return readCaptures(page)
}

/** Checks the capture holds exactly `names` back to back, then silence. */
function assertBitExact(capture: Capture, names: RampName[]): void {
  const start = firstSound(capture.L)
  assert.ok(start >= 0, 'something was heard')
  let at = start
  for (const name of names) {
    const { frames } = RAMPS[name]
    for (let f = 0; f < frames; f++, at++) {
      for (const [ch, data] of [capture.L, capture.R].entries()) {
        const want = expectedRampSample(name, f, ch)
        if (data[at] !== want) {
          assert.unreachable(`${name} frame ${f} channel ${ch}: heard ${data[at]}, the file holds ${want}`)
        }
      }
    }
  }
  const tail = capture.L.subarray(at, at + 2048)
  assert.ok(tail.length > 0 && tail.every((x) => x === 0), 'silence after the last frame: nothing extra')
}

for (const [rate, name] of [[96000, 'ramp-24-96k.flac'], [192000, 'ramp-24-192k.flac']] as const) {
  test(`24-bit at ${rate / 1000} kHz reaches the output bit for bit`, async () => {
    const page = await freshPlayerPage()
    const [capture, ...more] = await playAndCapture(page, [name])
    assert.is(more.length, 0)
    assert.is(capture!.rate, rate, 'the context runs at the track rate')
    assertBitExact(capture!, [name])
    await page.context().close()
  })
}

test('two 44.1 kHz tracks join with no missing or extra sample', async () => {
  const page = await freshPlayerPage()
  const [capture] = await playAndCapture(page, ['ramp-a.flac', 'ramp-b.flac'])
  assert.is(capture!.rate, 44100)
  assertBitExact(capture!, ['ramp-a.flac', 'ramp-b.flac'])
  await page.context().close()
})

test('a damaged file gets a clear message and the queue plays on', async () => {
  const page = await freshPlayerPage()
  const [capture] = await playAndCapture(page, ['corrupt-frame.flac', 'bad-md5.flac', 'ramp-a.flac'])
  const alerts = await page.getByRole('region', { name: 'Player' }).getByRole('alert').allInnerTexts()
  assert.ok(alerts.some((a) => /corrupt-frame.*cannot be played/.test(a)), `the broken frame is named: ${alerts.join(' | ')}`)
  assert.ok(alerts.some((a) => /bad-md5.*MD5 mismatch/.test(a)), 'the MD5 mismatch is named')
  // ramp-a still reached the output intact after the broken ones.
  const at = capture!.L.lastIndexOf(expectedRampSample('ramp-a.flac', 0, 0)) // the broken ones are ramps too
  assert.ok(at >= 0, 'ramp-a was heard')
  for (let f = 0; f < RAMPS['ramp-a.flac'].frames; f += 997) assert.is(capture!.L[at + f], expectedRampSample('ramp-a.flac', f, 0))
  await page.context().close()
})

test.run()
