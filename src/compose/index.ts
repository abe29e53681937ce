/** The compose editing layer: services (with merge keys and extends), scalars, insertions, interpolation. */
export * from './insert.js';
export * from './scalars.js';
export * from './services.js';
export * from './vars.js';
export * from './secret-names.js';
export * from './walk.js';
