import { LIMITS } from '../../../protocol/index.ts'

const KEY = 'aula.displayName'

/** The name a person chose, kept in this browser only. */
export function savedName(): string | null {
  try {
    return localStorage.getItem(KEY)
  } catch {
    return null
  }
}

export function saveName(name: string): string {
  const clean = name.trim().slice(0, LIMITS.displayNameMax)
  try {
    localStorage.setItem(KEY, clean)
  } catch {
    // Private mode or a full quota: the name just won't be remembered.
  }
  return clean
}

export function suggestedName(): string {
  return `Listener ${Math.floor(1000 + Math.random() * 9000)}`
}
