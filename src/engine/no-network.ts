/**
 * `--no-network` (`network: false`) as a property of the run, not of each codemod: whatever a codemod asks, only the
 * local kinds (`file`, `dir`) reach the resolver; every other key is answered here, at once, with a `no-network`
 * error, so no request can leave the machine and no progress line counts a lookup that will not happen. Codemods read
 * such an answer like any failed lookup (the knowledge base and the file alone decide).
 */
import { AnswerStore, LOOKUP_KINDS, type LookupKind } from './lookups.js';
import type { Answers, LookupKey } from './types.js';

export interface NetworkGate {
  answers: Answers;
  /** The keys that may still be resolved (local files); the others are answered already. */
  pass(keys: readonly LookupKey[]): LookupKey[];
}

export function isLocalLookup(key: LookupKey): boolean {
  return LOOKUP_KINDS[key.kind as LookupKind]?.loader === 'local';
}

export function noNetworkGate(inner: Answers): NetworkGate {
  const refused = new AnswerStore();
  return {
    answers: { get: (k) => refused.get(k) ?? inner.get(k) },
    pass(keys) {
      const local: LookupKey[] = [];
      for (const k of keys) {
        if (isLocalLookup(k)) local.push(k);
        else if (!refused.has(k)) refused.set(k, { error: { code: 'no-network', message: `${k.kind} not looked up (--no-network)` } });
      }
      return local;
    },
  };
}
