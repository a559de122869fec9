import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ROOM_LIMITS } from '../../protocol/index.ts'
import { appendLine, ChatGate, checkChatText, newRoomChat, renderableText, TokenBucket } from '../../client/src/lib/room/chat.ts'

const listener = { isCurator: false, lurker: false }
const curator = { isCurator: true, lurker: false }
const lurker = { isCurator: false, lurker: true }
const on = { enabled: true }

test('every new room starts with chat off, and off means off for everyone', () => {
  assert.equal(newRoomChat(), { enabled: false })
  const gate = new ChatGate()
  assert.equal(gate.admit(newRoomChat(), listener, 'ana', 'hello', 0), { ok: false, reason: 'chat_off' })
  assert.equal(gate.admit(newRoomChat(), curator, 'cur', 'hello', 0), { ok: false, reason: 'chat_off' })
  assert.equal(gate.admit(on, listener, 'ana', 'hello', 0), { ok: true, text: 'hello' })
})

test('lurkers cannot chat: a line would reveal them', () => {
  assert.equal(new ChatGate().admit(on, lurker, 'l1', 'hi', 0), { ok: false, reason: 'lurker' })
})

test('renderable text: no controls, no direction overrides, no invisible filler, whitespace collapsed', () => {
  assert.is(renderableText('  hello \n\t world  '), 'hello world')
  assert.is(renderableText('a\u0000b\u0007c\u009bd'), 'abcd', 'C0 and C1 controls go')
  assert.is(renderableText('a\u2028b\u2029c\u00a0d'), 'a b c d', 'line separators and NBSP are whitespace')
  assert.is(renderableText('evil\u202Egnp.exe'), 'evilgnp.exe', 'RLO removed')
  assert.is(renderableText('x\u2066y\u2069z\u200Bw\uFEFF'), 'xyzw')
  assert.is(renderableText('\u3164\u115F'), '', 'Hangul fillers are not a message')
  assert.is(renderableText('e\u0301'), '\u00e9', 'NFC')
  assert.is(renderableText('bad \uD800 half'), 'bad \uFFFD half', 'lone surrogates replaced')
})

test('renderable text keeps what people write: HTML-looking text as text, emoji sequences, scripts', () => {
  // Never HTML: the text is shown through Svelte's escaping interpolation, so it stays literally this.
  assert.is(renderableText('<img src=x onerror=alert(1)> & "q"'), '<img src=x onerror=alert(1)> & "q"')
  const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}'
  assert.is(renderableText(family), family, 'ZWJ kept')
  assert.is(renderableText('\u2764\uFE0F 1\uFE0F\u20E3'), '\u2764\uFE0F 1\uFE0F\u20E3')
  assert.is(renderableText('Tiếng Việt, עברית, مرحبا, हिन्दी'), 'Tiếng Việt, עברית, مرحبا, हिन्दी'.normalize('NFC'))
})

test('combining-mark towers are cut down to four marks per letter', () => {
  const zalgo = 'Z' + '\u0300\u0301\u0302\u0303\u0304\u0305\u0306\u0307'.repeat(5)
  const out = renderableText(zalgo)
  assert.is([...out].length, 5)
})

test('length: at most the limit in characters after cleaning; empty lines refused', () => {
  const max = ROOM_LIMITS.chatMaxChars
  assert.ok(checkChatText('x'.repeat(max)).ok)
  assert.equal(checkChatText('x'.repeat(max + 1)), { ok: false, reason: 'chat_too_long' })
  assert.ok(checkChatText('🎵'.repeat(max)).ok, 'astral characters count once')
  assert.ok(checkChatText(`${'x'.repeat(max)}      \n\n`).ok, 'trailing whitespace is not counted')
  assert.equal(checkChatText(' \n\u202E\u200B '), { ok: false, reason: 'chat_empty' })
})

test('rate: a burst, then one line per refill interval, per sender', () => {
  const gate = new ChatGate({ burst: 3, perSecond: 0.5 })
  const send = (who: string, at: number) => gate.admit(on, listener, who, 'hey', at)
  for (let i = 0; i < 3; i++) assert.ok(send('ana', 0).ok)
  assert.equal(send('ana', 0), { ok: false, reason: 'chat_rate_limited' })
  assert.ok(send('ben', 0).ok, 'another sender has their own bucket')
  assert.equal(send('ana', 1999), { ok: false, reason: 'chat_rate_limited' })
  assert.ok(send('ana', 2000).ok)
  // Junk costs a token too, so a flood of empty lines is throttled like chat.
  const junk = new ChatGate({ burst: 2, perSecond: 0.5 })
  assert.equal(junk.admit(on, listener, 'm', '   ', 0), { ok: false, reason: 'chat_empty' })
  assert.equal(junk.admit(on, listener, 'm', '   ', 0), { ok: false, reason: 'chat_empty' })
  assert.equal(junk.admit(on, listener, 'm', 'real', 0), { ok: false, reason: 'chat_rate_limited' })
})

test('a full sender table refuses newcomers rather than handing out fresh buckets', () => {
  const gate = new ChatGate({ burst: 1, perSecond: 0.001, maxSenders: 2 })
  assert.ok(gate.admit(on, listener, 'a', 'x', 0).ok)
  assert.ok(gate.admit(on, listener, 'b', 'x', 0).ok)
  assert.equal(gate.admit(on, listener, 'c', 'x', 0), { ok: false, reason: 'chat_rate_limited' })
  gate.forget('a')
  assert.ok(gate.admit(on, listener, 'c', 'x', 0).ok)
})

test('token bucket refills at its rate and never above its burst', () => {
  const b = new TokenBucket(2, 2, 0)
  assert.ok(b.take(0) && b.take(0))
  assert.not.ok(b.take(0))
  assert.ok(b.take(500))
  assert.ok(b.take(10_000) && b.take(10_000))
  assert.not.ok(b.take(10_000))
})

test('the history keeps the newest lines only', () => {
  let log: ReturnType<typeof appendLine> = []
  for (let i = 0; i < 5; i++) log = appendLine(log, { from: 'a', text: String(i), at: i }, 3)
  assert.equal(log.map((l) => l.text), ['2', '3', '4'])
})

test.run()
