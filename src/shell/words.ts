/** Quote removal for one shell word as written (POSIX rules plus bash's $'…' and $"…"). */

export interface Unquoted {
  /** The literal value, or null when the word expands something (parameter, command, arithmetic, leading `~`). */
  value: string | null;
  /** The word contains quotes or backslash escapes. */
  quoted: boolean;
}

/** Characters that, after an unquoted or double-quoted `$`, start an expansion. */
const EXPANSION_START = /[A-Za-z0-9_{(@*#?$!-]/;

const ANSI_SIMPLE: Record<string, string> = {
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

/** Decode the inside of $'…' starting at `i` (just after the opening quote). Returns the text and the index after the closing quote. */
function ansiC(raw: string, i: number): { text: string; next: number } | null {
  let out = '';
  while (i < raw.length) {
    const c = raw[i] as string;
    if (c === "'") return { text: out, next: i + 1 };
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const n = raw[i + 1];
    if (n === undefined) return null;
    if (n in ANSI_SIMPLE) {
      out += ANSI_SIMPLE[n];
      i += 2;
      continue;
    }
    const hex = /^(x[0-9A-Fa-f]{1,2}|u[0-9A-Fa-f]{1,4}|U[0-9A-Fa-f]{1,8})/.exec(raw.slice(i + 1));
    const oct = /^[0-7]{1,3}/.exec(raw.slice(i + 1));
    if (hex) {
      out += String.fromCodePoint(parseInt(hex[1]!.slice(1), 16));
      i += 1 + hex[1]!.length;
    } else if (oct) {
      out += String.fromCharCode(parseInt(oct[0], 8) & 0xff);
      i += 1 + oct[0].length;
    } else if (n === 'c' && raw[i + 2] !== undefined) {
      out += String.fromCharCode(raw.charCodeAt(i + 2) & 0x1f);
      i += 3;
    } else {
      // Unknown escapes keep the backslash, as bash does.
      out += `\\${n}`;
      i += 2;
    }
  }
  return null;
}

/** Characters the quote removal below acts on (besides a leading `~`). */
const SPECIAL = /[\\'"$`]/;

/**
 * Quote removal on a word's source text. Most words of a RUN script (`apt-get`, `install`, `-y`, `curl`) hold none of
 * `\ ' " $ \``: their value is their text (null after a leading `~`), without the character-by-character walk of
 * `unquoteWord` (test/shell/words.test.ts compares both over every word of the corpus and generated words).
 */
export function unquote(raw: string): Unquoted {
  if (!SPECIAL.test(raw)) return { value: raw.charCodeAt(0) === 126 ? null : raw, quoted: false };
  return unquoteWord(raw);
}

/** Quote removal, character by character (the general path of `unquote`). */
export function unquoteWord(raw: string): Unquoted {
  let out = '';
  let quoted = false;
  let expands = false;
  let i = 0;
  if (raw.startsWith('~')) expands = true;
  while (i < raw.length) {
    const c = raw[i] as string;
    if (c === '\\') {
      const n = raw[i + 1];
      if (n === undefined) {
        out += c;
        i++;
      } else if (n === '\n') {
        i += 2;
      } else {
        quoted = true;
        out += n;
        i += 2;
      }
    } else if (c === "'") {
      quoted = true;
      const end = raw.indexOf("'", i + 1);
      if (end < 0) return { value: null, quoted };
      out += raw.slice(i + 1, end);
      i = end + 1;
    } else if (c === '$' && raw[i + 1] === "'") {
      quoted = true;
      const r = ansiC(raw, i + 2);
      if (!r) return { value: null, quoted };
      out += r.text;
      i = r.next;
    } else if (c === '"' || (c === '$' && raw[i + 1] === '"')) {
      quoted = true;
      i += c === '"' ? 1 : 2;
      for (;;) {
        const d = raw[i];
        if (d === undefined) return { value: null, quoted };
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\') {
          const n = raw[i + 1];
          if (n === '\n') i += 2;
          else if (n !== undefined && '$`"\\'.includes(n)) {
            out += n;
            i += 2;
          } else {
            out += d;
            i++;
          }
        } else if (d === '`' || (d === '$' && EXPANSION_START.test(raw[i + 1] ?? ''))) {
          expands = true;
          out += d;
          i++;
        } else {
          out += d;
          i++;
        }
      }
    } else if (c === '`' || (c === '$' && EXPANSION_START.test(raw[i + 1] ?? ''))) {
      expands = true;
      out += c;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return { value: expands ? null : out, quoted };
}

/**
 * Whether unquote(raw).quoted: the word holds a quote, or a backslash before anything but a line break. Quoted
 * parts can only be entered through such a character, so the first one met decides (asked of words that expand,
 * whose value is null anyway; test/shell/words.test.ts compares it with unquoteWord).
 */
export function isQuoted(raw: string): boolean {
  return /['"]|\\[^\n]/.test(raw);
}
