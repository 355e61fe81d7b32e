/**
 * Compiles src/ and commands/ with the native tsc (tsconfig.build.json) into dist/, with source maps.
 * Plain JavaScript on purpose: it runs before anything is compiled and without tsx.
 *
 *   node scripts/build.mjs             build (npm ci runs it through `prepare`)
 *   node scripts/build.mjs --if-stale  build only when a source is newer than the last build (a few ms
 *                                      when up to date; `npm start`, `npm run demo`, `npm run console`
 *                                      and bin/liqzone.js call it, so an edited tree never runs stale code)
 *
 * dist/.built is written after a successful build; any file under src/ or commands/ (or the tsconfig
 * files, package.json) newer than it makes the build stale. Exits 1 with tsc's output on a failed build.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = join(ROOT, 'dist', '.built');
const SOURCES = ['src', 'commands'];
const CONFIGS = ['tsconfig.json', 'tsconfig.build.json', 'package.json'];

function newestMtime(dir, acc) {
  let newest = acc;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = newestMtime(p, newest);
    else newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** True when dist/ is missing or older than a source or config file. */
export function isStale(root = ROOT) {
  let built;
  try {
    built = statSync(join(root, 'dist', '.built')).mtimeMs;
  } catch {
    return true;
  }
  let newest = 0;
  for (const d of SOURCES) newest = newestMtime(join(root, d), newest);
  for (const f of CONFIGS) newest = Math.max(newest, statSync(join(root, f)).mtimeMs);
  return newest > built;
}

/** Runs tsc -p tsconfig.build.json; returns true on success (tsc's output goes to stderr on failure). */
export function build(root = ROOT) {
  const require = createRequire(join(root, 'package.json'));
  let tsc;
  try {
    tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
  } catch {
    // e.g. `npm ci --omit=dev`: build with the dev dependencies first (npm ci; npm run build), then prune
    process.stderr.write('liqzone: cannot compile src/: the typescript package is not installed (a production-only install?). Run a full `npm ci` (it builds dist/), then `npm prune --omit=dev` if you need a smaller node_modules.\n');
    return false;
  }
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(`liqzone: compiling src/ failed (tsc exit ${r.status ?? r.signal})\n${r.stdout ?? ''}${r.stderr ?? ''}`);
    return false;
  }
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  return true;
}

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Builds when stale; returns false when a needed build failed. Processes starting together (tests
 * spawning the CLI in parallel) build once: the first takes dist/.lock, the others wait for it and
 * find the build fresh. A lock older than two minutes is a crashed build and is taken over.
 */
export function buildIfStale(root = ROOT) {
  if (!isStale(root)) return true;
  const lock = join(root, 'dist', '.lock');
  mkdirSync(join(root, 'dist'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        // released meanwhile
      }
      sleep(100);
    }
  }
  try {
    if (!isStale(root)) return true;
    if (process.stderr.isTTY) process.stderr.write('liqzone: compiling src/ and commands/ into dist/ …\n');
    return build(root);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const ok = process.argv.includes('--if-stale') ? buildIfStale() : build();
  process.exit(ok ? 0 : 1);
}
