/** The src/compose editing layer: services with merges/extends, scalar edits, insertions, interpolation. */
import { describe, expect, it } from 'vitest';
import { isMap, isSeq, type YAMLMap, type YAMLSeq } from 'yaml';
import { applyFixes } from '../../src/engine/edits.js';
import { parseCompose } from '../../src/engine/parse.js';
import type { Edit, ParsedCompose } from '../../src/engine/types.js';
import {
  appendItems, fillEmpty, formatScalar, insertPair, lookup, lookupAll, looksSecret, parseInterpolation, plainIsSafe,
  replaceScalar, services, spliceScalar, valueOffsets, type ComposeService,
} from '../../src/compose/index.js';

const parse = (text: string): ParsedCompose => parseCompose('c.yaml', undefined, text);
const apply = (f: ParsedCompose, edits: Edit[]): string => {
  const out = applyFixes(f.text, [{ title: 't', safety: 'safe', edits }]).output;
  parse(out); // still parses
  return out;
};
const svc = (f: ParsedCompose, name: string): ComposeService => {
  const s = services(f).find((x) => x.name === name);
  if (!s) throw new Error(`no service ${name}`);
  return s;
};

describe('services()', () => {
  const f = parse(`x-a: &a
  restart: always
  ports: &p
    - "80:80"
x-b: &b
  restart: "no"
  user: app
services:
  one:
    <<: [*a, *b]
    image: one
  two:
    <<: *b
    restart: on-failure
  three: *a
  four:
    extends: one
    image: four
  five:
    extends: { service: x, file: other.yaml }
---
services:
  six: { image: six }
`);
  it('lists services of every document, resolving aliased services', () => {
    expect(services(f).map((s) => `${s.docIndex}:${s.name}`)).toEqual(['0:one', '0:two', '0:three', '0:four', '0:five', '1:six']);
    expect(svc(f, 'three').alias?.source).toBe('a');
  });
  it('own keys win, then merge sources in order', () => {
    expect(lookup(svc(f, 'one'), 'restart')?.via).toBe('merge');
    expect(String((lookup(svc(f, 'one'), 'restart')?.value as { value: unknown }).value)).toBe('always');
    expect(String((lookup(svc(f, 'two'), 'restart')?.value as { value: unknown }).value)).toBe('on-failure');
    expect(lookup(svc(f, 'one'), 'user')?.owner).toBe(lookup(svc(f, 'two'), 'user')?.owner);
  });
  it('points at the anchored node, shared by every user', () => {
    const a = lookup(svc(f, 'one'), 'ports');
    const b = lookup(svc(f, 'three'), 'ports');
    expect(a?.value).toBe(b?.value);
    expect(a?.shared).toBe(true);
  });
  it('follows same-file extends and notes other-file extends as unknown', () => {
    const four = svc(f, 'four');
    expect(lookup(four, 'image')?.via).toBe('own');
    expect(lookup(four, 'ports')?.via).toBe('extends');
    expect(lookupAll(four, 'image').length).toBe(2);
    expect(svc(f, 'five').extendsUnknown).toContain('other.yaml');
  });
});

describe('insertPair()', () => {
  it('appends after the last entry, before blank lines and comments of the next key', () => {
    const f = parse('services:\n  a:\n    image: x # pinned\n    ports:\n      - "1:1"\n      # - "2:2"\n    # about b\n\n  b:\n    image: y\n');
    const a = svc(f, 'a');
    expect(apply(f, [insertPair(f, a.doc, a.node, 'read_only', true)])).toBe(
      'services:\n  a:\n    image: x # pinned\n    ports:\n      - "1:1"\n      # - "2:2"\n    read_only: true\n    # about b\n\n  b:\n    image: y\n',
    );
  });
  it('keeps CRLF and a missing final newline', () => {
    const f = parse('services:\r\n  a:\r\n    image: x');
    const a = svc(f, 'a');
    expect(apply(f, [insertPair(f, a.doc, a.node, 'cap_drop', ['ALL'])])).toBe('services:\r\n  a:\r\n    image: x\r\n    cap_drop:\r\n      - ALL');
  });
  it('copies indentation and the compact sequence style', () => {
    const f = parse('services:\n    a:\n        image: x\n        volumes:\n        - d:/d\n');
    const a = svc(f, 'a');
    expect(apply(f, [insertPair(f, a.doc, a.node, 'logging', { driver: 'json-file', options: { 'max-file': '3' } })])).toBe(
      'services:\n    a:\n        image: x\n        volumes:\n        - d:/d\n        logging:\n            driver: json-file\n            options:\n                max-file: "3"\n',
    );
  });
  it('writes flow style into flow mappings', () => {
    const f = parse('services:\n  a: { image: x }\n  b: {}\n');
    const a = svc(f, 'a');
    const b = svc(f, 'b');
    expect(apply(f, [insertPair(f, a.doc, a.node, 'security_opt', ['no-new-privileges:true'])])).toBe(
      'services:\n  a: { image: x, security_opt: [no-new-privileges:true] }\n  b: {}\n',
    );
    expect(apply(f, [insertPair(f, b.doc, b.node, 'read_only', true)])).toBe('services:\n  a: { image: x }\n  b: {read_only: true}\n');
  });
  it('inserts into the right document', () => {
    const f = parse('services:\n  a:\n    image: x\n---\nservices:\n  b:\n    image: y\n');
    const a = svc(f, 'a');
    expect(apply(f, [insertPair(f, a.doc, a.node, 'init', true)])).toBe('services:\n  a:\n    image: x\n    init: true\n---\nservices:\n  b:\n    image: y\n');
  });
});

describe('sequences', () => {
  it('appends to block and flow sequences and fills empty values', () => {
    const f = parse('services:\n  a:\n    security_opt:\n      - label=disable # why\n    dns: [1.1.1.1]\n    cap_drop:\n    tty: true\n');
    const a = svc(f, 'a');
    const so = lookup(a, 'security_opt')?.value as YAMLSeq;
    const dns = lookup(a, 'dns')?.value as YAMLSeq;
    expect(isSeq(so) && isSeq(dns)).toBe(true);
    const cd = lookup(a, 'cap_drop');
    expect(
      apply(f, [
        appendItems(f, a.doc, so, ['no-new-privileges:true']),
        appendItems(f, a.doc, dns, ['8.8.8.8']),
        fillEmpty(f, a.doc, cd?.pair as never, ['ALL']),
      ]),
    ).toBe('services:\n  a:\n    security_opt:\n      - label=disable # why\n      - no-new-privileges:true\n    dns: [1.1.1.1, 8.8.8.8]\n    cap_drop:\n      - ALL\n    tty: true\n');
  });
});

describe('scalars', () => {
  it('keeps quoting style and escapes when needed', () => {
    const f = parse(`a: plain\nb: 'single'\nc: "double"\nd: 8080:80\n`);
    const m = f.docs[0]?.contents as YAMLMap;
    const node = (k: string) => m.items.find((p) => (p.key as { value: unknown }).value === k)?.value as never;
    expect(replaceScalar(f, node('a'), 'x: y')?.text).toBe('"x: y"');
    expect(replaceScalar(f, node('b'), "it's")?.text).toBe("'it''s'");
    expect(replaceScalar(f, node('c'), 'say "hi"\n')?.text).toBe('"say \\"hi\\"\\n"');
    expect(replaceScalar(f, node('a'), 'fine')?.text).toBe('fine');
    // Unquoted text that YAML 1.1 reads as a number (base 60) or boolean gets quoted.
    expect(formatScalar('22:22')).toBe('"22:22"');
    expect(formatScalar('yes')).toBe('"yes"');
    expect(formatScalar('3')).toBe('"3"');
    expect(plainIsSafe('127.0.0.1:22:22')).toBe(true);
    expect(plainIsSafe('a, b', true)).toBe(false);
    // Text that starts like an alias reads as one (an unknown anchor), not as the string: quoted, never a crash.
    expect(plainIsSafe('*.example.com')).toBe(false);
    expect(plainIsSafe('*x', true)).toBe(false);
    expect(formatScalar('*.example.com')).toBe('"*.example.com"');
    expect(replaceScalar(f, node('a'), '*x')?.text).toBe('"*x"');
    expect(spliceScalar(f, node('d'), 0, 0, '127.0.0.1:')).toEqual({ start: 36, end: 36, text: '127.0.0.1:' });
  });
  it('maps value offsets to source offsets', () => {
    const f = parse(`a: 'it''s \${X}'\nb: "\\t\${X}"\n`);
    const m = f.docs[0]?.contents as YAMLMap;
    const a = m.items[0]?.value as never;
    const map = valueOffsets(f, a);
    expect(map && f.text.slice(map(5), map(9))).toBe('${X}');
    expect(valueOffsets(f, m.items[1]?.value as never)).toBeUndefined();
  });
});

describe('interpolation', () => {
  it('parses variables, defaults, nesting and $$ escapes with offsets', () => {
    const v = 'a $$b ${X:-d${Y}} $Z ${W:?err} ${V-} ${U}';
    const r = parseInterpolation(v);
    expect(r.escapes).toEqual([2]);
    expect(r.refs.map((x) => [x.name, x.op, x.arg, v.slice(x.start, x.end)])).toEqual([
      ['X', ':-', 'd${Y}', '${X:-d${Y}}'],
      ['Z', '', undefined, '$Z'],
      ['W', ':?', 'err', '${W:?err}'],
      ['V', '-', '', '${V-}'],
      ['U', '', undefined, '${U}'],
    ]);
    expect(parseInterpolation('${X').invalid).toBe(true);
  });
});

describe('secret names', () => {
  it.each([
    ['POSTGRES_PASSWORD', true], ['DB_PASS', true], ['API_KEY', true], ['STRIPE_SECRET_KEY', true], ['GITHUB_TOKEN', true],
    ['APP_KEY', true], ['dbPassword', true], ['AWS_SECRET_ACCESS_KEY', true],
    ['POSTGRES_PASSWORD_FILE', false], ['OAUTH_TOKEN_URL', false], ['KEYCLOAK_URL', false], ['AWS_ACCESS_KEY_ID', false],
    ['MYSQL_RANDOM_ROOT_PASSWORD', false], ['JWT_PUBLIC_KEY', false], ['PASSPORT', false], ['MONKEY', false], ['KEY', false],
  ])('%s → %s', (name, expected) => {
    expect(looksSecret(name)).toBe(expected);
  });
});

it('services() ignores non-map services and files without services', () => {
  expect(services(parse('version: "3"\n'))).toEqual([]);
  expect(services(parse('services:\n  a:\n  b: { image: x }\n')).map((s) => s.name)).toEqual(['b']);
  expect(isMap(svc(parse('services:\n  b: { image: x }\n'), 'b').node)).toBe(true);
});
