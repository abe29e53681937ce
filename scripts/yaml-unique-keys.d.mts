/** Types of scripts/yaml-unique-keys.mjs (a linear duplicate-key check for the bundled yaml). */
export declare const YAML_UNIQUE_KEYS: { file: string; sha256: string };
export declare const SCAN_BELOW: number;
export declare const UNIQUE_KEYS_SOURCE: string;
export declare function uniqueKeysFor(text: string | undefined): { source?: string; reason?: string };
