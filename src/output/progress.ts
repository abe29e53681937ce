/**
 * Progress on a terminal: one line on standard error, rewritten in place ("resolving 12/40 image digests…") and
 * erased when the run ends, before anything else is printed. Only when standard error is a terminal, never in CI
 * (`CI` set, other than `false`/`0`), with TERM=dumb, or in a pipe or file, so logs and captured output never see it.
 * It shows up only for work that lasts (first drawn after `delayMs`), at most every `intervalMs`.
 */
import type { Progress } from '../api.js';

export function progressEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (stream.isTTY !== true) return false;
  const ci = env.CI;
  if (ci !== undefined && ci !== 'false' && ci !== '0') return false;
  return env.TERM !== 'dumb';
}

const KIND_WORDS: Record<string, string> = {
  'image-digest': 'image digests',
  'image-tags': 'tag lists',
  'image-config': 'image configs',
  'image-file': 'image files',
  'apt-version': 'apt versions',
  'apk-version': 'apk versions',
  'pypi-version': 'PyPI versions',
  'npm-version': 'npm versions',
  'url-sha256': 'downloads',
};

/** The line for a progress event: lookups while they are in flight, else files. */
export function progressText(p: Progress): string {
  if (p.lookups && p.lookups.done < p.lookups.total) {
    const kinds = p.lookups.kinds;
    const what = kinds.length === 1 ? (KIND_WORDS[kinds[0]!] ?? 'lookups') : 'lookups';
    return `resolving ${p.lookups.done}/${p.lookups.total} ${what}…`;
  }
  return `processing ${p.files.done}/${p.files.total} file${p.files.total === 1 ? '' : 's'}…`;
}

export interface ProgressLine {
  update(p: Progress): void;
  /** Erase the line (if drawn) and stop; call before printing anything else. */
  done(): void;
}

export const noProgress: ProgressLine = { update() {}, done() {} };

/**
 * With `plain` (colour off: NO_COLOR, FORCE_COLOR=0, --no-color) the line is redrawn and erased with carriage returns
 * and spaces only, so a terminal asked to stay plain sees no escape sequence at all.
 */
export function terminalProgress(stream: NodeJS.WriteStream, opts: { delayMs?: number; intervalMs?: number; plain?: boolean } = {}): ProgressLine {
  const delayMs = opts.delayMs ?? 300;
  const intervalMs = opts.intervalMs ?? 100;
  let latest: Progress | undefined;
  let drawn = '';
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const draw = () => {
    timer = undefined;
    if (stopped) return;
    if (latest) {
      const width = Math.max(20, (stream.columns || 80) - 1); // a terminal of unknown size reports 0 columns
      const text = progressText(latest).slice(0, width);
      if (text !== drawn) stream.write(opts.plain ? `\r${text}${' '.repeat(Math.max(0, drawn.length - text.length))}` : `\r${text}\u001b[K`);
      drawn = text;
    }
    timer = setTimeout(draw, intervalMs);
    timer.unref();
  };
  const erase = () => {
    if (drawn) stream.write(opts.plain ? `\r${' '.repeat(drawn.length)}\r` : '\r\u001b[K');
    drawn = '';
  };
  process.once('exit', erase);
  timer = setTimeout(draw, delayMs);
  timer.unref();
  return {
    update(p) {
      latest = p;
    },
    done() {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      erase();
      process.removeListener('exit', erase);
    },
  };
}
