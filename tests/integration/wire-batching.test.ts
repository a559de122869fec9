/**
 * WebTorrent's wire writes each protocol message on its own (a 13-byte piece
 * header, then the block; 9-byte `have`s): with simple-peer's own write each
 * became one data-channel message. Batched (batchStreamWrites), what one tick
 * writes leaves as few messages, and the far side reads the same bytes in the
 * same order. Two real peers in Node (@roamhq/wrtc), signalled in process.
 */
import Peer from '@thaunknown/simple-peer/lite.js'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { batchStreamWrites, joinChunks } from '../../client/src/lib/p2p/simple-peer-compat.ts'

interface TestPeer {
  on(event: string, fn: (x: never) => void): void
  signal(data: unknown): void
  write(chunk: Uint8Array): boolean
  destroy(): void
}

async function pair(): Promise<[TestPeer, TestPeer]> {
  const a = new Peer({ initiator: true, trickle: true, config: { iceServers: [] } }) as unknown as TestPeer
  const b = new Peer({ trickle: true, config: { iceServers: [] } }) as unknown as TestPeer
  a.on('signal', (d) => b.signal(d))
  b.on('signal', (d) => a.signal(d))
  await Promise.all([new Promise((r) => a.on('connect', r)), new Promise((r) => b.on('connect', r))])
  return [a, b]
}

/** What `to` receives: the messages, until `bytes` have come. */
function receive(to: TestPeer, bytes: number): Promise<Uint8Array[]> {
  const got: Uint8Array[] = []
  let n = 0
  return new Promise((resolve) =>
    to.on('data', (d: Uint8Array) => {
      got.push(d)
      n += d.byteLength
      if (n >= bytes) resolve(got)
    }),
  )
}

/** A wire's writes in one tick: for each block, a header and the block, then a `have`. */
function wireWrites(blocks: number): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let i = 0; i < blocks; i++) {
    out.push(new Uint8Array(13).fill(i), new Uint8Array(16384).map((_, k) => (k * 7 + i) & 0xff), new Uint8Array(9).fill(200 + i))
  }
  return out
}

const concat = (xs: Uint8Array[]) => Buffer.concat(xs.map((x) => Buffer.from(x.buffer, x.byteOffset, x.byteLength)))

/** `writes` written in one tick to a fresh batched pair: the bytes sent, and the messages the far side got. */
async function sendOver(writes: Uint8Array[]): Promise<{ sent: Buffer; got: Uint8Array[] }> {
  batchStreamWrites(Peer)
  const [a, b] = await pair()
  try {
    const sent = concat(writes)
    const arriving = receive(b, sent.byteLength)
    for (const w of writes) a.write(w)
    return { sent, got: await arriving }
  } finally {
    a.destroy()
    b.destroy()
  }
}

test('writes of one tick arrive intact, in order, in fewer messages', async () => {
  const writes = wireWrites(12)
  const { sent, got } = await sendOver(writes)
  assert.ok(concat(got).equals(sent), 'the far side reads the bytes written, in order')
  // 36 writes, 197 KiB: four blocks and their small messages per message.
  assert.ok(got.length <= 4, `${got.length} messages for ${writes.length} writes`)
  assert.ok(got.every((m) => m.byteLength <= 64 * 1024), 'no message over 64 KiB')
})

test('a burst past the channel buffer still arrives whole and in order', async () => {
  // 6 MiB in one tick: simple-peer holds writes back while the channel's buffer is over 64 KiB.
  const { sent, got } = await sendOver(wireWrites(384))
  assert.ok(concat(got).equals(sent))
})

test('joinChunks keeps order and the bound, and leaves a large chunk whole', () => {
  const c = (n: number, v: number) => new Uint8Array(n).fill(v)
  const out = joinChunks([c(10, 1), c(20, 2), c(100, 3), c(5, 4), c(5, 5)], 40)
  assert.equal(out.map((x) => x.byteLength), [30, 100, 10])
  assert.equal([...out[0]!.slice(8, 12)], [1, 1, 2, 2])
  assert.equal([...out[2]!], [4, 4, 4, 4, 4, 5, 5, 5, 5, 5])
})

test.run()
