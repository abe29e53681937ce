/** Types of scripts/yaml-plain-steps.mjs (yaml's lexer and parser with plain methods for the bundle). */
export declare const YAML_PLAIN_STEPS: Record<string, string>;
export declare function sha256(text: string): string;
export declare function plainSteps(text: string, file: string): string | Error;
export declare function plainStepsFor(sources: Record<string, string | undefined>): { sources?: Record<string, string>; reason?: string };
