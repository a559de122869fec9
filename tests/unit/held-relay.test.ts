import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { HeldRelay } from '../../client/src/lib/held-relay.ts'

const tick = () => new Promise<void>((r) => queueMicrotask(r))

test('events before anyone listens reach every handler a mount adds in one go, in order', async () => {
  const relay = new HeldRelay<[string]>()
  relay.emit('anchor 1')
  relay.emit('anchor 2')
  const a: string[] = []
  const b: string[] = []
  relay.add((m) => a.push(m))
  relay.add((m) => b.push(m))
  assert.equal(a, [], 'held until the mount is over')
  await tick()
  assert.equal(a, ['anchor 1', 'anchor 2'])
  assert.equal(b, ['anchor 1', 'anchor 2'])
  relay.emit('anchor 3')
  assert.equal(a, ['anchor 1', 'anchor 2', 'anchor 3'], 'live events go straight through, once')
})

test('an event that comes while the replay is pending goes after what was held', async () => {
  const relay = new HeldRelay<[string]>()
  relay.emit('state')
  const got: string[] = []
  relay.add((m) => got.push(m))
  relay.emit('next anchor')
  await tick()
  assert.equal(got, ['state', 'next anchor'])
})

test('only the newest are held, and a cleared relay replays nothing', async () => {
  const relay = new HeldRelay<[number]>(3)
  for (let i = 1; i <= 5; i++) relay.emit(i)
  const got: number[] = []
  relay.add((n) => got.push(n))
  await tick()
  assert.equal(got, [3, 4, 5])

  const ended = new HeldRelay<[number]>()
  ended.emit(1)
  ended.clear()
  const none: number[] = []
  ended.add((n) => none.push(n))
  await tick()
  assert.equal(none, [])
})

test('a handler that left before the replay hears nothing of it', async () => {
  const relay = new HeldRelay<[number]>()
  relay.emit(7)
  const got: number[] = []
  const h = (n: number) => got.push(n)
  relay.add(h)
  relay.delete(h)
  await tick()
  assert.equal(got, [])
  const later: number[] = []
  relay.add((n) => later.push(n))
  await tick()
  assert.equal(later, [7], 'still held for whoever listens next')
})

test.run()
