/** Parsing at the engine boundary: Dockerfiles with dockerfile-ast, compose files with `yaml` (comment- and range-preserving). */
import { DockerfileParser, Instruction } from 'dockerfile-ast';
import { LineCounter, parseAllDocuments, isMap, isScalar } from 'yaml';
import { computeLineStarts, detectEol } from './text.js';
import { memoiseDockerfileArguments } from './derive.js';
import { patchHeredocProbe } from './dockerfile-probe.js';
import { patchParserScans, patchPropertyValue } from './dockerfile-scan.js';
import { patchLazyJSON } from './dockerfile-lazy.js';
import { patchArgumentScan, patchLineOffsets } from './dockerfile-arguments.js';
import { HostYamlError, shellHost, shellSnippets } from './shell-hosts.js';
import { patchYamlParser } from './yaml-parser.js';
import type { FileKind, ParsedCompose, ParsedDockerfile, ParsedFile, ParsedKubernetes, ParsedShell, ParsedSource } from './types.js';

export class ParseError extends Error {
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
    this.name = 'ParseError';
  }
}

const DOCKERFILE_INSTRUCTIONS = new Set([
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER',
  'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);

patchArgumentScan();
patchLineOffsets();
memoiseDockerfileArguments(Instruction.prototype);
// Before the heredoc probe, which wraps processArguments.
patchParserScans();
patchPropertyValue();
patchHeredocProbe();
patchLazyJSON();
patchYamlParser();

export function parseDockerfile(path: string, absPath: string | undefined, text: string): ParsedDockerfile {
  const ast = DockerfileParser.parse(text);
  const lineStarts = computeLineStarts(text);
  for (const ins of ast.getInstructions()) {
    const kw = ins.getKeyword().toUpperCase();
    if (!DOCKERFILE_INSTRUCTIONS.has(kw)) {
      const r = ins.getInstructionRange().start;
      throw new ParseError(`unknown instruction '${ins.getKeyword()}'`, r.line + 1, r.character + 1);
    }
    if (kw === 'ONBUILD') {
      const trigger = (ins as unknown as { getTrigger(): string | null }).getTrigger();
      if (trigger && !DOCKERFILE_INSTRUCTIONS.has(trigger.toUpperCase())) {
        const r = ins.getRange().start;
        throw new ParseError(`unknown ONBUILD trigger instruction '${trigger}'`, r.line + 1, r.character + 1);
      }
    }
  }
  const escapeChar = ast.getEscapeCharacter() === '`' ? '`' : '\\';
  return { kind: 'dockerfile', path, absPath, text, eol: detectEol(text), lineStarts, ast, escapeChar };
}

export function parseCompose(path: string, absPath: string | undefined, text: string): ParsedCompose {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, merge: true });
  if (!Array.isArray(docs)) {
    // An empty stream parses to an EmptyStream; treat as zero documents.
    return { kind: 'compose', path, absPath, text, eol: detectEol(text), lineStarts: computeLineStarts(text), docs: [], lineCounter };
  }
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) {
      const pos = err.linePos?.[0];
      const msg = err.message.split('\n')[0] ?? err.message;
      if (/call stack/i.test(msg)) throw new ParseError('YAML nested too deeply for the parser (it ran out of stack); the file was not processed', pos?.line, pos?.col);
      throw new ParseError(`invalid YAML: ${msg.replace(/ at line \d+, column \d+:?$/, '')}`, pos?.line, pos?.col);
    }
    if (doc.contents !== null && !isMap(doc.contents)) {
      const off = doc.contents.range?.[0] ?? 0;
      const p = lineCounter.linePos(off);
      throw new ParseError('not a compose file: the top level is not a mapping', p.line, p.col);
    }
  }
  return { kind: 'compose', path, absPath, text, eol: detectEol(text), lineStarts: computeLineStarts(text), docs, lineCounter };
}

/** Kubernetes manifests, kustomization.yaml, Helm values.yaml: every document a mapping (or empty), as in compose files. */
export function parseKubernetes(path: string, absPath: string | undefined, text: string): ParsedKubernetes {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, merge: true });
  const base = { kind: 'kubernetes' as const, path, absPath, text, eol: detectEol(text), lineStarts: computeLineStarts(text), lineCounter };
  if (!Array.isArray(docs)) return { ...base, docs: [] };
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) {
      const pos = err.linePos?.[0];
      const msg = err.message.split('\n')[0] ?? err.message;
      throw new ParseError(`invalid YAML: ${msg.replace(/ at line \d+, column \d+:?$/, '')}`, pos?.line, pos?.col);
    }
    if (doc.contents !== null && !isMap(doc.contents) && !(isScalar(doc.contents) && doc.contents.value === null)) {
      const off = doc.contents.range?.[0] ?? 0;
      const p = lineCounter.linePos(off);
      throw new ParseError('not a Kubernetes manifest: a document is not a mapping', p.line, p.col);
    }
  }
  return { ...base, docs };
}

export function parseSource(path: string, absPath: string | undefined, text: string): ParsedSource {
  return { kind: 'source', path, absPath, text, eol: detectEol(text), lineStarts: computeLineStarts(text) };
}

/** A file carrying shell commands: its snippets (src/engine/shell-hosts.ts). Workflow/CI YAML must parse. */
export function parseShell(path: string, absPath: string | undefined, text: string): ParsedShell {
  const host = shellHost(path, text);
  try {
    const snippets = shellSnippets(host, text);
    return { kind: 'shell', path, absPath, text, eol: detectEol(text), lineStarts: computeLineStarts(text), host, snippets };
  } catch (e) {
    if (e instanceof HostYamlError) throw new ParseError(e.message, e.line, e.column);
    throw e;
  }
}

export function parseFile(kind: FileKind, path: string, absPath: string | undefined, text: string): ParsedFile {
  switch (kind) {
    case 'dockerfile':
      return parseDockerfile(path, absPath, text);
    case 'compose':
      return parseCompose(path, absPath, text);
    case 'source':
      return parseSource(path, absPath, text);
    case 'kubernetes':
      return parseKubernetes(path, absPath, text);
    case 'shell':
      return parseShell(path, absPath, text);
  }
}
