/**
 * Batches in worker threads, with the results of one thread.
 *
 * This thread (the host) keeps everything that is decided once per run: discovery and the pre-pass (run indexes,
 * shared files) were done before, the codemods of each file are chosen here, every file is read here, and every lookup
 * is answered here, by the run's one resolver (so registry requests stay one per unique reference, and there is one
 * cache). Workers parse and process whole batches: batch i goes to worker i mod jobs. A worker asks the host for the
 * answers its files need (it sends lookup keys and gets answers: no resolver settings, registry credentials or tokens
 * reach a worker) and posts each file's result as soon as it is made; the host emits results in batch order, so
 * output, SARIF, JSON and `onResult` callbacks see exactly the order of a one-thread run.
 *
 * What later batches see of earlier ones (`keep`) is decided on each file's parse: a worker says which of its batch's
 * files are kept right after parsing them, and batch i is only sent once every earlier batch has said so (kept files
 * are sent to the other workers as text, and parsed there).
 *
 * A worker that dies (a crash, memory exhausted) fails only the file it was processing, with an error naming the
 * cause; a new worker takes the rest of its batches.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { failedResult, loadFor, parseLoaded, processBatch, type FileRef, type LoadedFile, type PrePass, type ProjectFile, type RunProjectOptions } from './project.js';
import { AnswerStore, dedupeKeys } from './lookups.js';
import { SecretValue } from './redacted.js';
import { BOM } from './text.js';
import { checkOptions } from './options.js';
import type { EnabledCodemod, FileResult } from './run.js';
import type { Answer, Codemod, GlobalSettings, LookupKey, ParsedFile, RunIndex } from './types.js';

export interface WorkerOptions {
  /** Worker threads to start (at most one per batch). */
  jobs: number;
  /** The worker's entry module: it calls `serveWorker` (see `entryBeside`). */
  entry: URL;
  /** A module whose `register()` is called before the entry is imported (the TypeScript loader, for a .ts entry). */
  loader?: string;
  /**
   * Plain data the entry builds its side of the run from (`WorkerSide`: codemods by id, `keep`, `backedOff`); it is
   * copied to each worker, so it holds no secrets.
   */
  setup: unknown;
}

/**
 * The worker entry `name` (without extension) next to the module at `moduleUrl`, with the extension of that module:
 * `.js` when running from dist/, `.ts` under a TypeScript loader (then the worker gets the tsx loader too).
 */
export function entryBeside(moduleUrl: string, name: string): Pick<WorkerOptions, 'entry' | 'loader'> {
  const ts = /\.[cm]?ts$/.test(new URL(moduleUrl).pathname);
  const entry = new URL(`./${name}.${ts ? 'ts' : 'js'}`, moduleUrl);
  if (!ts) return { entry };
  // tsx's ESM API (its `register()` installs the loader in the thread that calls it).
  const tsx = dirname(createRequire(moduleUrl).resolve('tsx/package.json'));
  return { entry, loader: pathToFileURL(join(tsx, 'dist/esm/api/index.mjs')).href };
}

/**
 * A worker running `w.entry`. With a loader, a small script registers it first, then imports the entry (on Node 20
 * a worker's inherited `--import tsx` does not apply to its entry module).
 */
function newWorker(w: WorkerOptions, data: WorkerData): Worker {
  const options = { workerData: data, stdout: false, stderr: false };
  if (!w.loader) return new Worker(w.entry, options);
  const boot = `import(${JSON.stringify(w.loader)}).then((m) => { m.register(); return import(${JSON.stringify(w.entry.href)}); })`;
  return new Worker(boot, { ...options, eval: true, execArgv: [] });
}

// ---- messages ---------------------------------------------------------------------------------------------------

/** A file's text with what names it. */
interface WireText {
  ref: FileRef;
  text: string;
  bom: boolean;
}

interface WireFile extends WireText {
  /** Its place in its batch as the host made it. */
  index: number;
  codemods: { id: string; options: Readonly<Record<string, unknown>>; severity?: EnabledCodemod['severity'] }[];
}

/** A kept file of an earlier batch, in batch order; `seq`/`index` let the worker that parsed it reuse its parse. */
interface WireKept extends WireText {
  seq: number;
  index: number;
}

export interface WorkerData {
  setup: unknown;
  allowed: RunProjectOptions['allowed'];
  applyFixes: boolean;
  global: GlobalSettings;
  knownIds?: readonly string[];
  /** Run index id → entries. */
  entries: [string, unknown[]][];
  shared: WireText[];
  context: WireText[];
}

type ToWorker =
  /** `careful`: say which file is being parsed or processed, and post each result at once (after a worker died). */
  | { type: 'batch'; seq: number; files: WireFile[]; kept: WireKept[]; careful: boolean }
  | { type: 'answers'; id: number; answers: (Answer | undefined)[] }
  | { type: 'answers'; id: number; error: string };

type FromWorker =
  | { type: 'ready' }
  | { type: 'kept'; seq: number; indices: number[] }
  | { type: 'at'; seq: number; index: number }
  | { type: 'result'; seq: number; index: number; result: unknown }
  /** The batch's results (those not posted one by one), in the order made. */
  | { type: 'done'; seq: number; results: [number, unknown][] }
  | { type: 'resolve'; id: number; keys: LookupKey[] }
  | { type: 'fatal'; message: string };

const SECRET = '$hardenSecretValue';

/**
 * A result as a worker message: a copy in which secret values (`SecretValue`, which a plain copy would empty) are
 * marked, to be made again by `fromWire`. A fix's secrets travel because `--write` needs them; nothing else is added.
 */
export function toWire(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof SecretValue) return { [SECRET]: v.reveal() };
  if (Array.isArray(v)) return v.map(toWire);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = toWire((v as Record<string, unknown>)[k]);
  return out;
}

export function fromWire(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = fromWire(v[i]);
    return v;
  }
  const o = v as Record<string, unknown>;
  if (typeof o[SECRET] === 'string' && Object.keys(o).length === 1) return new SecretValue(o[SECRET]);
  for (const k of Object.keys(o)) o[k] = fromWire(o[k]);
  return o;
}

/**
 * A result as posted by a worker: its texts are left out when the host has them (the text read, and the same text
 * when nothing changed), each replaced by 0 so that the result keeps its shape.
 */
function resultToWire(r: FileResult): unknown {
  return toWire({ ...r, before: 0, after: r.after === r.before ? 0 : r.after });
}

function resultFromWire(v: unknown, f: WireText): FileResult {
  const r = fromWire(v) as Omit<FileResult, 'before' | 'after'> & { before: string | 0; after: string | 0 };
  const before = (f.bom ? BOM : '') + f.text;
  r.before = before;
  if (r.after === 0) r.after = before;
  return r as FileResult;
}

const wireText = (p: { path: string; absPath: string | undefined; kind: ParsedFile['kind']; role?: ParsedFile['role']; text: string }, bom = false): WireText => ({
  ref: { path: p.path, absPath: p.absPath, kind: p.kind, ...(p.role ? { role: p.role } : {}) },
  text: p.text,
  bom,
});

// ---- host -------------------------------------------------------------------------------------------------------

interface BatchState {
  seq: number;
  files: WireFile[];
  /** Indices (WireFile.index) with a result. */
  done: Set<number>;
  /** The file being parsed or processed (careful batches only). */
  at?: number;
  /** Sent again after a worker died while on it: its worker says which file it is on. */
  careful: boolean;
  kept?: number[];
  finished: boolean;
  buffer: FileResult[];
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** Batches sent to it and not finished, in order. */
  batches: BatchState[];
  /** Kept files of batches before this one were sent to it. */
  keptUpTo: number;
}

/**
 * Process `order` (the batches of runProject) in worker threads. `emit` gets every result in the order one thread
 * makes them; `problem` each file that cannot be read.
 */
export async function runInWorkers(
  order: readonly (readonly ProjectFile[])[],
  pre: PrePass,
  opts: RunProjectOptions,
  w: WorkerOptions,
  emit: (r: FileResult) => Promise<void>,
  problem: (f: ProjectFile, message: string) => void,
): Promise<void> {
  const jobs = Math.max(1, Math.min(w.jobs, order.length));
  const data: WorkerData = {
    setup: w.setup,
    allowed: opts.allowed,
    applyFixes: opts.applyFixes,
    global: opts.global,
    knownIds: opts.knownIds,
    entries: [...pre.entries].map(([ix, list]) => [ix.id, list]),
    shared: pre.shared.map((p) => wireText(p)),
    context: (opts.context ?? []).map((p) => wireText(p)),
  };
  const states: BatchState[] = [];
  let failure: unknown;
  let wake: () => void = () => {};
  const changed = () => wake();
  const fail = (e: unknown) => {
    failure ??= e;
    changed();
  };

  // Results in batch order: the head batch's results go out as they come, later batches' wait in their buffer.
  let head = 0;
  let emitting: Promise<void> = Promise.resolve();
  const out = (r: FileResult) => {
    emitting = emitting.then(() => (failure === undefined ? emit(r) : undefined)).catch(fail);
  };
  const advance = () => {
    while (head < states.length && states[head]?.finished) {
      head++;
      const next = states[head];
      if (next) for (const r of next.buffer.splice(0)) out(r);
    }
  };
  const deliver = (b: BatchState, r: FileResult) => {
    if (b.seq === head) out(r);
    else b.buffer.push(r);
  };

  // Lookups: one resolve at a time (as in one thread), keys asked meanwhile by any worker go together into the next.
  let asking: { keys: LookupKey[]; done: (e?: unknown) => void }[] = [];
  let resolving = false;
  const pump = async () => {
    if (resolving) return;
    resolving = true;
    while (asking.length > 0) {
      const group = asking;
      asking = [];
      const keys = dedupeKeys(group.flatMap((g) => g.keys)).filter((k) => opts.answers.get(k) === undefined);
      let error: unknown;
      try {
        if (keys.length > 0) await opts.resolve(keys);
      } catch (e) {
        error = e ?? new Error('lookup failed');
      }
      for (const g of group) g.done(error);
    }
    resolving = false;
  };
  const ask = (keys: LookupKey[]) =>
    new Promise<void>((resolve, reject) => {
      asking.push({ keys, done: (e) => (e === undefined ? resolve() : reject(e)) });
      void pump();
    });

  const slots: Slot[] = [];
  let closing = false;
  const start = (i: number): Slot => {
    const worker = newWorker(w, data);
    const slot: Slot = { worker, ready: false, batches: [], keptUpTo: 0 };
    let gone = false;
    const lost = (why: string) => {
      if (gone || closing) return;
      gone = true;
      if (slots[i] === slot) onLost(i, slot, why);
    };
    worker.on('message', (m: FromWorker) => onMessage(slot, m));
    worker.on('error', (e) => lost(e instanceof Error ? `${e.name}: ${e.message}` : String(e)));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    slots[i] = slot;
    return slot;
  };

  const onMessage = (slot: Slot, m: FromWorker) => {
    if (m.type === 'ready') {
      slot.ready = true;
      return;
    }
    if (m.type === 'fatal') return fail(new Error(`a worker thread failed: ${m.message}`));
    if (m.type === 'resolve') {
      ask(m.keys).then(
        () => slot.worker.postMessage({ type: 'answers', id: m.id, answers: m.keys.map((k) => opts.answers.get(k)) } satisfies ToWorker),
        (e: unknown) => {
          fail(e);
          slot.worker.postMessage({ type: 'answers', id: m.id, error: e instanceof Error ? e.message : String(e) } satisfies ToWorker);
        },
      );
      return;
    }
    const b = states[m.seq];
    if (!b) return;
    if (m.type === 'kept') b.kept ??= m.indices;
    else if (m.type === 'at') b.at = m.index;
    else if (m.type === 'result') {
      b.done.add(m.index);
      deliver(b, resultFromWire(m.result, b.files.find((f) => f.index === m.index) as WireFile));
    } else if (m.type === 'done') {
      for (const [index, r] of m.results) {
        b.done.add(index);
        deliver(b, resultFromWire(r, b.files.find((f) => f.index === index) as WireFile));
      }
      b.finished = true;
      slot.batches = slot.batches.filter((x) => x !== b);
      // Only the kept files' texts are needed any more (for workers that have not seen them yet).
      b.files = b.files.filter((f) => b.kept?.includes(f.index));
      advance();
    }
    changed();
  };

  /** A worker died: the file it was on fails, the rest of its batches go to a new worker. */
  const onLost = (i: number, slot: Slot, why: string) => {
    if (!slot.ready) return fail(new Error(`a worker thread stopped before it started (${why})`));
    const pending = slot.batches;
    const next = start(i);
    for (const [n, b] of pending.entries()) {
      // The batch it was on is sent again, carefully; if it was already, the file it was on fails (a crash before its
      // first file is blamed on that file).
      const blamed = n === 0 && b.careful ? [b.at, ...b.files.map((x) => x.index)].find((x) => x !== undefined && !b.done.has(x)) : undefined;
      if (n === 0) b.careful = true;
      if (blamed !== undefined) {
        const f = b.files.find((x) => x.index === blamed) as WireFile;
        b.done.add(f.index);
        deliver(b, failedResult(f.ref, f, { message: `internal error while processing this file: the worker thread processing it stopped (${why}); the file was left unchanged` }));
      }
      b.at = undefined;
      send(next, b, b.files.filter((f) => !b.done.has(f.index)));
    }
    changed();
  };

  const send = (slot: Slot, b: BatchState, files: WireFile[]) => {
    const kept: WireKept[] = [];
    for (let s = slot.keptUpTo; s < b.seq; s++) {
      const st = states[s] as BatchState;
      for (const idx of st.kept ?? []) {
        const f = st.files.find((x) => x.index === idx) as WireFile;
        kept.push({ ref: f.ref, text: f.text, bom: f.bom, seq: s, index: idx });
      }
    }
    slot.keptUpTo = b.seq;
    slot.batches.push(b);
    slot.worker.postMessage({ type: 'batch', seq: b.seq, files, kept, careful: b.careful } satisfies ToWorker);
  };

  const until = async (ok: () => boolean) => {
    while (!ok() && failure === undefined) await new Promise<void>((r) => (wake = r));
  };

  try {
    for (let i = 0; i < jobs; i++) start(i);
    for (const [seq, batch] of order.entries()) {
      const slot = () => slots[seq % jobs] as Slot;
      // Every earlier batch has said which of its files are kept; at most two batches waiting per worker.
      await until(() => states.every((s) => s.kept !== undefined || s.finished) && slot().batches.length < 2);
      if (failure !== undefined) break;
      const files: WireFile[] = [];
      for (const file of batch) {
        const t = pre_(file) ?? (await loadFor(pre, file));
        if ('problem' in t) {
          problem(file, t.problem);
          continue;
        }
        const enabled = await opts.codemodsFor(file);
        // Options the codemod's schema does not allow fail the run here, as in one thread (before any file of the batch).
        for (const e of enabled) checkOptions(e.codemod, e.options);
        const codemods = enabled.map((e) => ({ id: e.codemod.id, options: e.options, ...(e.severity ? { severity: e.severity } : {}) }));
        files.push({ ref: { path: file.path, absPath: file.absPath, kind: file.kind, ...(file.role ? { role: file.role } : {}), ...(file.composeVersion ? { composeVersion: file.composeVersion } : {}) }, text: t.text, bom: t.bom, index: files.length, codemods });
      }
      const b: BatchState = { seq, files, done: new Set(), careful: false, finished: false, buffer: [] };
      states.push(b);
      if (files.length === 0) {
        b.kept = [];
        b.finished = true;
        advance();
        continue;
      }
      send(slot(), b, files);
    }
    await until(() => states.every((s) => s.finished));
    await emitting;
  } finally {
    closing = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
  if (failure !== undefined) throw failure;

  function pre_(file: ProjectFile): { text: string; bom: boolean } | undefined {
    const e = pre.early.get(file);
    pre.early.delete(file);
    return e && { text: e.text, bom: e.bom };
  }
}

// ---- worker -----------------------------------------------------------------------------------------------------

/** What the worker entry provides: built from `WorkerOptions.setup`. */
export interface WorkerSide {
  /** The codemods the host may name, by id. */
  codemods: readonly Codemod[];
  keep?: RunProjectOptions['keep'];
  backedOff?: RunProjectOptions['backedOff'];
}

interface Port {
  postMessage(m: FromWorker): void;
  on(event: 'message', cb: (m: ToWorker) => void): void;
}

/** The worker's side of the run: process the batches the host sends, asking it for answers. */
export function serveWorker(port: Port, data: WorkerData, side: WorkerSide): void {
  const byId = new Map(side.codemods.map((c) => [c.id, c] as const));
  const indexes = new Map<string, RunIndex<unknown>>();
  for (const c of side.codemods) for (const ix of c.runIndexes ?? []) indexes.set(ix.id, ix);
  const entries = new Map(data.entries);
  const indexed = <T>(ix: RunIndex<T>): readonly T[] => (entries.get(ix.id) ?? []) as T[];
  const parseAll = (list: readonly WireText[]) => list.flatMap((t) => {
    const p = parseLoaded(t.ref, t);
    return 'parsed' in p ? [p.parsed] : [];
  });
  const shared = parseAll(data.shared);
  const isShared = new Set(shared);
  const context = parseAll(data.context);
  const kept: ParsedFile[] = [];
  /** This worker's own kept parses, until the host names them in a batch's kept files. */
  const ownKept = new Map<string, ParsedFile>();
  const prepared = new Set<Codemod>();

  const answers = new AnswerStore();
  const waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void; keys: LookupKey[] }>();
  let nextId = 0;
  const resolve = (keys: readonly LookupKey[]): Promise<void> =>
    new Promise<void>((res, rej) => {
      const id = nextId++;
      waiting.set(id, { resolve: res, reject: rej, keys: [...keys] });
      port.postMessage({ type: 'resolve', id, keys: [...keys] });
    });

  const batch = async (m: Extract<ToWorker, { type: 'batch' }>) => {
    for (const k of m.kept) {
      const own = ownKept.get(`${k.seq}:${k.index}`);
      ownKept.delete(`${k.seq}:${k.index}`);
      const p = own ?? parseAll([k])[0];
      if (p) kept.push(p);
    }
    const at = m.careful ? (index: number) => port.postMessage({ type: 'at', seq: m.seq, index }) : () => {};
    const results: [number, unknown][] = [];
    const post = m.careful
      ? (index: number, r: FileResult) => port.postMessage({ type: 'result', seq: m.seq, index, result: resultToWire(r) })
      : (index: number, r: FileResult) => void results.push([index, resultToWire(r)]);
    const loaded: (LoadedFile & { index: number })[] = [];
    for (const f of m.files) {
      at(f.index);
      const p = parseLoaded(f.ref, f);
      if ('failed' in p) {
        post(f.index, p.failed);
        continue;
      }
      const codemods: EnabledCodemod[] = f.codemods.map((c) => {
        const codemod = byId.get(c.id);
        if (!codemod) throw new Error(`no codemod '${c.id}' in this worker`);
        return { codemod, options: c.options, ...(c.severity ? { severity: c.severity } : {}) };
      });
      loaded.push({ file: f.ref, text: f.text, bom: f.bom, parsed: p.parsed, codemods, index: f.index });
    }
    const keptHere = side.keep ? loaded.filter((l) => side.keep?.(l.parsed) && !isShared.has(l.parsed)) : [];
    for (const l of keptHere) ownKept.set(`${m.seq}:${l.index}`, l.parsed);
    port.postMessage({ type: 'kept', seq: m.seq, indices: keptHere.map((l) => l.index) });
    let i = 0;
    await processBatch(
      loaded,
      {
        allowed: data.allowed,
        applyFixes: data.applyFixes,
        global: data.global,
        knownIds: data.knownIds,
        backedOff: side.backedOff,
        answers,
        resolve,
        prepared,
        visibleToo: [...kept, ...shared, ...context],
        indexed,
        onStart: (n) => at((loaded[n] as LoadedFile & { index: number }).index),
      },
      async (r) => {
        // processBatch emits one result per loaded file, in order.
        post((loaded[i++] as LoadedFile & { index: number }).index, r);
      },
    );
    port.postMessage({ type: 'done', seq: m.seq, results });
  };

  let queue: Promise<void> = Promise.resolve();
  port.on('message', (m) => {
    if (m.type === 'answers') {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (!w) return;
      if ('error' in m) return w.reject(new Error(m.error));
      w.keys.forEach((k, n) => {
        const a = m.answers[n];
        if (a !== undefined) answers.set(k, a);
      });
      w.resolve();
      return;
    }
    queue = queue.then(() => batch(m)).catch((e: unknown) => {
      port.postMessage({ type: 'fatal', message: e instanceof Error ? e.message : String(e) });
    });
  });
  port.postMessage({ type: 'ready' });
}
