/**
 * The JSON Schema of `.harden.yaml` (and of the `harden` key of package.json), built from the codemods in use:
 * every codemod id is a property of `codemods:` and `overrides[].codemods`, with that codemod's `optionsSchema` under
 * `options:`. `npm run docs` writes it to schema/harden.schema.json for editors (yaml-language-server).
 */
import { FILE_ROLES } from './roles.js';
import type { Codemod, JsonSchema } from './types.js';

export const SCHEMA_ID = 'https://unpkg.com/harden-containers/schema/harden.schema.json';

/** The `indexes:` names (package-index mirrors); src/resolvers/default.ts maps them to settings. */
export const INDEX_NAMES = ['apk', 'alpine', 'debian', 'debian-security', 'ubuntu', 'ubuntu-ports', 'ubuntu-security', 'pypi', 'npm'] as const;

const strings = (description: string, item: JsonSchema = { type: 'string' }): JsonSchema => ({ type: 'array', items: item, description });

const NO_OPTIONS: JsonSchema = { type: 'object', additionalProperties: false, properties: {}, description: 'This codemod takes no options.' };

/** What `codemods.<id>` may be: on/off (or true/false), or a mapping with `enabled`, `severity`, `options`. */
function entrySchema(c: Codemod | undefined): JsonSchema {
  const options: JsonSchema = c ? (c.optionsSchema ?? NO_OPTIONS) : { type: 'object' };
  return {
    description: c ? `${c.summary} (\`harden explain ${c.id}\`)` : 'A codemod: on, off, or { enabled, severity, options }.',
    // if/then/else rather than oneOf: a wrong option is reported once, for the branch the value is in.
    if: { type: 'object' },
    then: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean', description: 'Run it (default true when the entry is a mapping).' },
        severity: { enum: ['error', 'warning', 'info'], description: 'Severity of its findings.' },
        options: options,
      },
    },
    else: { enum: [true, false, 'on', 'off'] },
  };
}

function codemodsSchema(codemods: readonly Codemod[] | undefined): JsonSchema {
  if (!codemods) return { type: 'object', additionalProperties: entrySchema(undefined) };
  return {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(codemods.map((c) => [c.id, entrySchema(c)])),
  };
}

/**
 * The configuration schema. Without `codemods` (a config read with no codemod set at hand), codemod ids and their
 * options are not checked.
 */
export function configSchema(codemods?: readonly Codemod[]): JsonSchema {
  const id: JsonSchema = codemods ? { enum: codemods.map((c) => c.id) } : { type: 'string' };
  const glob = { type: 'string' } as const;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: SCHEMA_ID,
    title: 'harden configuration (.harden.yaml)',
    definitions: { codemods: codemodsSchema(codemods) },
    type: 'object',
    additionalProperties: false,
    properties: {
      codemods: { $ref: '#/definitions/codemods', description: 'Turn codemods on or off and set their options: `{ pin-image-digest: { options: {…} }, compose-read-only: off }`.' },
      only: strings('Run only these codemods (like --only).', id),
      skip: strings('Do not run these codemods (like --skip).', id),
      unsafe: { type: 'boolean', description: 'Also apply fixes marked unsafe (like --unsafe).' },
      exclude: strings('Globs (relative to this file, or matched on the base name) never processed.', glob),
      overrides: {
        type: 'array',
        description: 'Per-path settings, applied in order: `[{ files: ["legacy/**"], codemods: { pin-image-digest: off } }]`.',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['files'],
          properties: {
            files: { anyOf: [glob, { type: 'array', items: glob, minItems: 1 }], description: 'Globs relative to this file.' },
            codemods: { $ref: '#/definitions/codemods', description: 'Codemod settings for the matching files.' },
            role: {
              enum: [...FILE_ROLES],
              description: 'The matching files are this role whatever their path says: production files get every codemod; dev, ci and test files pinning and locking only (no runtime hardening or secret migration).',
            },
          },
        },
      },
      fileRoles: {
        type: 'boolean',
        description: 'false: every file is production, whatever its path (like --no-file-roles). Default true: files under test/CI/dev paths or names (test/, cypress/, ci/, *.dev.*, …) get pinning and locking only.',
      },
      platform: { type: 'string', pattern: '^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$', description: 'Like --platform: os/arch[/variant], e.g. linux/amd64.' },
      exactTags: { type: 'boolean', description: 'Like --exact-tags.' },
      network: { type: 'boolean', description: 'false: like --no-network, skip the codemods that need the network (each skipped with one note).' },
      followSymlinks: { type: 'boolean', description: 'Like --follow-symlinks: also process symbolic links that lead outside the repository (named or found while walking). Read from the root configuration.' },
      allowReadOnly: { type: 'boolean', description: 'Like --allow-read-only: --write also replaces read-only files (refused by default). Read from the root configuration.' },
      preset: { enum: ['standard', 'strict'], description: 'Compose hardening preset (like --preset).' },
      aptSnapshot: { type: 'string', pattern: '^\\d{8}T\\d{6}Z$', description: 'Like --apt-snapshot: a snapshot.debian.org timestamp such as 20240115T000000Z.' },
      composeVersion: { type: 'string', pattern: '^\\d+(?:\\.\\d+){0,2}$', description: 'Like --compose-version: the Compose version output must work with, such as "1.29.2" or "2.20" (quoted). The nearest configuration that sets it applies to the files below it.' },
      registries: {
        type: 'object',
        description: 'Registry settings by host (docker.io, ghcr.io, …).',
        additionalProperties: {
          type: 'object',
          additionalProperties: false,
          properties: { mirror: { type: 'string', minLength: 1, description: 'Send this registry\'s lookups to a mirror (http://127.0.0.1:5000, mirror.example.com).' } },
        },
      },
      insecure: strings('Registries reached over plain HTTP (loopback registries always are).'),
      concurrency: { type: 'integer', minimum: 1, description: 'Requests at once (default 8).' },
      jobs: {
        anyOf: [{ type: 'integer', minimum: 1 }, { const: 'auto' }],
        description: 'Like --jobs: threads processing files (1: no worker thread). Default auto: one per core but one (at most 4) from 1000 files and 3 cores on. Read from the root configuration.',
      },
      timeout: { type: 'number', exclusiveMinimum: 0, description: 'Seconds per request (default 30).' },
      retries: { type: 'integer', minimum: 0, description: 'Retries of a failed request.' },
      cache: {
        type: 'object',
        additionalProperties: false,
        properties: {
          dir: { type: 'string', description: 'Cache directory (relative to this file).' },
          ttl: { type: 'number', minimum: 0, description: 'Seconds a cached answer stays fresh for tags (digests, tag lists), package indexes and download checksums; default: each lookup kind\'s own (an hour).' },
        },
      },
      indexes: {
        type: 'object',
        description: 'Package-index base URLs (mirrors).',
        additionalProperties: false,
        properties: Object.fromEntries(INDEX_NAMES.map((n) => [n, { type: 'string', minLength: 1 }])),
      },
    },
  };
}
