#!/usr/bin/env node
// Launcher: registers tsx's loader in this process and runs the TypeScript CLI (no build step,
// no second process).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
