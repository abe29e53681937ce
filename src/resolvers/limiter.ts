/**
 * One limit on requests in flight per host, shared by every network handler of a run (image registries, package
 * indexes, URL downloads): `--concurrency N` means at most N requests to any one host at once, whichever handlers
 * send them (before, each handler had its own limit of 8, so six handlers could have 48 requests open).
 *
 * A request holds its host's slot from sending until its response is consumed (the body read or dropped); waits
 * between retries hold none. A request sent while its caller already holds a slot for that host (the registry client
 * asks the tag list from inside a 404's handling) runs in that slot instead of waiting for another one, which could
 * never come with a limit of 1.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

interface HostSlots {
  active: number;
  waiting: (() => void)[];
}

export class HostLimiter {
  readonly concurrency: number;
  private readonly hosts = new Map<string, HostSlots>();
  private readonly held = new AsyncLocalStorage<ReadonlySet<string>>();

  constructor(concurrency = 8) {
    this.concurrency = Number.isInteger(concurrency) && concurrency > 0 ? concurrency : 8;
  }

  /** Run `fn` holding a slot for `host` (waiting for one when all are taken). */
  async run<T>(host: string, fn: () => Promise<T>): Promise<T> {
    const held = this.held.getStore();
    if (held?.has(host)) return fn();
    await this.acquire(host);
    try {
      return await this.held.run(new Set([...(held ?? []), host]), fn);
    } finally {
      this.release(host);
    }
  }

  /** Requests to `host` holding a slot now (for tests and diagnostics). */
  active(host: string): number {
    return this.hosts.get(host)?.active ?? 0;
  }

  private acquire(host: string): Promise<void> {
    let s = this.hosts.get(host);
    if (!s) {
      s = { active: 0, waiting: [] };
      this.hosts.set(host, s);
    }
    if (s.active < this.concurrency) {
      s.active++;
      return Promise.resolve();
    }
    const slots = s;
    return new Promise((resolve) => slots.waiting.push(resolve));
  }

  private release(host: string): void {
    const s = this.hosts.get(host);
    if (!s) return;
    const next = s.waiting.shift();
    if (next) next(); // the slot passes to the next request as it is
    else if (--s.active === 0) this.hosts.delete(host);
  }
}
