#!/usr/bin/env node
// Launcher: runs the compiled CLI (dist/src/main.js, built by `npm ci` through `prepare`) with source
// maps for stack traces. A tree edited since the last build is compiled first (a few ms when up to
// date); `npm run dev` runs the TypeScript directly through tsx instead.
import { buildIfStale } from '../scripts/build.mjs';

if (!buildIfStale()) process.exit(1);
process.setSourceMapsEnabled(true);
await import(new URL('../dist/src/main.js', import.meta.url).href);
