#!/usr/bin/env node
// First: V8 settings that must be in place before the rest is compiled.
import './v8-flags.js';
import { main } from './cli.js';

main(process.argv).then((code) => {
  process.exitCode = code;
});
