/** Every Kubernetes manifest of the fixtures (inputs and outputs) validates against the Kubernetes OpenAPI schemas. */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadCases, type FixtureCase } from '../support/fixtures.js';
import { k8sProblems } from '../support/k8s-schema.js';
import { kubernetesRole, kustomizeFiles } from '../../src/kubernetes/images.js';
import { parseKubernetes } from '../../src/engine/parse.js';

/** A kustomization patch is partial by design (no selector, no template labels): it is not a whole object. */
const isPatch = (c: FixtureCase): boolean =>
  c.project.some((p) => {
    const k = parseKubernetes(p.name, join(c.dir, p.name), p.text);
    return kubernetesRole(k) === 'kustomization' && kustomizeFiles(k).patches.includes(join(c.dir, c.inputName));
  });
const manifests = loadCases().filter((c) => c.kind === 'kubernetes' && kubernetesRole(parseKubernetes(c.inputName, undefined, c.input)) === 'manifest' && !isPatch(c));

describe('Kubernetes fixtures validate against the Kubernetes schemas', () => {
  it('there are manifest fixtures to check', () => expect(manifests.length).toBeGreaterThan(5));
  for (const c of manifests) {
    it(`${c.codemodId}/${c.name}`, () => {
      expect(k8sProblems(c.input), 'input').toEqual([]);
      if (c.output !== undefined) expect(k8sProblems(c.output), 'output').toEqual([]);
    });
  }
  it('the validator rejects what the API server would', () => {
    const base = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: a }\nspec:\n  selector: { matchLabels: { a: b } }\n  template:\n    spec:\n      containers:\n        - name: a\n          image: x\n';
    expect(k8sProblems(base)).toEqual([]);
    expect(k8sProblems(`${base}          securityContext: { runAsNonRoot: "yes" }\n`).join()).toMatch(/runAsNonRoot must be boolean/);
    expect(k8sProblems(`${base}          securityContext: { readOnly: true }\n`)).toEqual(['a securityContext: unknown field readOnly']);
    expect(k8sProblems(`${base}          resources: { limits: { memory: 512MB } }\n`).join()).toMatch(/memory/);
  });
});
