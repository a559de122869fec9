import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { decideRange } from '../../signal/library/range.ts'

const SIZE = 1000
const full = { kind: 'full' }
const unsatisfiable = { kind: 'unsatisfiable' }
const partial = (start: number, end: number) => ({ kind: 'partial', start, end })

test('no header or an empty one: whole file', () => {
  assert.equal(decideRange(SIZE, undefined), full)
  assert.equal(decideRange(SIZE, ''), full)
})

test('first byte', () => {
  assert.equal(decideRange(SIZE, 'bytes=0-0'), partial(0, 0))
})

test('middle range, whitespace tolerated, unit case-insensitive', () => {
  assert.equal(decideRange(SIZE, 'bytes=100-199'), partial(100, 199))
  assert.equal(decideRange(SIZE, 'Bytes= 100 - 199'), partial(100, 199))
})

test('last byte and whole file as an explicit range', () => {
  assert.equal(decideRange(SIZE, 'bytes=999-999'), partial(999, 999))
  assert.equal(decideRange(SIZE, 'bytes=0-999'), partial(0, 999))
})

test('open-ended range runs to the last byte', () => {
  assert.equal(decideRange(SIZE, 'bytes=100-'), partial(100, 999))
})

test('suffix range: the last N bytes', () => {
  assert.equal(decideRange(SIZE, 'bytes=-500'), partial(500, 999))
  assert.equal(decideRange(SIZE, 'bytes=-1'), partial(999, 999))
})

test('suffix longer than the file: all of it, as a range (RFC 9110 §14.1.2)', () => {
  assert.equal(decideRange(SIZE, 'bytes=-5000'), partial(0, 999))
  assert.equal(decideRange(SIZE, `bytes=-${SIZE}`), partial(0, 999))
})

test('zero-length suffix is unsatisfiable', () => {
  assert.equal(decideRange(SIZE, 'bytes=-0'), unsatisfiable)
})

test('start at or past the end: 416', () => {
  assert.equal(decideRange(SIZE, `bytes=${SIZE}-`), unsatisfiable)
  assert.equal(decideRange(SIZE, 'bytes=5000-6000'), unsatisfiable)
  assert.equal(decideRange(SIZE, 'bytes=99999999999999999999-'), unsatisfiable)
})

test('end past the size is clamped to the last byte', () => {
  assert.equal(decideRange(SIZE, 'bytes=900-5000'), partial(900, 999))
  assert.equal(decideRange(SIZE, 'bytes=0-99999999999999999999'), partial(0, 999))
})

test('malformed headers are ignored: whole file', () => {
  for (const h of ['bytes', 'bytes=', 'bytes=-', 'bytes=abc', 'bytes=1-x', 'bytes=--5', 'bytes=0-1,', '0-100', 'bytes=1.5-2']) {
    assert.equal(decideRange(SIZE, h), full, h)
  }
})

test('a unit other than bytes is ignored, even when it would be unsatisfiable', () => {
  assert.equal(decideRange(SIZE, 'items=0-5'), full)
  assert.equal(decideRange(SIZE, 'items=5000-6000'), full)
})

test('multi-range: merged when overlapping or adjacent, else the whole file', () => {
  assert.equal(decideRange(SIZE, 'bytes=0-99,100-199'), partial(0, 199))
  assert.equal(decideRange(SIZE, 'bytes=50-150,0-99'), partial(0, 150))
  assert.equal(decideRange(SIZE, 'bytes=0-0,-1'), full)
  assert.equal(decideRange(SIZE, 'bytes=0-9,20-29,40-49'), full)
})

test('multi-range with only one satisfiable part: that part', () => {
  assert.equal(decideRange(SIZE, 'bytes=5000-6000,10-19'), partial(10, 19))
  assert.equal(decideRange(SIZE, 'bytes=5000-6000,7000-'), unsatisfiable)
})

test('zero-length file: nothing to slice, always the (empty) whole file', () => {
  for (const h of [undefined, 'bytes=0-0', 'bytes=0-', 'bytes=-500', 'bytes=10-20']) {
    assert.equal(decideRange(0, h), full, String(h))
  }
})

test('one-byte file', () => {
  assert.equal(decideRange(1, 'bytes=0-0'), partial(0, 0))
  assert.equal(decideRange(1, 'bytes=-5'), partial(0, 0))
  assert.equal(decideRange(1, 'bytes=1-'), unsatisfiable)
})

test('If-Range: the range applies only when it names the current ETag', () => {
  const etag = '"abc"'
  assert.equal(decideRange(SIZE, 'bytes=0-9', { ifRange: etag, etag }), partial(0, 9))
  assert.equal(decideRange(SIZE, 'bytes=0-9', { ifRange: undefined, etag }), partial(0, 9))
  assert.equal(decideRange(SIZE, 'bytes=0-9', { ifRange: '"other"', etag }), full)
  // If-Range needs the strong comparison, so a weak tag never matches.
  assert.equal(decideRange(SIZE, 'bytes=0-9', { ifRange: 'W/"abc"', etag }), full)
  // A date: this origin sends no Last-Modified, so it cannot vouch for one.
  assert.equal(decideRange(SIZE, 'bytes=0-9', { ifRange: 'Wed, 21 Oct 2015 07:28:00 GMT', etag }), full)
})

test.run()
