/**
 * Kubernetes manifests through the CLI (dist/): discovered in a directory walk next to a compose file and a workflow,
 * fixed in place with --write (a safe fix that needs no registry: the image is in the knowledge base), reported as SARIF, and left alone by a second run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hardenInProcess } from '../support/cli.js';
import { k8sProblems } from '../support/k8s-schema.js';
import { tmpTree } from '../support/tmp.js';

const DEPLOY = `# the API
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: { app: api }
  template:
    metadata:
      labels: { app: api }
    spec:
      containers:
        - name: api
          image: nginx:1.27
      volumes:
        - name: sock
          hostPath:
            path: /var/run/docker.sock
`;

describe('Kubernetes manifests through the CLI', () => {
  it('harden fix --write edits only the manifest, keeps its comments, validates, and a second run changes nothing', async () => {
    const root = tmpTree({
      'deploy/api.yaml': DEPLOY,
      'compose.yaml': 'services:\n  web:\n    image: nginx\n',
      '.github/workflows/ci.yml': 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n',
    });
    const r = await hardenInProcess(['fix', '--write', '--offline', '--only', 'k8s-no-privilege-escalation', '.'], { cwd: root });
    expect(r.code, r.stderr).toBe(0);
    const after = readFileSync(join(root, 'deploy/api.yaml'), 'utf8');
    expect(after).toBe(DEPLOY.replace('          image: nginx:1.27\n', '          image: nginx:1.27\n          securityContext:\n            allowPrivilegeEscalation: false\n'));
    expect(k8sProblems(after)).toEqual([]);
    expect(r.stderr).toMatch(/deploy\/api\.yaml:14:17 k8s-no-privilege-escalation .*allowPrivilegeEscalation: false/);
    expect(r.stderr).toMatch(/runAsNonRoot not added: which user it runs as is not known/);
    const again = await hardenInProcess(['fix', '--exit-code', '--offline', '--only', 'k8s-no-privilege-escalation', '.'], { cwd: root });
    expect(again.stdout).toBe('');
    expect(again.code).toBe(0);
  });

  it('harden check --format sarif reports a hostPath docker.sock at its line', async () => {
    const root = tmpTree({ 'api.yaml': DEPLOY });
    const r = await hardenInProcess(['check', '--offline', '--only', 'k8s-dangerous-options', '--format', 'sarif', '.'], { cwd: root });
    expect(r.code).toBe(1);
    const results = (JSON.parse(r.stdout) as { runs: { results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[] }).runs[0]?.results ?? [];
    expect(results.map((x) => [x.ruleId, x.locations[0]?.physicalLocation.artifactLocation.uri, x.locations[0]?.physicalLocation.region.startLine])).toEqual([
      ['k8s-dangerous-options', 'api.yaml', 19],
    ]);
  });
});
