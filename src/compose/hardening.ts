/**
 * What the runtime-hardening codemods need to know about a service, beyond its own keys, in four parts:
 * - ./hardening/views.ts: the image a service runs and its knowledge-base entry, mounts, ports, override files;
 * - ./hardening/lookups.ts: the lookups they ask and typed reads of the answers (image config, base image config);
 * - ./hardening/edits.ts: how they write settings (list additions through anchors, merged insertions);
 * - ./hardening/evidence.ts: src/evidence/ applied to a service (image config, entrypoint script, command, user).
 * What the image and the service need at run time (privilege drops, writes, ports) is read in src/evidence/.
 */
export * from './hardening/views.js';
export * from './hardening/lookups.js';
export * from './hardening/edits.js';
export * from './hardening/evidence.js';
