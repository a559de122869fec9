/**
 * Finds the audio files under a library folder. The server later opens only
 * paths this walk returned, so this is where "no path outside the library is
 * served" is enforced: every returned path is a real path (symlinks resolved)
 * inside the library's own real path.
 */
import { readdir, realpath, stat } from 'node:fs/promises'
import { extname, isAbsolute, join, relative, sep } from 'node:path'
import type { Logger } from '../log.ts'

export type AudioExtension = 'flac' | 'wav'

export interface AudioFile {
  /** Real, absolute path inside the library. */
  path: string
  ext: AudioExtension
}

export function audioExtension(name: string): AudioExtension | undefined {
  const ext = extname(name).toLowerCase()
  return ext === '.flac' ? 'flac' : ext === '.wav' ? 'wav' : undefined
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel))
}

/** Hidden entries (dot files, `.git`, macOS `._` forks) are skipped; files come back sorted by path. */
export async function findAudioFiles(dir: string, log: Logger): Promise<AudioFile[]> {
  const root = await realpath(dir)
  const found: AudioFile[] = []
  // Real paths of folders already walked: a symlink back up the tree would otherwise loop forever.
  const seenDirs = new Set<string>([root])

  async function walk(folder: string): Promise<void> {
    let entries
    try {
      entries = await readdir(folder, { withFileTypes: true })
    } catch (err) {
      log.warn({ err, folder }, 'cannot read library folder; skipped')
      return
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue
      const path = join(folder, entry.name)
      let real = path
      let isDir = entry.isDirectory()
      let isFile = entry.isFile()
      if (entry.isSymbolicLink()) {
        try {
          real = await realpath(path)
          const s = await stat(real)
          isDir = s.isDirectory()
          isFile = s.isFile()
        } catch {
          log.warn({ path }, 'dangling symlink in library; skipped')
          continue
        }
        if (!isInside(root, real)) {
          log.warn({ path }, 'symlink points outside the library; skipped')
          continue
        }
      }
      if (isDir) {
        if (seenDirs.has(real)) continue
        seenDirs.add(real)
        await walk(real)
      } else if (isFile) {
        const ext = audioExtension(entry.name)
        if (ext) found.push({ path: real, ext })
      }
    }
  }

  await walk(root)
  return found
}
