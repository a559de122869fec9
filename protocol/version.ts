/**
 * Bumped whenever a message changes shape. Both the signal handshake and the
 * peer handshake carry it; a mismatch is refused with `IncompatibilityReason`.
 */
export const PROTOCOL_VERSION = 2

export type IncompatibilityReason = 'client_too_old' | 'client_too_new'

export function compareVersion(theirs: number): IncompatibilityReason | null {
  if (theirs < PROTOCOL_VERSION) return 'client_too_old'
  if (theirs > PROTOCOL_VERSION) return 'client_too_new'
  return null
}
