/**
 * Handlers for events that may come before anyone listens. A joiner's link
 * to the curator can open (and the curator's state arrive over it) while the
 * room page that listens is still mounting; dropped, that state came again
 * only with the next heartbeat, 2 s later. Events with no handler are held
 * (the newest `max`) and go to the handlers present a microtask after the
 * first one subscribes, so every handler a mount adds in one go hears them.
 */
export class HeldRelay<A extends unknown[]> {
  private readonly handlers = new Set<(...args: A) => void>()
  private held: A[] = []
  private flushing = false

  constructor(private readonly max = 64) {}

  add(h: (...args: A) => void): void {
    this.handlers.add(h)
    if (this.held.length === 0 || this.flushing) return
    this.flushing = true
    queueMicrotask(() => {
      this.flushing = false
      if (this.handlers.size === 0) return
      const held = this.held
      this.held = []
      for (const args of held) for (const h of this.handlers) h(...args)
    })
  }

  delete(h: (...args: A) => void): void {
    this.handlers.delete(h)
  }

  emit(...args: A): void {
    // Behind what is held, while its replay is pending: in the order they came.
    if (this.handlers.size === 0 || this.flushing) {
      this.held.push(args)
      if (this.held.length > this.max) this.held.shift()
      return
    }
    for (const h of this.handlers) h(...args)
  }

  /** What was held goes unheard (the membership ended). */
  clear(): void {
    this.held = []
  }
}
