import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { SWARM_AHEAD, swarmWindow } from '../../client/src/lib/p2p/swarm-window.ts'

const library = Array.from({ length: 500 }, (_, i) => `t${i}`)

test('Play on a track of a large library keeps swarms for it and the next few, not for the whole queue', () => {
  assert.equal(swarmWindow(library, 120, 120), ['t120', 't121', 't122'])
  assert.is(SWARM_AHEAD, 2)
})

test('as the queue plays on past the anchored entry, the window follows the one sounding and keeps the anchored one', () => {
  assert.equal(swarmWindow(library, 120, 122), ['t120', 't121', 't122', 't123', 't124'])
})

test('a stale sounding index (an older queue) never leaves the anchored entry out, and the window stays short', () => {
  assert.equal(swarmWindow(library, 3, 0), ['t3', 't4', 't5'])
  assert.is(swarmWindow(library, 3, 400).length, 8)
  assert.is(swarmWindow(library, 3, 400)[0], 't3')
})

test('the queue\'s end and an empty queue', () => {
  assert.equal(swarmWindow(['a', 'b'], 1, 1), ['b'])
  assert.equal(swarmWindow([], 0, 0), [])
})

test.run()
