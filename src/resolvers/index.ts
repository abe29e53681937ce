/**
 * The Resolver port: dispatches lookup keys by kind to handlers, skips keys already answered, and stores the answers.
 * Handlers batch, de-duplicate, cache and count their own requests.
 */
import { AnswerStore, dedupeKeys, lookupId } from '../engine/lookups.js';
import type { Answer, LookupKey, ResolveContext, Resolver } from '../engine/types.js';
import { localHandler } from './local.js';

export interface LookupHandler {
  /** Lookup kinds this handler answers; '*' = any kind no other handler takes. */
  readonly kinds: readonly string[];
  /** `onAnswer`, if the handler calls it, as each key's answer is ready (else all count as answered at the end). */
  resolve(keys: readonly LookupKey[], onAnswer?: (key: LookupKey) => void): Promise<Map<string, Answer>>;
  /** Requests sent, by kind (e.g. { token: 1, head: 3 }). */
  readonly counters?: Readonly<Record<string, number>>;
  /** Things to say once per run, not about a lookup (e.g. a registry mirror given up for its registry). */
  notes?(): string[];
  /** Release connections and other resources. */
  close?(): Promise<void>;
}

/** A handler loaded on first use, so heavy modules (undici, decompressors) stay off the start-up path. */
export function lazyHandler(kinds: readonly string[], load: () => Promise<LookupHandler>): LookupHandler {
  let loaded: Promise<LookupHandler> | undefined;
  let instance: LookupHandler | undefined;
  return {
    kinds,
    async resolve(keys, onAnswer) {
      loaded ??= load().then((h) => (instance = h));
      return (await loaded).resolve(keys, onAnswer);
    },
    get counters() {
      return instance?.counters ?? {};
    },
    notes() {
      return instance?.notes?.() ?? [];
    },
    async close() {
      await instance?.close?.();
    },
  };
}

export class DispatchResolver implements Resolver {
  readonly answers = new AnswerStore();
  private readonly handlers: LookupHandler[];

  constructor(handlers: readonly LookupHandler[]) {
    this.handlers = [...handlers];
  }

  addHandler(h: LookupHandler): void {
    this.handlers.push(h);
  }

  async resolveAll(keys: readonly LookupKey[], ctx?: ResolveContext): Promise<void> {
    const pending = dedupeKeys(keys).filter((k) => !this.answers.has(k));
    const onLookup = ctx?.onLookup;
    if (onLookup) for (const k of pending) onLookup(k, 'asked');
    const byHandler = new Map<LookupHandler, LookupKey[]>();
    for (const k of pending) {
      const h =
        this.handlers.find((x) => x.kinds.includes(k.kind)) ?? this.handlers.find((x) => x.kinds.includes('*'));
      if (!h) {
        this.answers.set(k, { error: { code: 'unsupported', message: `no resolver handles lookups of kind '${k.kind}'` } });
        onLookup?.(k, 'answered');
        continue;
      }
      const list = byHandler.get(h);
      if (list) list.push(k);
      else byHandler.set(h, [k]);
    }
    await Promise.all(
      [...byHandler].map(async ([h, ks]) => {
        let res: Map<string, Answer>;
        const told = new Set<LookupKey>();
        const onAnswer = onLookup
          ? (k: LookupKey) => {
              if (told.has(k)) return;
              told.add(k);
              onLookup(k, 'answered');
            }
          : undefined;
        try {
          res = await h.resolve(ks, onAnswer);
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          res = new Map(ks.map((k) => [lookupId(k), { error: { code: 'internal', message } }]));
        }
        if (onAnswer) for (const k of ks) onAnswer(k);
        for (const k of ks) {
          this.answers.set(k, res.get(lookupId(k)) ?? { error: { code: 'internal', message: `no answer for ${k.kind} lookup` } });
        }
      }),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.handlers.map((h) => h.close?.()));
  }

  /** The handlers' notes, in handler order. */
  notes(): string[] {
    return this.handlers.flatMap((h) => h.notes?.() ?? []);
  }

  /** Requests sent so far, summed over handlers, by kind. */
  counters(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const h of this.handlers) for (const [k, v] of Object.entries(h.counters ?? {})) out[k] = (out[k] ?? 0) + v;
    return out;
  }
}

/** A resolver that only knows local files; network handlers are added by the caller. */
export function createLocalResolver(): DispatchResolver {
  return new DispatchResolver([localHandler]);
}
