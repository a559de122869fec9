import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ACTIONS, can, route, type Actor, type ControlMode, type RoomAction } from '../../client/src/lib/room/permissions.ts'

const curator: Actor = { isCurator: true, lurker: false }
const listener: Actor = { isCurator: false, lurker: false }
const lurker: Actor = { isCurator: false, lurker: true }
const lurkingCurator: Actor = { isCurator: true, lurker: true }
const MODES: ControlMode[] = ['curator', 'shared', 'vote']

test('the curator acts directly on everything in every mode, even one who inherited the role as a lurker', () => {
  for (const mode of MODES) {
    for (const action of ACTIONS) {
      assert.is(route(mode, action, curator), 'direct', `${mode} ${action}`)
      assert.is(route(mode, action, lurkingCurator), 'direct', `${mode} ${action}`)
    }
  }
})

test('lurkers can do nothing in any mode: no requests, no votes, no chat', () => {
  for (const mode of MODES) for (const action of ACTIONS) assert.not.ok(can(mode, action, lurker), `${mode} ${action}`)
})

test('the table for a visible listener, mode by mode', () => {
  const expected: Record<ControlMode, Partial<Record<RoomAction, string>>> = {
    curator: { 'chat.send': 'request' },
    shared: {
      play: 'request', pause: 'request', next: 'request', previous: 'request', seek: 'request',
      'queue.add': 'request', 'queue.remove': 'request', 'queue.move': 'request', 'chat.send': 'request',
    },
    vote: { next: 'vote', 'queue.add': 'vote', 'chat.send': 'request' },
  }
  for (const mode of MODES) {
    for (const action of ACTIONS) {
      assert.is(route(mode, action, listener), expected[mode][action] ?? 'deny', `${mode} ${action}`)
      assert.is(can(mode, action, listener), (expected[mode][action] ?? 'deny') !== 'deny')
    }
  }
})

test('the mode and the chat switch stay the curator\'s in every mode', () => {
  for (const mode of MODES) {
    assert.not.ok(can(mode, 'mode.change', listener))
    assert.not.ok(can(mode, 'chat.toggle', listener))
  }
})

test('every action of the wire protocol is covered', () => {
  assert.is(new Set(ACTIONS).size, 11)
})

test.run()
