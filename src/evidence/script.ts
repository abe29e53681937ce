/**
 * What a shell script (an image's entrypoint script, a service's `command:`/`entrypoint:` run by `sh -c`) does that
 * runtime hardening depends on, read from its syntax tree (src/shell/): privilege drops, chown/chmod, writes to the
 * filesystem. Each fact carries its 1-based line and the command as written, so a finding can cite it.
 *
 * Only literal words count as evidence: `chown "$USER" "$DIR"` is a chown of an unknown path (`path` undefined), a
 * command whose name is an expansion (`"$@"`, `$CMD`) is not read. The caller loads the parser (`loadShell()`).
 */
import { findAll, tryParseScript, type Redirect, type SimpleCommand, type Word } from '../shell/index.js';

/** One piece of evidence from a script: what it is, where, and the command text (shortened) for messages. */
export interface ScriptFact {
  line: number;
  /** The command as written, at most 80 characters. */
  text: string;
}

/** `gosu postgres …`, `su-exec redis …`, `setpriv --reuid …`, `su -c … user`, `s6-setuidgid`, `chroot --userspec`. */
export interface PrivilegeDrop extends ScriptFact {
  tool: string;
  /** The user switched to, when written literally. */
  user?: string;
}

/** A change of ownership or mode (`chown -R postgres "$PGDATA"`, `chmod 700 …`). */
export interface OwnershipChange extends ScriptFact {
  tool: 'chown' | 'chgrp' | 'chmod' | 'install';
  /** The literal absolute paths it changes (none when they are variables). */
  paths: readonly string[];
}

/** A write to the filesystem outside /dev and /proc: redirection, `sed -i`, `tee`, `mkdir`, `cp`/`mv`/`ln`/`touch`. */
export interface FileWrite extends ScriptFact {
  /** How: '>', '>>', 'sed -i', 'tee', 'mkdir', 'cp', 'mv', 'ln', 'touch', 'install', 'rm'. */
  how: string;
  /**
   * The path written, when it is literal or starts with a literal absolute prefix (`/etc/nginx/conf.d/$NAME.conf` →
   * `/etc/nginx/conf.d/`), or `~`/`$HOME` paths spelled `$HOME/…`. Undefined when the target is an expansion.
   */
  path?: string;
}

/** A program that works for a non-root user only through its setuid bit or a file capability (`sudo`, `ping`). */
export interface SetuidUse extends ScriptFact {
  tool: string;
}

export interface ScriptEvidence {
  privilegeDrops: readonly PrivilegeDrop[];
  /** Programs run that gain privileges on exec when the caller is not root (see SETUID_PROGRAMS). */
  setuidUse: readonly SetuidUse[];
  ownership: readonly OwnershipChange[];
  writes: readonly FileWrite[];
  /** Programs it runs (literal command names, after `exec`/`command`/`env` prefixes), for "what it starts". */
  programs: readonly string[];
}

export type ScriptRead = { evidence: ScriptEvidence } | { unreadable: string };

const DROP_TOOLS = new Set(['gosu', 'su-exec', 'setpriv', 'su', 's6-setuidgid', 'runuser', 'chpst', 'setuidgid', 'sudo', 'chroot']);
/**
 * Programs installed setuid root or with file capabilities in common distributions, which a non-root user can use only
 * through that: what no-new-privileges stops (a root caller needs nothing from them).
 */
const SETUID_PROGRAMS = new Set(['sudo', 'su', 'doas', 'pkexec', 'newgrp', 'sg', 'passwd', 'chsh', 'chfn', 'mount', 'umount', 'ping', 'ping6', 'fusermount', 'fusermount3', 'crontab', 'postdrop', 'postqueue', 'chrome-sandbox']);
const PREFIXES = new Set(['exec', 'command', 'nohup', 'builtin', 'time', 'nice', 'ionice', 'stdbuf', 'timeout']);
const IGNORED_TARGET = /^\/(?:dev|proc)\//;

const short = (s: string): string => {
  const one = s.replace(/\s*\\?\r?\n\s*/g, ' ').trim();
  return one.length > 80 ? `${one.slice(0, 77)}...` : one;
};

/** A word's path: the literal value, else its literal prefix when that is an absolute directory, else `$HOME/…`. */
export function wordPath(w: Word): string | undefined {
  if (w.value !== null) return w.value;
  const raw = w.raw.replace(/^["']/, '');
  const home = /^(?:\$HOME|\$\{HOME\}|~)(\/[^"'$]*)?/.exec(raw);
  if (home) return `$HOME${home[1] ?? ''}`;
  const m = /^(\/[^"'$`\\*?[]*)/.exec(raw);
  if (!m?.[1]) return undefined;
  const prefix = m[1];
  return prefix.endsWith('/') ? prefix : prefix.slice(0, prefix.lastIndexOf('/') + 1) || undefined;
}

/** The argv of a command after `exec`/`command`/`env VAR=…`/`nohup` prefixes: [name, ...args] (null entries: expansions). */
function effectiveArgv(cmd: SimpleCommand): Word[] {
  const words = cmd.name ? [cmd.name, ...cmd.args] : [];
  let i = 0;
  while (i < words.length) {
    const v = words[i]?.value ?? null;
    if (v === null) break;
    const base = v.slice(v.lastIndexOf('/') + 1);
    if (PREFIXES.has(base)) {
      i++;
      // timeout DURATION, nice -n N: skip their options and one numeric argument.
      while (i < words.length && /^-/.test(words[i]?.value ?? '')) i++;
      if (base === 'timeout' && /^\d/.test(words[i]?.value ?? '')) i++;
      continue;
    }
    if (base === 'env') {
      i++;
      while (i < words.length && /^(?:-|[A-Za-z_][A-Za-z0-9_]*=)/.test(words[i]?.raw ?? '')) i++;
      continue;
    }
    break;
  }
  return words.slice(i);
}

const basenameOf = (v: string): string => v.slice(v.lastIndexOf('/') + 1);

function dropOf(tool: string, args: readonly Word[]): { drop: boolean; user?: string } {
  const vals = args.map((a) => a.value);
  switch (tool) {
    case 'gosu':
    case 'su-exec':
    case 's6-setuidgid':
    case 'setuidgid':
      return { drop: args.length > 0, ...(vals[0] ? { user: vals[0] } : {}) };
    case 'chpst': {
      const u = vals.findIndex((v) => v === '-u' || v === '-U');
      return u >= 0 ? { drop: true, ...(vals[u + 1] ? { user: vals[u + 1] as string } : {}) } : { drop: false };
    }
    case 'setpriv': {
      const r = vals.find((v) => v?.startsWith('--reuid'));
      if (!r) return { drop: false };
      const user = r.includes('=') ? r.slice(r.indexOf('=') + 1) : (vals[vals.indexOf(r) + 1] ?? undefined);
      return { drop: true, ...(user ? { user } : {}) };
    }
    case 'chroot': {
      const u = vals.find((v) => v?.startsWith('--userspec'));
      if (!u) return { drop: false };
      const user = u.includes('=') ? u.slice(u.indexOf('=') + 1) : (vals[vals.indexOf(u) + 1] ?? undefined);
      return { drop: true, ...(user ? { user } : {}) };
    }
    case 'sudo': {
      const u = vals.findIndex((v) => v === '-u' || v?.startsWith('--user'));
      if (u < 0) return { drop: false };
      const v = vals[u] as string;
      const user = v.includes('=') ? v.slice(v.indexOf('=') + 1) : vals[u + 1];
      return { drop: true, ...(user ? { user } : {}) };
    }
    case 'su':
    case 'runuser': {
      // su [options] [-] [user [args]]: -c/-s/-g take an argument.
      const withArg = new Set(['-c', '-s', '-g', '-G', '--command', '--shell', '--group', '-u', '--user']);
      let user: string | undefined;
      for (let i = 0; i < vals.length; i++) {
        const v = vals[i];
        if (v === null || v === undefined) continue;
        if (tool === 'runuser' && (v === '-u' || v === '--user')) {
          user = vals[i + 1] ?? undefined;
          break;
        }
        if (withArg.has(v)) {
          i++;
          continue;
        }
        if (v === '-' || v.startsWith('-')) continue;
        user = v;
        break;
      }
      return user && user !== 'root' ? { drop: true, user } : { drop: false };
    }
    default:
      return { drop: false };
  }
}

const WRITING_COMMANDS: Record<string, (args: readonly Word[]) => Word[]> = {
  // sed -i[SUFFIX] … FILE…: the files are the words after the script that are not options.
  sed: (args) => {
    if (!args.some((a) => /^-(?:[a-zA-Z]*i|-in-place)/.test(a.value ?? ''))) return [];
    const rest = args.filter((a) => !(a.value ?? '').startsWith('-'));
    const hasE = args.some((a) => a.value === '-e' || a.value === '-f');
    return hasE ? rest.slice(args.filter((a) => a.value === '-e' || a.value === '-f').length) : rest.slice(1);
  },
  tee: (args) => args.filter((a) => !(a.value ?? '').startsWith('-')),
  mkdir: (args) => args.filter((a) => !(a.value ?? '').startsWith('-') && !/^\d+$/.test(a.value ?? '')),
  touch: (args) => args.filter((a) => !(a.value ?? '').startsWith('-')),
  rm: (args) => args.filter((a) => !(a.value ?? '').startsWith('-')),
  cp: (args) => lastOf(args),
  mv: (args) => lastOf(args),
  ln: (args) => lastOf(args),
  install: (args) => lastOf(args),
};

function lastOf(args: readonly Word[]): Word[] {
  const plain = args.filter((a) => !(a.value ?? '').startsWith('-'));
  return plain.length >= 2 ? [plain[plain.length - 1] as Word] : [];
}

const OWNERSHIP = new Set(['chown', 'chgrp', 'chmod']);

/** What a script does, or why it could not be read (not shell, a parse error). The shell parser must be loaded. */
export function readScript(text: string): ScriptRead {
  if (text.includes('\u0000') || text.startsWith('\u007fELF')) return { unreadable: 'it is a binary, not a script' };
  const s = tryParseScript(text);
  if (!s) return { unreadable: 'it could not be parsed as a shell script' };
  const lineOf = (offset: number): number => {
    let n = 1;
    for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
    return n;
  };
  const privilegeDrops: PrivilegeDrop[] = [];
  const setuidUse: SetuidUse[] = [];
  const ownership: OwnershipChange[] = [];
  const writes: FileWrite[] = [];
  const programs: string[] = [];
  const textOf = (r: { start: number; end: number }): string => short(text.slice(r.start, r.end));
  for (const cmd of s.commands) {
    const argv = effectiveArgv(cmd);
    const name = argv[0]?.value ?? null;
    if (name === null) continue;
    const tool = basenameOf(name);
    const args = argv.slice(1);
    const line = lineOf(cmd.range.start);
    if (!programs.includes(tool)) programs.push(tool);
    if (SETUID_PROGRAMS.has(tool)) setuidUse.push({ tool, line, text: textOf(cmd.range) });
    if (DROP_TOOLS.has(tool)) {
      const d = dropOf(tool, args);
      if (d.drop) privilegeDrops.push({ tool, line, text: textOf(cmd.range), ...(d.user ? { user: d.user } : {}) });
    }
    // find … -exec chown …: the command after -exec.
    if (tool === 'find') {
      const ex = args.findIndex((a) => a.value === '-exec' || a.value === '-execdir');
      const t = ex >= 0 ? basenameOf(args[ex + 1]?.value ?? '') : '';
      if (OWNERSHIP.has(t)) ownership.push({ tool: t as 'chown', line, text: textOf(cmd.range), paths: [] });
    }
    if (OWNERSHIP.has(tool)) {
      const plain = args.filter((a) => !(a.value ?? '').startsWith('-'));
      const paths = plain.slice(1).map((a) => a.value).filter((v): v is string => v !== null && v.startsWith('/'));
      ownership.push({ tool: tool as 'chown', line, text: textOf(cmd.range), paths });
    }
    if (tool === 'install' && args.some((a) => /^-(?:o|g|-owner|-group)/.test(a.value ?? ''))) {
      ownership.push({ tool: 'install', line, text: textOf(cmd.range), paths: [] });
    }
    const targets = WRITING_COMMANDS[tool]?.(args) ?? [];
    for (const t of targets) {
      const p = wordPath(t);
      if (p !== undefined && (IGNORED_TARGET.test(p) || p === '/dev/null')) continue;
      if (p !== undefined && !p.startsWith('/') && !p.startsWith('$HOME')) continue; // relative: under WorkingDir, unknown
      writes.push({ how: tool === 'sed' ? 'sed -i' : tool, line, text: textOf(cmd.range), ...(p !== undefined ? { path: p } : {}) });
    }
  }
  for (const r of findAll(s.root, 'redirect') as Redirect[]) {
    if (!['>', '>>', '>|', '&>', '&>>', '<>'].includes(r.op)) continue;
    if (r.target.value !== null && /^\d+$/.test(r.target.value)) continue;
    const p = wordPath(r.target);
    if (p !== undefined && (IGNORED_TARGET.test(p) || p === '/dev/null' || p === '/dev/stdout' || p === '/dev/stderr')) continue;
    if (p !== undefined && !p.startsWith('/') && !p.startsWith('$HOME')) continue;
    const owner = r.parent;
    const range = owner && owner.kind === 'command' ? owner.range : r.range;
    writes.push({ how: r.op.includes('>>') ? '>>' : '>', line: lineOf(r.range.start), text: textOf(range), ...(p !== undefined ? { path: p } : {}) });
  }
  writes.sort((a, b) => a.line - b.line);
  return { evidence: { privilegeDrops, setuidUse, ownership, writes, programs } };
}
