/**
 * The explicit, sorted registry of codemods. A test fails if a module in codemods/ is not registered here,
 * or if a registered codemod has no fixtures or no docs.
 */
import type { Codemod } from '../src/engine/types.js';

export const codemods: readonly Codemod[] = [
  // keep sorted by id
];

export function codemodById(id: string): Codemod | undefined {
  return codemods.find((c) => c.id === id);
}
