/**
 * The entry of a worker thread processing batches of a run (src/engine/workers.ts): the codemods (the registered
 * ones, or those of the module the API was given), the run's keep and back-off rules, then batches until the run ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serveWorker, type WorkerData } from './engine/workers.js';
import { backedOffIn, keepRule, type KeepData } from './project-rules.js';
import type { Codemod } from './engine/types.js';

/** `WorkerOptions.setup` of an API run. */
export interface ApiWorkerSetup extends KeepData {
  /** A module exporting `codemods` (URL); absent: the registered codemods. */
  codemodsModule?: string;
}

const data = workerData as WorkerData;
const setup = data.setup as ApiWorkerSetup;
const port = parentPort;
if (port) {
  try {
    const { codemods } = (await import(setup.codemodsModule ?? '../codemods/index.js')) as { codemods: readonly Codemod[] };
    serveWorker(port, data, {
      codemods,
      keep: keepRule(setup),
      backedOff: data.global.knowledge ? backedOffIn(data.global.knowledge) : undefined,
    });
  } catch (e) {
    port.postMessage({ type: 'fatal', message: e instanceof Error ? e.message : String(e) });
  }
}
