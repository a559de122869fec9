/** The decode worker's start-up warm-up (workers/decoder/warm-up.ts) decodes its shipped asset whole. */
import { readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { warmUp } from '../../workers/decoder/warm-up.ts'

test('the warm-up decodes all of warm-up.flac (80 ms of 24/96), every round', async () => {
  const flac = new Uint8Array(readFileSync(new URL('../../workers/decoder/warm-up.flac', import.meta.url)))
  assert.is(await warmUp(flac), 0.08 * 96_000)
})

test.run()
