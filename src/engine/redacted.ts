/**
 * A secret value that can travel inside a report (for the `write-secret-file` side effect) without ever being
 * printed: JSON.stringify, String(), template literals and util.inspect all show `[redacted]`.
 * Only `reveal()` gives the value, and only the side-effect applier calls it, on --write.
 */
import { inspect } from 'node:util';

export const REDACTED = '[redacted]';

export class SecretValue {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return REDACTED;
  }
  toString(): string {
    return REDACTED;
  }
  [Symbol.toPrimitive](): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return REDACTED;
  }
}
