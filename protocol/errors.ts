/**
 * Errors a person can see: a stable code for programs, a sentence for people.
 * Servers and peers send the code; the sentence is looked up here.
 */
export const ERRORS = {
  room_not_found: 'Room not found',
  room_full: 'Room is full',
  invite_required: 'Invite required',
  invalid_message: 'The message was malformed and has been ignored',
  message_too_large: 'The message was too large and has been ignored',
  rate_limited: 'Too many requests; slow down',
  too_many_rooms: 'You already curate the maximum number of rooms',
  server_full: 'The server cannot open more rooms right now',
  not_in_room: 'You are not in that room',
  unknown_peer: 'That listener is not in your room',
  incompatible_version: 'This page is out of date; reload it',
  connection_lost: 'Lost connection to the server; reconnecting',
  not_found: 'Not found',
  track_not_found: 'Track not found',
  method_not_allowed: 'Only GET and HEAD are allowed here',
  track_changed: 'The track file changed on disk since the library was scanned',
  track_unreadable: 'The track file could not be read',
  not_curator: 'Only the curator can do that',
  stale_epoch: 'The curator changed meanwhile',
  key_already_set: 'This curatorship already has a key',
  curator_alive: 'The curator is still here',
  handoff_target: 'You can only hand over to a listener in the room',
  lurker_claim: 'Hidden listeners cannot take over the room',
} as const

export type ErrorCode = keyof typeof ERRORS
export const ERROR_CODES = Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]]

export interface ProtocolError {
  code: ErrorCode
  message: string
}

export function protocolError(code: ErrorCode, detail?: string): ProtocolError {
  return { code, message: detail ? `${ERRORS[code]}: ${detail}` : ERRORS[code] }
}
