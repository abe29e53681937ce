// A linear duplicate-key check for the `yaml` package in the bundle in dist/vendor (scripts/vendor-deps.mjs puts it in
// place of yaml's compose/util-map-includes.js while bundling; node_modules and the tests' imports keep the library).
//
// yaml checks each key of a mapping against every key before it (`mapIncludes`, called by resolve-block-map.js and
// resolve-flow-collection.js before each pair is added): quadratic in a mapping's size, 12.5 million comparisons for a
// compose file of 5,000 services. This module answers the same question from an index of the keys already checked,
// kept per `items` array, which the composer only ever appends to: a key is a duplicate when it is one of the keys
// before it, or when both are scalars with the same value (`===`: so NaN repeats nothing), as in the library. Short
// mappings (the common case) are scanned, as the library does, without an index; a custom `uniqueKeys` function and
// `uniqueKeys: false` take the library's path. An index whose array changed other than by appending is rebuilt.
//
// It replaces only the file it was checked against (SHA-256 of yaml 2.9.1's util-map-includes.js); another version is
// bundled as it is, and test/engine/yaml-unique-keys.test.ts fails until the new source is reviewed and its hash
// entered here.
import { createHash } from 'node:crypto';

/** The file replaced: path inside the yaml package, and the SHA-256 of the content it was checked against. */
export const YAML_UNIQUE_KEYS = {
  file: 'dist/compose/util-map-includes.js',
  sha256: '0330dc34072cb499493176b293228631ca8ebaaaddcdc0e63b02bf24f6a25c2d',
};

/** Below this many keys a mapping is scanned. */
export const SCAN_BELOW = 8;

/** The module put in its place (CommonJS, like the rest of yaml's dist). */
export const UNIQUE_KEYS_SOURCE = `'use strict';
// harden's bundle (scripts/yaml-unique-keys.mjs): the library's duplicate-key check, linear per mapping.
var identity = require('../nodes/identity.js');

const indexes = new WeakMap();
function mapIncludes(ctx, items, search) {
    const { uniqueKeys } = ctx.options;
    if (uniqueKeys === false)
        return false;
    if (typeof uniqueKeys === 'function')
        return items.some(pair => uniqueKeys(pair.key, search));
    const scalar = identity.isScalar(search);
    if (items.length < ${SCAN_BELOW}) {
        for (let i = 0; i < items.length; i++) {
            const key = items[i].key;
            if (key === search || (scalar && identity.isScalar(key) && key.value === search.value))
                return true;
        }
        return false;
    }
    let index = indexes.get(items);
    if (index === undefined || index.count > items.length || (index.count > 0 && items[index.count - 1].key !== index.last)) {
        index = { count: 0, last: undefined, keys: new Set(), values: new Set() };
        indexes.set(items, index);
    }
    for (let i = index.count; i < items.length; i++) {
        const key = items[i].key;
        // A Set finds NaN again, === does not: NaN is left out of both sets.
        if (!Number.isNaN(key))
            index.keys.add(key);
        if (identity.isScalar(key) && !Number.isNaN(key.value))
            index.values.add(key.value);
        index.last = key;
    }
    index.count = items.length;
    if (!Number.isNaN(search) && index.keys.has(search))
        return true;
    return scalar && !Number.isNaN(search.value) && index.values.has(search.value);
}

exports.mapIncludes = mapIncludes;
`;

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/** The module for util-map-includes.js, or the reason the library's stays. */
export function uniqueKeysFor(text) {
  if (text === undefined) return { reason: `yaml's ${YAML_UNIQUE_KEYS.file} not found` };
  if (sha256(text) !== YAML_UNIQUE_KEYS.sha256) return { reason: `yaml's ${YAML_UNIQUE_KEYS.file} is not the version the linear check was written for (sha256 ${sha256(text)})` };
  return { source: UNIQUE_KEYS_SOURCE };
}
