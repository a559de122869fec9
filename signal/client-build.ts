import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { projectRoot } from './config.ts'
import { log } from './log.ts'

/** Runs `vite build` when the client, worker or protocol sources are newer than the build. */
export function buildClientIfStale(outDir: string): void {
  if (!isStale(outDir)) return
  log.info('building the client (vite build)…')
  execFileSync(process.execPath, [join(projectRoot, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: projectRoot,
    stdio: 'inherit',
  })
}

function isStale(outDir: string): boolean {
  const built = join(outDir, 'index.html')
  if (!existsSync(built)) return true
  const builtAt = statSync(built).mtimeMs
  return ['client', 'protocol', 'workers', 'vite.config.ts', 'svelte.config.js'].some((p) => newestMtime(join(projectRoot, p)) > builtAt)
}

function newestMtime(path: string): number {
  const st = statSync(path)
  if (!st.isDirectory()) return st.mtimeMs
  let newest = st.mtimeMs
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)))
  return newest
}
