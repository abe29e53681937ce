/** Which YAML files are Kubernetes manifests: workloads by content, kustomization.yaml by name, Helm values beside a Chart.yaml. */
import { describe, expect, it } from 'vitest';
import { discover, kindFromContent, kindFromName } from '../../src/engine/discover.js';
import { isKubernetesManifest } from '../../src/engine/kubernetes-kind.js';
import { parseFile } from '../../src/engine/parse.js';
import { tmpTree } from '../support/tmp.js';

const DEPLOYMENT = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.25\n';

describe('isKubernetesManifest', () => {
  it.each([
    ['a Deployment', DEPLOYMENT, true],
    ['a CronJob with a quoted kind and CRLF', 'apiVersion: batch/v1\r\nkind: "CronJob"\r\nspec: {}\r\n', true],
    ['a Service then a StatefulSet', 'apiVersion: v1\nkind: Service\n---\napiVersion: apps/v1\nkind: StatefulSet # db\n', true],
    ['only a Service and a ConfigMap', 'apiVersion: v1\nkind: Service\n---\napiVersion: v1\nkind: ConfigMap\n', false],
    ['apiVersion in one document, kind in another', 'apiVersion: v1\nkind: Service\n---\nkind: Pod\n', false],
    ['a Helm template', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n', false],
    ['a compose file', 'services:\n  web:\n    image: nginx\n', false],
    ['a GitHub workflow', 'on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: kind: Pod\n', false],
    ['an indented kind (not the top level)', 'apiVersion: v1\nitems:\n  - kind: Pod\n', false],
  ])('%s → %s', (_name, text, expected) => expect(isKubernetesManifest(text)).toBe(expected));
});

describe('discovery of Kubernetes files', () => {
  it('finds manifests by content, kustomization.yaml by name and values.yaml only beside a Chart.yaml; leaves other YAML alone', async () => {
    const root = tmpTree({
      'k8s/deploy.yaml': DEPLOYMENT,
      'k8s/service.yml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n',
      'k8s/kustomization.yaml': 'resources:\n  - deploy.yaml\n',
      'chart/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 1.0.0\n',
      'chart/values.yaml': 'image:\n  repository: nginx\n  tag: "1.25"\n',
      'chart/templates/deployment.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n',
      'other/values.yaml': 'image:\n  repository: nginx\n',
      '.github/workflows/ci.yml': 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: [{ run: echo }]\n',
      'compose.yaml': 'services:\n  web:\n    image: nginx\n',
      'stack.yml': 'services:\n  web:\n    image: nginx\n',
      'config.yaml': 'kind: Deployment\n',
    });
    const r = await discover({ paths: ['.'], cwd: root });
    expect(r.files.map((f) => [f.path, f.kind])).toEqual([
      ['chart/values.yaml', 'kubernetes'],
      ['compose.yaml', 'compose'],
      ['k8s/deploy.yaml', 'kubernetes'],
      ['k8s/kustomization.yaml', 'kubernetes'],
    ]);
    expect(r.problems).toEqual([]);
  });

  it('names: kustomization.yaml is Kubernetes, values.yaml says nothing by itself; content: a manifest named explicitly', () => {
    expect(kindFromName('overlays/prod/kustomization.yml')).toBe('kubernetes');
    expect(kindFromName('values.yaml')).toBeUndefined();
    expect(kindFromContent(DEPLOYMENT)).toBe('kubernetes');
  });

  it('an explicitly named manifest with an odd name is Kubernetes; --kind kubernetes forces it', async () => {
    const root = tmpTree({ 'app.manifest': DEPLOYMENT, 'pod.yml': 'apiVersion: v1\nkind: Pod\nspec: {}\n', 'x.txt': 'a: 1\n' });
    const r = await discover({ paths: ['app.manifest', 'pod.yml'], cwd: root });
    expect(r.files.map((f) => [f.path, f.kind])).toEqual([['app.manifest', 'kubernetes'], ['pod.yml', 'kubernetes']]);
    const forced = await discover({ paths: ['x.txt'], cwd: root, kind: 'kubernetes' });
    expect(forced.files[0]?.kind).toBe('kubernetes');
  });
});

describe('parsing Kubernetes files', () => {
  it('keeps every document, empty ones included; a document that is not a mapping is an error', () => {
    const f = parseFile('kubernetes', 'a.yaml', undefined, `---\n${DEPLOYMENT}---\n---\napiVersion: v1\nkind: Service\n`);
    expect(f.kind).toBe('kubernetes');
    if (f.kind !== 'kubernetes') return;
    expect(f.docs.length).toBe(3); // a leading `---` opens the first document
    expect(() => parseFile('kubernetes', 'b.yaml', undefined, 'apiVersion: v1\n---\n- a\n')).toThrow(/not a Kubernetes manifest/);
    expect(() => parseFile('kubernetes', 'c.yaml', undefined, 'a: [\n')).toThrow(/invalid YAML/);
  });
});
