/** The `docker run` model: flags with their arity, the image and the command, wrappers and global options. */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseShell } from '../../src/engine/parse.js';
import { dockerBuilds, dockerRuns } from '../../src/dockerrun/model.js';
import { loadShell } from '../../src/shell/index.js';

beforeAll(() => loadShell());

const runs = (text: string, path = 'run.sh') => dockerRuns(parseShell(path, '/x/' + path, text));
const first = (text: string) => {
  const r = runs(text)[0];
  if (!r || !('run' in r)) throw new Error(`no run in ${text}: ${JSON.stringify(r && 'unknown' in r ? r.unknown : r)}`);
  return r.run;
};

describe('docker run model', () => {
  it('reads flags in order with their values, combined short flags, attached values, the image and the command', () => {
    const run = first('docker run -it --rm -p8080:80 -e A=1 --env=B=2 --name web -v "$PWD:/src" --read-only nginx:1.27 nginx -g "daemon off;"');
    expect(run.flags.map((f) => [f.name, f.value?.text ?? null])).toEqual([
      ['interactive', null], ['tty', null], ['rm', null], ['publish', '8080:80'], ['env', 'A=1'], ['env', 'B=2'], ['name', 'web'],
      ['volume', null], ['read-only', null],
    ]);
    expect(run.image.text).toBe('nginx:1.27');
    expect(run.args.map((a) => a.text)).toEqual(['nginx', '-g', 'daemon off;']);
  });

  it('looks through sudo/exec, global options, `container run` and podman; `--` ends the flags', () => {
    expect(first('sudo -E docker --context prod container run -d redis:7').image.text).toBe('redis:7');
    expect(first('exec podman --remote run --rm -- alpine:3 true').image.text).toBe('alpine:3');
    expect(first('docker -H tcp://h:2376 run -dp 80:80 nginx').flags.map((f) => f.name)).toEqual(['detach', 'publish']);
  });

  it('an unknown flag makes the command unknown (never a misplaced image); other docker commands are not runs', () => {
    const r = runs('docker run --frobnicate x alpine:3\ndocker ps\ndocker build -t a .\necho docker run');
    expect(r).toHaveLength(1);
    expect(r[0] && 'unknown' in r[0] ? r[0].unknown : '').toContain('--frobnicate');
  });

  it('reads a line the error-tolerant grammar would swallow into the line before (`cd <repo-root>`)', () => {
    const f = parseShell('README.md', '/x/README.md', '```bash\ncd <repo-root>\ndocker build -f d/Dockerfile -t app:local .\ndocker run --rm app:local\n```\n');
    expect(dockerBuilds(f)).toEqual([{ tags: ['app:local'], dockerfile: 'd/Dockerfile', context: '.', args: new Map() }]);
    expect(dockerRuns(f).map((r) => ('run' in r ? r.run.image.text : r.unknown))).toEqual(['app:local']);
  });
});
