/**
 * The fast paths of src/compose/secret-names.ts give the answers of the general ones: afterPasswordFlag (which reads
 * only the flag before a word) as the expression over all the text before it (afterPasswordFlagByScan), over generated
 * command lines and every command/entrypoint string of the corpus; looksSecret's kept verdicts (built-in rules) as
 * the rules read with options (a pattern that matches nothing takes the path without the verdicts).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { afterPasswordFlag, afterPasswordFlagByScan, looksSecret, walkScalars, scalarText } from '../../src/compose/index.js';
import { parseFile } from '../../src/engine/parse.js';
import type { ParsedCompose } from '../../src/engine/types.js';
import { CORPUS } from '../support/compose-schema.js';

const PIECES = ['--requirepass', '--password', '-p', '--db-password', '--token-ttl', '--auth', '-pass', '---pass', 'x', '', ' ', '  ', '\t', '=', '==', '"', "'", '$X', '${PW}', 'a-b', '--', '-', 'pass', '\u00a0', 'redis-server', '--key-file'];

function generated(): string[] {
  const out: string[] = [];
  for (const a of PIECES) for (const b of PIECES) for (const c of PIECES) out.push(a + b + c, `${a} ${b}=${c}`, `${a}=${b} ${c}`);
  return out;
}

/** Compares both at every offset of `text`; a difference fails with the text and the offset. */
function check(text: string, previous?: string): number {
  for (let start = 0; start <= text.length; start++) {
    const fast = afterPasswordFlag(text, start, previous);
    if (fast !== afterPasswordFlagByScan(text, start, previous)) expect({ text, start, previous, fast }).toBeUndefined();
  }
  return text.length + 1;
}

describe('afterPasswordFlag', () => {
  it('reads the flag before a word as the expression over the whole text before it does', () => {
    let n = 0;
    for (const t of generated()) n += check(t) + check(t, '--requirepass') + check(t, 'x');
    expect(n).toBeGreaterThan(100_000);
    expect(afterPasswordFlag('redis-server --requirepass secret', 27)).toBe(true);
    expect(afterPasswordFlag('--password=x', 11)).toBe(true);
    expect(afterPasswordFlag('x--password x', 12)).toBe(false);
    expect(afterPasswordFlag('secret', 0, '--requirepass')).toBe(true);
  });

  const dir = join(CORPUS, 'compose');
  it.skipIf(!existsSync(dir))('gives the same answers at every offset of the corpus command lines', () => {
    let commands = 0;
    for (const name of readdirSync(dir).sort()) {
      let file: ParsedCompose;
      try {
        file = parseFile('compose', name, undefined, readFileSync(join(dir, name), 'utf8').replace(/^\uFEFF/, '')) as ParsedCompose;
      } catch {
        continue;
      }
      for (const doc of file.docs) {
        let previous: string | undefined;
        walkScalars(doc, ({ node, path }) => {
          const text = scalarText(node);
          if (text === undefined) return;
          if (path[0] === 'services' && (path[2] === 'command' || path[2] === 'entrypoint')) {
            commands++;
            check(text, previous);
          }
          previous = text;
        });
      }
    }
    expect(commands).toBeGreaterThan(100);
  });
});

describe('looksSecret', () => {
  it('keeps the verdicts of the built-in rules, the same as with options', () => {
    const names = ['PASSWORD', 'DB_PASSWORD', 'dbPassword', 'AWS_ACCESS_KEY_ID', 'APP_KEY', 'REDIS_AUTH', 'MYSQL_RANDOM_ROOT_PASSWORD', 'KEYCLOAK_URL', 'PASSPORT', 'JWT_SECRET_FILE', 'A_VERY_LONG_SECRET_TOKEN_NAME', 'x', ''];
    const none = { ignore: ['\u0000none'] };
    for (let round = 0; round < 2; round++) for (const n of names) expect([n, looksSecret(n)]).toEqual([n, looksSecret(n, none)]);
    expect(looksSecret('DB_PASSWORD')).toBe(true);
    expect(looksSecret('AWS_ACCESS_KEY_ID')).toBe(false);
  });
});
