import { randomBytes } from 'node:crypto'
import { copyFile, mkdir, readdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as v from 'valibot'
import { TrackSchema, type Track } from '../../protocol/track.ts'
import { demoLibraryDir } from '../../signal/library/demo.ts'
import { HashCache } from '../../signal/library/hash-cache.ts'
import { scanLibrary, type Library } from '../../signal/library/scan.ts'
import { formatTag } from '../../signal/library/wav-format.ts'
import { buildWav, recordingLog, sha256Of, tempDir, type LogLine } from '../support/library.ts'

const TRACK_KEYS = Object.keys(TrackSchema.entries).sort()

let root: string
let lib: string
let cacheFile: string
let cleanup: () => Promise<void>
/** Files that must never show up in the library, by content hash. */
const forbidden: Record<string, string> = {}

/**
 * lib/
 *   01-aurora-16-44k.flac              demo, top level
 *   LOUD.WAV                           untagged 16-bit mono PCM, upper-case extension
 *   corrupt.flac                       random bytes
 *   mislabeled.flac                    the demo WAV under a FLAC name
 *   float.wav                          "16-bit IEEE float" WAV: not a real format (32-bit float is taken)
 *   notes.txt, .hidden.wav, .git/x.wav
 *   link-out.wav -> ../outside/secret.wav, linkdir -> ../outside
 *   nested/04-coda-16-48k.wav, nested/dup.flac (= 01), nested/loop -> lib
 *   nested/deeper/02-…flac, 03-…flac, ext24.wav (WAVE_FORMAT_EXTENSIBLE 24-bit PCM)
 */
test.before(async () => {
  ;({ dir: root, cleanup } = await tempDir('aula-scan-'))
  lib = join(root, 'lib')
  const outside = join(root, 'outside')
  cacheFile = join(root, 'cache', 'hashes.json')
  await mkdir(join(lib, 'nested', 'deeper'), { recursive: true })
  await mkdir(join(lib, '.git'), { recursive: true })
  await mkdir(outside)
  const demo = (name: string) => join(demoLibraryDir, name)
  await copyFile(demo('01-aurora-16-44k.flac'), join(lib, '01-aurora-16-44k.flac'))
  await copyFile(demo('01-aurora-16-44k.flac'), join(lib, 'nested', 'dup.flac'))
  await copyFile(demo('04-coda-16-48k.wav'), join(lib, 'nested', '04-coda-16-48k.wav'))
  await copyFile(demo('02-meridian-24-96k.flac'), join(lib, 'nested', 'deeper', '02-meridian-24-96k.flac'))
  await copyFile(demo('03-nocturne-24-192k.flac'), join(lib, 'nested', 'deeper', '03-nocturne-24-192k.flac'))
  await copyFile(demo('04-coda-16-48k.wav'), join(lib, 'mislabeled.flac'))
  await writeFile(join(lib, 'corrupt.flac'), randomBytes(8192))
  await writeFile(join(lib, 'notes.txt'), 'not audio')
  await writeFile(join(lib, 'LOUD.WAV'), buildWav({ rate: 22050, bits: 16, channels: 1, frames: 22050, seed: 1 }))
  await writeFile(join(lib, 'float.wav'), buildWav({ rate: 48000, bits: 16, channels: 2, frames: 4800, formatTag: 3, seed: 2 }))
  await writeFile(
    join(lib, 'nested', 'deeper', 'ext24.wav'),
    buildWav({ rate: 96000, bits: 24, channels: 2, frames: 9600, formatTag: 0xfffe, seed: 3 }),
  )
  await writeFile(join(lib, '.hidden.wav'), buildWav({ rate: 8000, bits: 16, channels: 1, frames: 800, seed: 4 }))
  await writeFile(join(lib, '.git', 'x.wav'), buildWav({ rate: 8000, bits: 16, channels: 1, frames: 800, seed: 5 }))
  await writeFile(join(outside, 'secret.wav'), buildWav({ rate: 8000, bits: 16, channels: 1, frames: 800, seed: 6 }))
  await symlink(join(outside, 'secret.wav'), join(lib, 'link-out.wav'))
  await symlink(outside, join(lib, 'linkdir'))
  await symlink(lib, join(lib, 'nested', 'loop'))
  for (const p of [join(lib, '.hidden.wav'), join(lib, '.git', 'x.wav'), join(outside, 'secret.wav'), join(lib, 'float.wav')]) {
    forbidden[p] = await sha256Of(p)
  }
})

test.after(() => cleanup())

function scanned(lines: LogLine[]): LogLine {
  const line = lines.find((l) => l.msg === 'library scanned')
  assert.ok(line, 'a summary line is logged')
  return line
}

function byTitle(library: Library, title: string): Track {
  const track = library.tracks.find((t) => t.title === title)
  assert.ok(track, `track "${title}" is in the library`)
  return track
}

test('first scan: every playable file once, with the right stream info, sorted', async () => {
  const { log, lines } = recordingLog()
  const library = await scanLibrary(lib, { hashCacheFile: cacheFile, log })

  assert.is(library.dir, lib)
  assert.equal(
    library.tracks.map((t) => t.title),
    [
      'Aurora (16-bit, 44.1 kHz)',
      'Meridian (24-bit, 96 kHz)',
      'Nocturne (24-bit, 192 kHz)',
      'Coda (WAV, 16-bit, 48 kHz)',
      'ext24', // "Unknown album", no track numbers: by title
      'LOUD',
    ],
  )
  const expect: Record<string, Partial<Track> & { file: string }> = {
    'Aurora (16-bit, 44.1 kHz)': { file: '01-aurora-16-44k.flac', codec: 'flac', sampleRate: 44100, bitsPerSample: 16, channels: 2, durationSec: 7 },
    'Meridian (24-bit, 96 kHz)': { file: 'nested/deeper/02-meridian-24-96k.flac', codec: 'flac', sampleRate: 96000, bitsPerSample: 24, channels: 2, durationSec: 7 },
    'Nocturne (24-bit, 192 kHz)': { file: 'nested/deeper/03-nocturne-24-192k.flac', codec: 'flac', sampleRate: 192000, bitsPerSample: 24, channels: 2, durationSec: 6 },
    'Coda (WAV, 16-bit, 48 kHz)': { file: 'nested/04-coda-16-48k.wav', codec: 'wav', sampleRate: 48000, bitsPerSample: 16, channels: 2, durationSec: 3 },
    ext24: { file: 'nested/deeper/ext24.wav', codec: 'wav', sampleRate: 96000, bitsPerSample: 24, channels: 2, durationSec: 0.1 },
    LOUD: { file: 'LOUD.WAV', codec: 'wav', sampleRate: 22050, bitsPerSample: 16, channels: 1, durationSec: 1 },
  }
  for (const track of library.tracks) {
    const { file, ...fields } = expect[track.title]!
    const path = join(lib, file)
    assert.ok(v.is(TrackSchema, track), `${file} matches TrackSchema`)
    assert.equal(Object.keys(track).sort(), TRACK_KEYS, 'nothing beyond the contract, no paths')
    for (const [k, want] of Object.entries(fields)) assert.is(track[k as keyof Track], want, `${file} ${k}`)
    assert.is(track.bytes, (await stat(path)).size)
    assert.is(track.sha256, await sha256Of(path))
    assert.is(track.id, track.sha256.slice(0, 24))
    assert.equal(library.get(track.id), { track, path })
  }
  const aurora = byTitle(library, 'Aurora (16-bit, 44.1 kHz)')
  assert.is(aurora.artist, 'Aula Sonora')
  assert.is(aurora.album, 'Aula Sonora Demo')
  const loud = byTitle(library, 'LOUD')
  assert.is(loud.artist, 'Unknown artist')
  assert.is(loud.album, 'Unknown album')

  const shas = new Set(library.tracks.map((t) => t.sha256))
  for (const [path, sha] of Object.entries(forbidden)) assert.not.ok(shas.has(sha), `${path} is not served`)
  assert.is(library.get('0'.repeat(24)), undefined)
  assert.is(library.get('../package.json'), undefined)

  const skipped = lines.filter((l) => l.msg === 'unplayable file skipped').map((l) => String(l.path))
  assert.equal(skipped.sort(), [join(lib, 'corrupt.flac'), join(lib, 'float.wav'), join(lib, 'mislabeled.flac')])
  assert.ok(lines.some((l) => l.msg === 'symlink points outside the library; skipped' && l.path === join(lib, 'link-out.wav')))
  assert.ok(lines.some((l) => l.msg === 'symlink points outside the library; skipped' && l.path === join(lib, 'linkdir')))
  // 6 tracks + the duplicate of Aurora, hashed before being found identical.
  assert.is(scanned(lines).hashed, 7)
  assert.is(scanned(lines).cached, 0)
  const onDisk = JSON.parse(await readFile(cacheFile, 'utf8')) as { entries: Record<string, unknown> }
  assert.is(Object.keys(onDisk.entries).length, 7)
})

test('second scan: every hash comes from the cache', async () => {
  const { log, lines } = recordingLog()
  const library = await scanLibrary(lib, { hashCacheFile: cacheFile, log })
  assert.is(library.tracks.length, 6)
  assert.is(scanned(lines).hashed, 0)
  assert.is(scanned(lines).cached, 7)
})

test('the cache is trusted while size and mtime hold, and recomputed when mtime moves', async () => {
  const path = join(lib, '01-aurora-16-44k.flac')
  const real = await sha256Of(path)
  const fake = 'ab'.repeat(32)
  const onDisk = JSON.parse(await readFile(cacheFile, 'utf8')) as { entries: Record<string, { sha256: string }> }
  onDisk.entries[path]!.sha256 = fake
  await writeFile(cacheFile, JSON.stringify(onDisk))

  const trusted = await scanLibrary(lib, { hashCacheFile: cacheFile, log: recordingLog().log })
  const aurora = trusted.get(fake.slice(0, 24))
  assert.ok(aurora, 'the cached (fake) hash names the track')
  assert.is(aurora.path, path)
  assert.is(aurora.track.sha256, fake)
  // The copy in nested/dup.flac keeps its real hash, so the two no longer look identical.
  assert.is(trusted.tracks.length, 7)

  const later = new Date(Date.now() + 60_000)
  await utimes(path, later, later)
  const { log, lines } = recordingLog()
  const rehashed = await scanLibrary(lib, { hashCacheFile: cacheFile, log })
  assert.is(byTitle(rehashed, 'Aurora (16-bit, 44.1 kHz)').sha256, real)
  assert.is(scanned(lines).hashed, 1)
  assert.is(rehashed.tracks.length, 6)
})

test('a corrupt cache file is logged and replaced, and the scan still succeeds', async () => {
  await writeFile(cacheFile, '{"version":1,"entries":{"x":')
  const { log, lines } = recordingLog()
  const library = await scanLibrary(lib, { hashCacheFile: cacheFile, log })
  assert.is(library.tracks.length, 6)
  assert.ok(lines.some((l) => l.level === 40 && /hash cache corrupt/.test(l.msg)))
  assert.is(scanned(lines).hashed, 7)
  const again = JSON.parse(await readFile(cacheFile, 'utf8')) as { version: number }
  assert.is(again.version, 1)
  // Written through a temp file and a rename: nothing left beside it.
  assert.equal(await readdir(join(root, 'cache')), ['hashes.json'])
})

test('HashCache: counts hits and misses, keys on path + size + mtime', async () => {
  const file = join(root, 'cache', 'unit.json')
  const { log } = recordingLog()
  let calls = 0
  const hasher = async (p: string) => (calls++, `${p.length.toString(16).padStart(2, '0')}`.repeat(32))
  const cache = await HashCache.load(file, log)
  const a = await cache.sha256('/a/x.flac', { size: 10, mtimeMs: 1 }, hasher)
  assert.is(await cache.sha256('/a/x.flac', { size: 10, mtimeMs: 1 }, hasher), a)
  await cache.sha256('/a/x.flac', { size: 11, mtimeMs: 1 }, hasher)
  await cache.sha256('/a/x.flac', { size: 11, mtimeMs: 2 }, hasher)
  assert.is(calls, 3)
  assert.equal(cache.stats, { hits: 1, misses: 3 })
  await cache.save()

  const reloaded = await HashCache.load(file, log)
  await reloaded.sha256('/a/x.flac', { size: 11, mtimeMs: 2 }, hasher)
  await reloaded.sha256('/a/x.flac', { size: 10, mtimeMs: 1 }, hasher) // superseded entry is gone
  assert.equal(reloaded.stats, { hits: 1, misses: 1 })
})

test('HashCache: a missing cache file starts empty without a warning', async () => {
  const { log, lines } = recordingLog()
  const cache = await HashCache.load(join(root, 'nope', 'none.json'), log)
  assert.equal(cache.stats, { hits: 0, misses: 0 })
  assert.not.ok(lines.some((l) => l.level >= 40))
})

test('formatTag: plain, extensible and truncated headers', () => {
  const base = { rate: 8000, bits: 16 as const, channels: 1, frames: 4 }
  assert.is(formatTag(buildWav(base)), 1)
  assert.is(formatTag(buildWav({ ...base, formatTag: 3 })), 3)
  assert.is(formatTag(buildWav({ ...base, formatTag: 0xfffe, subFormat: 1 })), 1)
  assert.is(formatTag(buildWav({ ...base, formatTag: 0xfffe, subFormat: 3 })), 3)
  assert.is(formatTag(buildWav(base).subarray(0, 20)), undefined)
  assert.is(formatTag(Buffer.from('RIFX....WAVE')), undefined)
})

test('scanning a folder that does not exist fails loudly', async () => {
  try {
    await scanLibrary(join(root, 'missing'), { hashCacheFile: cacheFile, log: recordingLog().log })
    assert.unreachable('should have thrown')
  } catch (err) {
    assert.instance(err, Error)
    assert.is((err as NodeJS.ErrnoException).code, 'ENOENT')
  }
})

test.run()
