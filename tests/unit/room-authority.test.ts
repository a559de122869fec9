import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parsePeerMessage, type SignedBody, type SignedState } from '../../protocol/index.ts'
import { createSigner, keyId, preferredBackend, StatePublisher, StateVerifier, verify, type SignatureBackend, type Signer } from '../../client/src/lib/room/authority.ts'
import { fromBase64url, toBase64url } from '../../client/src/lib/room/base64url.ts'
import { canonicalJson, stateBytes } from '../../client/src/lib/room/canonical.ts'

const ROOM = 'room_ABCdef12'
const T1 = 'a'.repeat(64)
const T2 = 'b'.repeat(64)
const anchor = (positionFrames = 0): SignedBody => ({
  type: 'anchor', seq: 0, queue: [T1, T2], index: 0, state: 'playing', positionFrames, atCuratorTime: 1234.5,
})
/** P-256 group order: signatures with s > n/2 are the "high-S" half WebCrypto emits and noble v2 refuses by default. */
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n
const highS = (sig: string) => BigInt('0x' + Buffer.from(fromBase64url(sig)!.subarray(32)).toString('hex')) > N / 2n

async function curator(backend: SignatureBackend = 'webcrypto', epoch = 0) {
  const signer = await createSigner(backend)
  const verifier = new StateVerifier(ROOM)
  verifier.setCurator(signer.publicKey, epoch)
  return { signer, verifier, pub: new StatePublisher(ROOM, signer, epoch) }
}

test('base64url round-trips and refuses ambiguous spellings', () => {
  for (let len = 0; len < 70; len++) {
    const bytes = Uint8Array.from({ length: len }, (_, i) => (i * 37 + len) & 255)
    const text = toBase64url(bytes)
    assert.equal(text, Buffer.from(bytes).toString('base64url'), `length ${len}`)
    assert.equal(fromBase64url(text), bytes)
  }
  assert.is(fromBase64url('ab+/'), null, 'standard alphabet')
  assert.is(fromBase64url('abcde'), null, 'impossible length')
  assert.is(fromBase64url('AB'), null, 'stray bits in the last character')
  assert.equal(fromBase64url('AA'), new Uint8Array([0]))
})

test('canonical bytes do not depend on key order and leave out undefined', () => {
  assert.is(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined }), '{"a":[true,null,"x"],"b":1}')
  assert.is(canonicalJson({ a: { z: 1, y: 2 } }), canonicalJson({ a: { y: 2, z: 1 } }))
  assert.throws(() => canonicalJson({ a: NaN }))
  assert.throws(() => canonicalJson({ a: 1n }))
  const one = stateBytes(ROOM, { epoch: 1, seq: 2, kid: 'k', body: anchor() })
  assert.not.equal(one, stateBytes('otherRoom1', { epoch: 1, seq: 2, kid: 'k', body: anchor() }), 'the room id is signed')
})

test('each backend verifies its own signatures, and the other backend\'s', async () => {
  const bytes = new TextEncoder().encode('aula sonora')
  let sawHighS = false
  for (const by of ['webcrypto', 'noble'] as const) {
    const signer = await createSigner(by)
    assert.is(signer.backend, by)
    assert.match(signer.publicKey, /^B[A-P][A-Za-z0-9_-]{85}$/)
    assert.is(signer.keyId, keyId(signer.publicKey))
    // Many signatures: WebCrypto's are high-S about half the time, which noble must still accept.
    for (let i = 0; i < 24; i++) {
      const sig = await signer.sign(bytes)
      assert.is(sig.length, 86)
      if (by === 'webcrypto' && highS(sig)) sawHighS = true
      for (const check of ['webcrypto', 'noble'] as const) {
        assert.ok(await verify(signer.publicKey, bytes, sig, check), `${by} signature, ${check} verify #${i}`)
        assert.not.ok(await verify(signer.publicKey, new TextEncoder().encode('aula sonorA'), sig, check), `${check}: other bytes`)
      }
    }
  }
  assert.ok(sawHighS, 'the cross check met a high-S WebCrypto signature')
})

test('malformed keys and signatures verify false on both backends, never throw', async () => {
  const signer = await createSigner('noble')
  const bytes = new Uint8Array([1, 2, 3])
  const sig = await signer.sign(bytes)
  const offCurve = toBase64url(Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 4 : 7)))
  for (const backend of ['webcrypto', 'noble'] as const) {
    assert.not.ok(await verify('not a key', bytes, sig, backend))
    assert.not.ok(await verify(offCurve, bytes, sig, backend), 'point not on the curve')
    assert.not.ok(await verify(signer.publicKey, bytes, sig.slice(0, 40), backend), 'short signature')
    assert.not.ok(await verify(signer.publicKey, bytes, 'A'.repeat(86), backend), 'zero r and s')
  }
})

test('a signed anchor survives the wire and is accepted once', async () => {
  const { verifier, pub, signer } = await curator()
  const sealed = await pub.seal(anchor(10))
  assert.is(sealed.kid, signer.keyId)
  assert.is(sealed.body.type === 'anchor' && sealed.body.seq, sealed.seq, 'the inner anchor seq mirrors the envelope')
  // Extra fields are stripped by the schema; the signature must still hold over what remains.
  const parsed = parsePeerMessage(JSON.stringify({ ...sealed, extra: 1, body: { ...sealed.body, junk: 'x' } }))
  if (!parsed.ok) return assert.unreachable(parsed.error.message)
  assert.equal(await verifier.accept(parsed.value), { ok: true })
  assert.equal(await verifier.accept(parsed.value), { ok: false, reason: 'replayed' })
})

test('unsigned states are dropped: the bare anchor and an empty signature', async () => {
  const { verifier, pub } = await curator()
  const bare = { ...(anchor() as Extract<SignedBody, { type: 'anchor' }>) }
  assert.equal(await verifier.accept(bare), { ok: false, reason: 'unsigned' })
  const sealed = await pub.seal(anchor())
  assert.equal(await verifier.accept({ ...sealed, sig: '' }), { ok: false, reason: 'unsigned' })
  const { sig: _, ...noSig } = sealed
  assert.equal(await verifier.accept(noSig as unknown as SignedState), { ok: false, reason: 'unsigned' })
  assert.equal(await verifier.accept(sealed), { ok: true }, 'the signed one still goes through')
})

test('forged states are dropped: changed body, changed seq, another key under the right id, another room', async () => {
  for (const backend of ['webcrypto', 'noble'] as const) {
    const { verifier, pub, signer } = await curator(backend)
    const good = await pub.seal(anchor(100))
    const tampered: SignedState = { ...good, body: { ...good.body, positionFrames: 999 } as SignedBody }
    assert.equal(await verifier.accept(tampered), { ok: false, reason: 'forged' }, `${backend}: body`)
    assert.equal(await verifier.accept({ ...good, seq: good.seq + 5 }), { ok: false, reason: 'forged' }, `${backend}: seq`)
    const mallory = await createSigner(backend)
    const forged = await new StatePublisher(ROOM, { ...mallory, keyId: signer.keyId } as Signer, 0, 1).seal(anchor())
    assert.equal(await verifier.accept(forged), { ok: false, reason: 'forged' }, `${backend}: other key claiming the curator's id`)
    const elsewhere = await new StatePublisher('otherRoom1', signer, 0, 2).seal(anchor())
    assert.equal(await verifier.accept(elsewhere), { ok: false, reason: 'forged' }, `${backend}: signed for another room`)
    assert.equal(await verifier.accept(good), { ok: true }, 'nothing forged moved the sequence')
  }
})

test('a state under another key is dropped as wrong-key, and so is one before any key is known', async () => {
  const { verifier } = await curator()
  const mallory = await createSigner('noble')
  const theirs = await new StatePublisher(ROOM, mallory, 0).seal(anchor())
  assert.equal(await verifier.accept(theirs), { ok: false, reason: 'wrong-key' })
  const blind = new StateVerifier(ROOM)
  assert.equal(await blind.accept(theirs), { ok: false, reason: 'wrong-key' })
  blind.setCurator(null, 0)
  assert.equal(await blind.accept(theirs), { ok: false, reason: 'wrong-key' }, 'epoch known, key not yet registered')
})

test('replayed and reordered states are told apart and both dropped', async () => {
  const { verifier, pub } = await curator()
  const s = await Promise.all([0, 1, 2, 3].map((i) => pub.seal(anchor(i))))
  assert.equal(s.map((x) => x.seq), [0, 1, 2, 3])
  assert.equal(await verifier.accept(s[0]!), { ok: true })
  assert.equal(await verifier.accept(s[2]!), { ok: true }, 'a gap is fine: only order matters')
  assert.equal(await verifier.accept(s[1]!), { ok: false, reason: 'reordered' }, 'never seen, but older')
  assert.equal(await verifier.accept(s[0]!), { ok: false, reason: 'replayed' })
  assert.equal(await verifier.accept(s[2]!), { ok: false, reason: 'replayed' })
  assert.equal(await verifier.accept(s[3]!), { ok: true })
})

test('after a hand-off the old curator\'s states are stale, the new one starts its own sequence', async () => {
  const old = await curator('webcrypto', 3)
  const before = await old.pub.seal(anchor())
  const late = await old.pub.seal(anchor(5))
  assert.equal(await old.verifier.accept(before), { ok: true })
  const next = await createSigner('noble')
  const newPub = new StatePublisher(ROOM, next, 4)
  const first = await newPub.seal(anchor(7))
  assert.equal(await old.verifier.accept(first), { ok: false, reason: 'wrong-key' }, 'epoch 4 before the RoomView says so')
  assert.ok(old.verifier.setCurator(next.publicKey, 4))
  assert.equal(await old.verifier.accept(late), { ok: false, reason: 'stale-epoch' })
  assert.equal(first.seq, 0)
  assert.equal(await old.verifier.accept(first), { ok: true }, 'seq 0 again is fine in a new epoch')
})

test('setCurator follows newer epochs only and one key per epoch', async () => {
  const a = await createSigner('noble')
  const b = await createSigner('noble')
  const v = new StateVerifier(ROOM)
  assert.ok(v.setCurator(null, 2))
  assert.ok(v.setCurator(a.publicKey, 2), 'the key for the current epoch fills in')
  assert.not.ok(v.setCurator(a.publicKey, 2), 'same again: no change')
  assert.not.ok(v.setCurator(b.publicKey, 2), 'a second key for the same epoch is refused')
  assert.not.ok(v.setCurator(b.publicKey, 1), 'an older RoomView is ignored')
  assert.is(v.curatorKey, a.publicKey)
  assert.ok(v.setCurator(b.publicKey, 3))
  assert.is(v.curatorKey, b.publicKey)
  assert.is(v.epoch, 3)
})

test('a verification racing a newer state or a hand-off does not win', async () => {
  const signer = await createSigner('noble')
  const pub = new StatePublisher(ROOM, signer, 0)
  const [s5, s6] = [await pub.seal(anchor()), await pub.seal(anchor(1))]
  const held: (() => void)[] = []
  // Verification that waits for the test to let it finish.
  const v = new StateVerifier(ROOM, (k, b, s) => new Promise((done) => held.push(() => void verify(k, b, s).then(done))))
  v.setCurator(signer.publicKey, 0)
  const older = v.accept(s5)
  const newer = v.accept(s6)
  held[1]!()
  assert.equal(await newer, { ok: true })
  held[0]!()
  assert.equal(await older, { ok: false, reason: 'reordered' }, 'its seq was overtaken while it was being checked')

  const v2 = new StateVerifier(ROOM, (k, b, s) => new Promise((done) => held.push(() => void verify(k, b, s).then(done))))
  v2.setCurator(signer.publicKey, 0)
  const pending = v2.accept(await pub.seal(anchor(2)))
  v2.setCurator((await createSigner('noble')).publicKey, 1)
  held[2]!()
  assert.equal(await pending, { ok: false, reason: 'stale-epoch' }, 'the curator changed while it was being checked')
})

test('the publisher releases states in seq order even when signing finishes out of order', async () => {
  const real = await createSigner('noble')
  let delay = 30
  const slowFirst: Signer = { ...real, sign: (b) => new Promise((r) => setTimeout(() => void real.sign(b).then(r), (delay -= 10))) }
  const pub = new StatePublisher(ROOM, slowFirst, 0)
  const order: number[] = []
  await Promise.all([anchor(), { type: 'mode', mode: 'vote' } as const, { type: 'chat.config', enabled: true } as const].map((b) => pub.seal(b).then((s) => order.push(s.seq))))
  assert.equal(order, [0, 1, 2])
})

test('on a page without crypto.subtle (http:// LAN address) signing and verifying use noble', async () => {
  const real = Object.getOwnPropertyDescriptor(globalThis, 'crypto')!
  const webSigner = await createSigner('webcrypto')
  const bytes = new TextEncoder().encode('lan party')
  const webSig = await webSigner.sign(bytes)
  // What an insecure context offers: getRandomValues, no subtle.
  Object.defineProperty(globalThis, 'crypto', { value: { getRandomValues: (a: Uint8Array) => real.get!.call(globalThis).getRandomValues(a) }, configurable: true })
  try {
    assert.is(preferredBackend(), 'noble')
    const signer = await createSigner()
    assert.is(signer.backend, 'noble')
    const sig = await signer.sign(bytes)
    assert.ok(await verify(signer.publicKey, bytes, sig))
    assert.ok(await verify(webSigner.publicKey, bytes, webSig), 'a secure page\'s signature checks on an insecure one')
    const v = new StateVerifier(ROOM)
    v.setCurator(webSigner.publicKey, 0)
    assert.equal(await v.accept(await new StatePublisher(ROOM, webSigner, 0).seal(anchor())), { ok: true })
  } finally {
    Object.defineProperty(globalThis, 'crypto', real)
  }
  assert.is(preferredBackend(), 'webcrypto')
})

test.run()
