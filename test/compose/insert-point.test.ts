/**
 * blockInsertionPoint reads the comment lines after a collection in place: the same offsets as reading each line as
 * a string (`/^([ \t]*)#/` on the line without its CR), over generated documents (LF and CRLF, blanks and tabs,
 * comments at, left of and right of the entries' column, no final newline).
 */
import { describe, expect, it } from 'vitest';
import { isMap, isSeq, parseDocument, type YAMLMap, type YAMLSeq } from 'yaml';
import { blockInsertionPoint, contentEnd } from '../../src/compose/index.js';

/** The line-by-line reading, as first written. */
function byLines(text: string, node: YAMLMap | YAMLSeq, entryColumn: number): number {
  let end = contentEnd(text, node);
  while (end > 0 && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
  let at: number;
  if (end > 0 && text[end - 1] === '\n') at = end;
  else {
    const nl = text.indexOf('\n', end);
    if (nl < 0) return text.length;
    at = nl + 1;
  }
  for (;;) {
    const i = text.indexOf('\n', at);
    const le = i < 0 ? text.length : i;
    const m = /^([ \t]*)#/.exec(text.slice(at, le).replace(/\r$/, ''));
    if (!m || (m[1] as string).length <= entryColumn) break;
    if (le >= text.length) return text.length;
    at = le + 1;
  }
  return at;
}

const TAILS = ['', '#c', ' #c', '  #c', '    #c', '\t#c', '  \t#c', '   ', '      # deep', 'x: 1', '  - y', '#', '    #'];

describe('blockInsertionPoint', () => {
  it('finds the offsets the line-by-line reading finds', () => {
    let n = 0;
    for (const eol of ['\n', '\r\n']) {
      for (const a of TAILS) for (const b of TAILS) for (const c of ['', '#c', '      # deep']) for (const final of [true, false]) {
        const text = ['services:', '  web:', '    image: x', '    ports:', '      - "80:80"', a, b, c].join(eol) + (final ? eol : '');
        const doc = parseDocument(text);
        const services = doc.get('services', true);
        if (!isMap(services)) continue;
        const web = services.get('web', true);
        if (!isMap(web)) continue;
        const ports = web.get('ports', true);
        for (const [node, col] of [[services, 2], [web, 4], ...(isSeq(ports) ? [[ports, 6]] : [])] as [YAMLMap | YAMLSeq, number][]) {
          for (const column of [col - 2, col, col + 2]) {
            expect([text, column, blockInsertionPoint(text, node, column)]).toEqual([text, column, byLines(text, node, column)]);
            n++;
          }
        }
      }
    }
    expect(n).toBeGreaterThan(5_000);
  });
});
