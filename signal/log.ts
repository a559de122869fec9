import { pino } from 'pino'

/** One root logger; modules take `log.child({ mod: 'rooms' })`. */
export const log = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info'),
  base: undefined,
})
export type Logger = typeof log
