/**
 * Quiet chat: off in every new room until the curator turns it on; lines
 * are cleaned, length-limited and rate-limited per sender by the curator,
 * which then signs each accepted line for everyone (protocol/room.ts `chat`).
 *
 * Rendering rule: chat is text, never HTML. Show it with Svelte's text
 * interpolation (`{line.text}`, which escapes), never `{@html}`, and turn
 * nothing into links. `renderableText` then deals with what escaping does
 * not: control characters, direction overrides that reorder the rest of a
 * line ("Trojan Source", CVE-2021-42574), invisible filler, stacks of
 * combining marks that draw over neighbouring lines, and whitespace runs.
 */
import { TokenBucket } from '../../../../protocol/token-bucket.ts'
import { ROOM_LIMITS, type RoomRefusal } from '../../../../protocol/index.ts'
import type { Actor } from './permissions.ts'

export interface ChatConfig {
  enabled: boolean
}

/** Every room starts silent. */
export function newRoomChat(): ChatConfig {
  return { enabled: false }
}

export interface ChatLine {
  from: string
  text: string
  at: number
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g
const CONTROL = /\p{Cc}/gu
/**
 * Bidi embeddings, overrides and isolates; zero-width space, word joiner and
 * invisible operators; BOM; soft hyphen; Mongolian vowel separator; Hangul
 * fillers (used for "blank" text). ZWJ/ZWNJ stay: emoji sequences and
 * several scripts need them.
 */
const INVISIBLE = /[\u202A-\u202E\u2066-\u2069\u200B\u2060-\u2064\u206A-\u206F\uFEFF\u00AD\u180E\u115F\u1160\u3164\uFFA0]/g
/** Keep at most 4 marks on one base: enough for any script, not for "zalgo" towers. */
const MARK_PILE = /(\p{M}{4})\p{M}+/gu

export function renderableText(raw: string): string {
  return raw
    .replace(LONE_SURROGATE, '\uFFFD')
    .normalize('NFC')
    .replace(CONTROL, (c) => (/\s/.test(c) ? ' ' : ''))
    .replace(INVISIBLE, '')
    .replace(MARK_PILE, '$1')
    .replace(/\s+/gu, ' ')
    .trim()
}

/** Code points, after cleaning: what a person would call characters, near enough. */
export function checkChatText(raw: string): { ok: true; text: string } | { ok: false; reason: 'chat_empty' | 'chat_too_long' } {
  const text = renderableText(raw)
  if (text === '') return { ok: false, reason: 'chat_empty' }
  if ([...text].length > ROOM_LIMITS.chatMaxChars) return { ok: false, reason: 'chat_too_long' }
  return { ok: true, text }
}

export { TokenBucket }

export interface ChatGateOptions {
  burst?: number
  perSecond?: number
  /** Buckets kept at once; full ones are dropped first (they hold nothing). */
  maxSenders?: number
}

/** The curator's check on every line before it signs and relays it. */
export class ChatGate {
  private readonly buckets = new Map<string, TokenBucket>()
  private readonly burst: number
  private readonly perSecond: number
  private readonly maxSenders: number

  constructor(opts: ChatGateOptions = {}) {
    this.burst = opts.burst ?? 5
    this.perSecond = opts.perSecond ?? 0.5
    this.maxSenders = opts.maxSenders ?? 1000
  }

  /**
   * The token is spent before the text is judged, so a flood of junk is
   * throttled like a flood of chat.
   */
  admit(config: ChatConfig, actor: Actor, senderId: string, raw: string, now: number): { ok: true; text: string } | { ok: false; reason: RoomRefusal } {
    if (!config.enabled) return { ok: false, reason: 'chat_off' }
    if (actor.lurker && !actor.isCurator) return { ok: false, reason: 'lurker' }
    if (!this.bucket(senderId, now).take(now)) return { ok: false, reason: 'chat_rate_limited' }
    return checkChatText(raw)
  }

  forget(senderId: string): void {
    this.buckets.delete(senderId)
  }

  private bucket(senderId: string, now: number): TokenBucket {
    let b = this.buckets.get(senderId)
    if (!b) {
      if (this.buckets.size >= this.maxSenders) {
        for (const [id, old] of this.buckets) if (old.full(now)) this.buckets.delete(id)
      }
      // Still full of live buckets: refuse the newcomer rather than forget
      // someone else's debt (a fresh bucket each time would be no limit at all).
      if (this.buckets.size >= this.maxSenders) return new TokenBucket(0, 0, now)
      b = new TokenBucket(this.perSecond, this.burst, now)
      this.buckets.set(senderId, b)
    }
    return b
  }
}

/** The visible history, newest last, bounded. */
export function appendLine(log: readonly ChatLine[], line: ChatLine, max = 200): ChatLine[] {
  const next = [...log, line]
  return next.length > max ? next.slice(next.length - max) : next
}
