#!/usr/bin/env node
// The `rp` command: runs the TypeScript entry point through tsx, from wherever it is called.
require('tsx/cjs/api').register();
require('../src/main.ts');
