import { readFileSync } from 'node:fs';

/** The name harden is published under on npm (`harden` itself belongs to an unrelated package); the command stays `harden`. */
export const PACKAGE_NAME = 'harden-containers';

let cached: string | undefined;

/** The package version, read from package.json (works from src/ under tsx and from dist/src/). */
export function version(): string {
  return (cached ??= readVersion());
}

/** `harden/<version>`: the User-Agent of every request harden sends. */
export function userAgent(): string {
  return `harden/${version()}`;
}

function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === PACKAGE_NAME && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}
