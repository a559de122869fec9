/**
 * Gapless at 96 and 192 kHz: two 24-bit tracks of one rate, the second
 * continuing the first's ramp, reach the output with no missing, extra or
 * altered sample across the boundary (the first is not a whole number of
 * FLAC blocks, so the boundary falls mid-block of the encoder's grid).
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Track } from '../../protocol/index.ts'
import { firstSound, readCaptures } from '../support/capture.ts'
import { verbatimFlac } from '../support/flac-writer.ts'
import { createRoom } from '../support/pages.ts'
import { openStage } from '../support/room-stage.ts'

const A_FRAMES = 50_001
const B_FRAMES = 40_000
const H = 2 ** 23
/** 24-bit ramp: every value, -2^23 and 2^23-1 included, every 4096 frames. */
const ramp = (frame: number, ch: number) => {
  const x = (frame * 4097) % 2 ** 24
  return ch === 0 ? x - H : H - 1 - x
}

async function write(path: string, rate: number, frames: number, offset: number): Promise<void> {
  const out = createWriteStream(path)
  for (const piece of verbatimFlac({ sampleRate: rate, channels: 2, bits: 24, blockSize: 4096, totalFrames: frames, md5: true, sample: (f, ch) => ramp(offset + f, ch) })) {
    if (!out.write(piece)) await new Promise<void>((r) => out.once('drain', () => r()))
  }
  await new Promise<void>((resolve) => {
    out.end(() => resolve())
  })
}

const dir = mkdtempSync(join(tmpdir(), 'aula-gapless-'))
for (const rate of [96000, 192000]) {
  await write(join(dir, `hires-${rate}-a.flac`), rate, A_FRAMES, 0)
  await write(join(dir, `hires-${rate}-b.flac`), rate, B_FRAMES, A_FRAMES)
}
const stage = await openStage({ dir, dispose: () => rmSync(dir, { recursive: true, force: true }) })
test.after(() => stage.dispose())

for (const rate of [96000, 192000]) {
  test(`two 24-bit tracks at ${rate / 1000} kHz join with no missing or extra sample`, async () => {
    const page = await stage.person()
    await createRoom(page, stage.origin, { room: 'Gapless', me: 'Tester' })
    const tracks = (await (await fetch(`${stage.origin}/api/tracks`)).json()) as Track[]
    const queue = ['a', 'b'].map((p) => tracks.find((t) => t.title === `hires-${rate}-${p}`)!)
    await page.evaluate(async (q) => {
      await (window as unknown as { aulaDebug: { player: { play(t: unknown[], i: number): Promise<void> } } }).aulaDebug.player.play(q, 0)
    }, queue)
    await page.waitForFunction(() => (window as unknown as { aulaDebug: { player: { status: string } } }).aulaDebug.player.status === 'idle', null, { timeout: 30_000 })
    await page.waitForTimeout(400)
    const [capture, ...more] = await readCaptures(page)
    assert.is(more.length, 0, 'one output for both tracks: same rate, same context')
    assert.is(capture!.rate, rate)
    const start = firstSound(capture!.L)
    for (let f = 0; f < A_FRAMES + B_FRAMES; f++) {
      for (const [ch, data] of [capture!.L, capture!.R].entries()) {
        const want = ramp(f, ch) / H
        if (data[start + f] !== want) assert.unreachable(`frame ${f} (${f < A_FRAMES ? 'track a' : 'track b'}) channel ${ch}: heard ${data[start + f]}, the files hold ${want}`)
      }
    }
    const tail = capture!.L.subarray(start + A_FRAMES + B_FRAMES, start + A_FRAMES + B_FRAMES + 2048)
    assert.ok(tail.length > 0 && tail.every((x) => x === 0), 'nothing extra after the last frame')
    await page.context().close()
  })
}

test.run()
