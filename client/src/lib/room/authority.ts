/**
 * Curator authority checked by every peer: the curator seals each state
 * with its room key and a sequence number; every listener accepts a state
 * only if it is signed by the key the signal server registered for the
 * current epoch and is newer than everything accepted before.
 *
 * Order is (epoch, seq): the epoch is the server's count of curator changes,
 * seq counts within one curatorship and starts again at 0 with a new curator.
 */
import type { PeerMessage, SignedBody, SignedState } from '../../../../protocol/index.ts'
import { stateBytes } from './canonical.ts'
import { keyId, verify, type Signer, type VerifyFn } from './signature.ts'

export { createSigner, keyId, preferredBackend, verify, webCryptoAvailable } from './signature.ts'
export type { SignatureBackend, Signer, VerifyFn } from './signature.ts'

export type Rejection = 'unsigned' | 'forged' | 'replayed' | 'stale-epoch' | 'wrong-key' | 'reordered'
export type Verdict = { ok: true } | { ok: false; reason: Rejection }

/** Accepted seqs remembered to tell a replay from a late arrival; older ones all read as "reordered". */
const REPLAY_WINDOW = 64

export class StateVerifier {
  private epochNow = -1
  private publicKey: string | null = null
  private kid: string | null = null
  private lastSeq = -1
  private readonly seen: number[] = []

  constructor(
    readonly roomId: string,
    /** Injectable so tests can hold a verification open and race another. */
    private readonly check: VerifyFn = (k, b, s) => verify(k, b, s),
  ) {}

  get epoch(): number {
    return this.epochNow
  }

  get curatorKey(): string | null {
    return this.publicKey
  }

  /**
   * Feed every RoomView: `setCurator(view.curatorKey ?? null, view.epoch ?? 0)`.
   * A newer epoch starts a fresh sequence; a key arriving for the current
   * epoch fills it in; an older epoch, or a second key for the same one (the
   * server allows one per epoch), changes nothing. Returns whether it changed.
   */
  setCurator(publicKey: string | null, epoch: number): boolean {
    if (epoch < this.epochNow) return false
    const kid = publicKey === null ? null : keyId(publicKey)
    if (epoch === this.epochNow) {
      if (this.publicKey !== null || kid === null) return false
    } else {
      this.epochNow = epoch
      this.lastSeq = -1
      this.seen.length = 0
    }
    this.publicKey = kid === null ? null : publicKey
    this.kid = kid
    return true
  }

  /**
   * Cheap checks first (a flood of junk costs no signature work), then the
   * signature, then the cheap checks again: the key or the last seq may have
   * moved while the signature was being checked.
   */
  async accept(msg: PeerMessage | { type: string; sig?: unknown }): Promise<Verdict> {
    if (msg.type !== 'signed' || typeof msg.sig !== 'string' || msg.sig === '') return no('unsigned')
    const state = msg as SignedState
    const early = this.precheck(state)
    if (early) return no(early)
    const key = this.publicKey!
    const good = await this.check(key, stateBytes(this.roomId, state), state.sig)
    if (!good) return no('forged')
    const late = this.precheck(state)
    if (late) return no(late)
    this.lastSeq = state.seq
    this.seen.push(state.seq)
    if (this.seen.length > REPLAY_WINDOW) this.seen.shift()
    return { ok: true }
  }

  /**
   * Whether `msg` is a state of the current curator, signed with its key,
   * without taking it in order: for the copy the server relays to a joiner
   * (RoomControl.takeRelayed), whose peers' copy is still to come and must
   * not then read as a replay. Stale epochs and unknown keys fail as in accept.
   */
  async authentic(msg: SignedState): Promise<Verdict> {
    if (typeof msg.sig !== 'string' || msg.sig === '') return no('unsigned')
    const early = this.keyCheck(msg)
    if (early) return no(early)
    return (await this.check(this.publicKey!, stateBytes(this.roomId, msg), msg.sig)) ? { ok: true } : no('forged')
  }

  private precheck(s: SignedState): Rejection | null {
    const key = this.keyCheck(s)
    if (key) return key
    if (s.seq <= this.lastSeq) return this.seen.includes(s.seq) ? 'replayed' : 'reordered'
    return null
  }

  /** Whether `s` claims the current curatorship's key. */
  private keyCheck(s: SignedState): Rejection | null {
    if (s.epoch < this.epochNow) return 'stale-epoch'
    // A later epoch is signed by a key this page has not been told of yet.
    if (s.epoch > this.epochNow || this.kid === null || s.kid !== this.kid) return 'wrong-key'
    return null
  }
}

/**
 * The curator's side: numbers and signs states. Signing is chained so states
 * leave in seq order even when a backend finishes them out of order;
 * otherwise a listener would drop the earlier one as reordered.
 */
export class StatePublisher {
  private nextSeq: number
  private chain: Promise<unknown> = Promise.resolve()

  constructor(
    readonly roomId: string,
    private readonly signer: Signer,
    readonly epoch: number,
    firstSeq = 0,
  ) {
    this.nextSeq = firstSeq
  }

  get keyId(): string {
    return this.signer.keyId
  }

  seal(body: SignedBody): Promise<SignedState> {
    const seq = this.nextSeq++
    // An anchor's own seq mirrors the envelope's, so code reading the bare anchor still orders it.
    const inner: SignedBody = body.type === 'anchor' ? { ...body, seq } : body
    const unsigned = { epoch: this.epoch, seq, kid: this.signer.keyId, body: inner }
    const sealed = this.chain.then(async () => {
      const sig = await this.signer.sign(stateBytes(this.roomId, unsigned))
      return { type: 'signed' as const, ...unsigned, sig }
    })
    this.chain = sealed.catch(() => {})
    return sealed
  }
}

function no(reason: Rejection): Verdict {
  return { ok: false, reason }
}
