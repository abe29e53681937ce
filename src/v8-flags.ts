/**
 * V8 settings of the command line, set before anything else is loaded (src/bin.ts imports this module first; the
 * benchmark's runs import it too, so they measure what `harden` runs with). Both are about what V8 spends compiling on
 * its helper threads, which on a run over a thousand files cost more CPU than the work itself (measured on 2 cores:
 * README, Performance):
 * - `--liftoff-only`: the shell grammar's WASM (tree-sitter-bash) stays with V8's baseline compiler instead of being
 *   recompiled by the optimising one once it is hot (its huge lexer function made that the biggest single cost);
 * - `--interrupt-budget=200000` (V8's default is 67,584): a function must run about three times as long before the
 *   optimising compiler takes it, so fewer functions that would soon stop running are optimised.
 * - `--heap-growing-percent=100`: after a full collection, the old generation may grow to twice what survived before
 *   the next one. V8's own factor grows up to 4 on a machine with much memory when the program allocates fast, and the
 *   limit is computed from the heap right after a collection, which may be a moment of many parses held: at 8 times
 *   the corpus the peak RSS went from 330–430 MiB to 210–270 MiB, for about twice as many full collections.
 * The first two only change when code is compiled, the third when memory is collected; none changes what is computed. Set at run time, they apply to code compiled from
 * then on; a flag given on the command line (`node --liftoff-only …`) or in NODE_OPTIONS is left as given.
 * A library embedding harden (src/api.ts) is not affected: only the CLI imports this module.
 */
import { setFlagsFromString } from 'node:v8';

export const CLI_V8_FLAGS: readonly string[] = ['--liftoff-only', '--interrupt-budget=200000', '--heap-growing-percent=100'];

const given = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
for (const flag of CLI_V8_FLAGS) {
  const name = (flag.split('=')[0] as string).replace(/^--(no-)?/, '');
  if (!given.includes(name)) setFlagsFromString(flag);
}
