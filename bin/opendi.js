#!/usr/bin/env node
// Loads the TypeScript CLI through tsx's loader, so `npm ci` is all the build there is.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
