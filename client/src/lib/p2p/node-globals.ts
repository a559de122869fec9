/**
 * Browser only: the two Node globals WebTorrent's dependencies touch while
 * their modules load (`global.Bare ? … : process.nextTick` in
 * @thaunknown/simple-peer's stream helpers, `process.nextTick` in the
 * throttle's token bucket). Import it before anything from this folder:
 * first line of the app's entry module. Defines nothing that already exists.
 */
const g = globalThis as unknown as { global?: unknown; process?: unknown }
g.global ??= globalThis
g.process ??= {
  env: {},
  browser: true,
  version: '',
  versions: {},
  nextTick: (fn: (...args: unknown[]) => void, ...args: unknown[]) => queueMicrotask(() => fn(...args)),
}
export {}
