/**
 * Healthcheck probes and ports: which port a probe talks to, the probe moved to another port, and the port a server's
 * command line asks it to listen on. Used by compose-healthcheck (host networking) and by `harden verify` (a probe on a
 * port the service does not listen on).
 */

/** Probes whose port is implicit, and the flag that names it. */
const PORT_FLAGS: Record<string, string> = { 'redis-cli': '-p', 'valkey-cli': '-p', pg_isready: '-p', 'mariadb-admin': '-P', mysqladmin: '-P' };
const DEFAULT_PORTS: Record<string, number> = { 'redis-cli': 6379, 'valkey-cli': 6379, pg_isready: 5432, 'mariadb-admin': 3306, mysqladmin: 3306 };

/** The port a probe talks to (explicitly or by its tool's default), or undefined. */
export function probePort(test: readonly string[]): number | undefined {
  const words = test.slice(1).flatMap((w) => w.split(/\s+/));
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    const url = /^['"]?https?:\/\/(?:127\.0\.0\.1|localhost)(?::(\d+))?/.exec(w);
    if (url) return url[1] ? Number(url[1]) : 80;
    const tool = w.replace(/^.*\//, '');
    if (tool in PORT_FLAGS) {
      const flag = PORT_FLAGS[tool] as string;
      const at = words.indexOf(flag, i + 1);
      if (at > 0 && /^\d+$/.test(words[at + 1] ?? '')) return Number(words[at + 1]);
      return DEFAULT_PORTS[tool];
    }
  }
  return undefined;
}

/** The probe rewritten to talk to `port`. */
export function probeOnPort(test: readonly string[], from: number, port: number): string[] {
  const [kind, ...rest] = test;
  const out = rest.map((w) => w.replace(new RegExp(`(https?://(?:127\\.0\\.0\\.1|localhost)):${from}\\b`, 'g'), `$1:${port}`));
  const joined = out.join(' ');
  if (joined !== rest.join(' ')) return [kind ?? 'CMD', ...out];
  // A URL without a port (port 80)
  const noPort = out.map((w) => w.replace(/(https?:\/\/(?:127\.0\.0\.1|localhost))(?=\/|$|['"\s])/g, `$1:${port}`));
  if (noPort.join(' ') !== joined) return [kind ?? 'CMD', ...noPort];
  // A tool with an implicit or explicit port flag.
  const words = kind === 'CMD-SHELL' ? (out[0] ?? '').split(' ') : [...out];
  const i = words.findIndex((w) => w.replace(/^.*\//, '') in PORT_FLAGS);
  if (i < 0) return [...test];
  const flag = PORT_FLAGS[(words[i] ?? '').replace(/^.*\//, '')] as string;
  const at = words.indexOf(flag, i + 1);
  if (at > 0) words[at + 1] = String(port);
  else words.splice(i + 1, 0, flag, String(port));
  return kind === 'CMD-SHELL' ? [kind, words.join(' ')] : [kind ?? 'CMD', ...words];
}

/** The port a command line asks the server to listen on (`--port N`, `-p N`, `--listen[=]N`, `port N`). */
export function commandPort(command: readonly string[]): number | undefined {
  for (let i = 0; i < command.length; i++) {
    const w = command[i] ?? '';
    const eq = /^--(?:port|listen|http-port|bind-port|web\.listen-address)=(?:[\w.-]*:)?(\d+)$/.exec(w);
    if (eq) return Number(eq[1]);
    if (/^(?:--port|-p|--listen|port|--http-port)$/.test(w) && /^\d+$/.test(command[i + 1] ?? '')) return Number(command[i + 1]);
  }
  return undefined;
}
