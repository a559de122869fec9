/**
 * Browser stand-in for Node's `path` (Vite: alias `path` here; see
 * bundle-aliases.ts). webtorrent, parse-torrent and create-torrent join and
 * split torrent file paths with it; Vite's default empty stand-in throws on
 * first use. POSIX semantics, which is what they assume.
 */
export const sep = '/'

export function join(...parts: string[]): string {
  return normalize(parts.filter((p) => p !== '').join('/'))
}

export function normalize(p: string): string {
  const abs = p.startsWith('/')
  const out: string[] = []
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue
    if (seg === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop()
    else if (seg !== '..' || !abs) out.push(seg)
  }
  return (abs ? '/' : '') + out.join('/') || (abs ? '/' : '.')
}

export function basename(p: string, ext?: string): string {
  const b = p.replace(/\/+$/, '').split('/').pop() ?? ''
  return ext && b.endsWith(ext) && b !== ext ? b.slice(0, -ext.length) : b
}

export function dirname(p: string): string {
  const trimmed = p.replace(/\/+$/, '')
  const i = trimmed.lastIndexOf('/')
  return i < 0 ? '.' : i === 0 ? '/' : trimmed.slice(0, i)
}

export function extname(p: string): string {
  const b = basename(p)
  const i = b.lastIndexOf('.')
  return i > 0 ? b.slice(i) : ''
}

export function resolve(...parts: string[]): string {
  return join('/', ...parts)
}

export default { sep, join, normalize, basename, dirname, extname, resolve }
