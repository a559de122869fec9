/**
 * The server builds its library's torrents when it starts: built at the
 * request instead, the first Play of a track waited for its whole file to
 * be read and hashed (100-175 ms of a cold Play, bench/sync).
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { projectRoot, readConfig } from '../../signal/config.ts'
import { startServer } from '../../signal/server.ts'
import type { Logger } from '../../signal/log.ts'
import { buildWav, recordingLog, tempDir, type LogLine } from '../support/library.ts'

/** The real server on a free port, with `dir` for its library. */
function serve(dir: string, log: Logger) {
  return startServer({ ...readConfig({}), port: 0, host: '127.0.0.1', libraryDir: dir, hashCacheFile: join(dir, 'hashes.json'), clientDir: join(projectRoot, 'dist') }, log)
}

/** The server's line saying how many torrents it built ahead, once it comes (10 s at most). */
async function builtAhead(lines: LogLine[]): Promise<LogLine | undefined> {
  const deadline = Date.now() + 10_000
  while (!lines.some((l) => l.msg === 'torrents built ahead') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  return lines.find((l) => l.msg === 'torrents built ahead')
}

test('the torrents of the library are built at start, before anyone asks, and are the ones served', async () => {
  const lib = await tempDir('aula-ahead-')
  for (const seed of [1, 2, 3]) await writeFile(join(lib.dir, `t${seed}.wav`), buildWav({ rate: 48_000, bits: 16, channels: 2, frames: 96_000, seed }))
  const { log, lines } = recordingLog()
  const server = await serve(lib.dir, log)
  try {
    const done = await builtAhead(lines)
    assert.ok(done, 'the server said when its torrents were built')
    assert.is(done.built, 3, 'every track of the library')
    // Nothing had asked yet: what is served now is what was built then.
    for (const track of server.library.tracks) {
      const res = await fetch(`${server.url}/api/torrent/${track.id}`)
      assert.is(res.status, 200)
      assert.match(res.headers.get('etag') ?? '', /^"[a-f0-9]{40}"$/)
      assert.ok((await res.arrayBuffer()).byteLength > 0)
    }
  } finally {
    await server.close()
    await lib.cleanup()
  }
})

test('a server closed while it builds torrents ahead closes at once and cleanly', async () => {
  const lib = await tempDir('aula-ahead-')
  for (const seed of [1, 2, 3, 4, 5, 6]) await writeFile(join(lib.dir, `t${seed}.wav`), buildWav({ rate: 96_000, bits: 24, channels: 2, frames: 960_000, seed }))
  const { log, lines } = recordingLog()
  const server = await serve(lib.dir, log)
  await server.close()
  // The files stay: left to go on, it would build all six.
  const done = await builtAhead(lines)
  await lib.cleanup()
  assert.ok(done && (done.built as number) < 6, `it stopped building once closed (${String(done?.built)} of 6 built)`)
  assert.equal(lines.filter((l) => l.level >= 50).map((l) => l.msg), [], 'no error logged')
})

test.run()
