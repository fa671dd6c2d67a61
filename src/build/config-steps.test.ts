import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDockerfile } from './dockerfile.js';
import { applyConfigStep, type RunConfig } from './config-steps.js';
import { buildPlan } from './plan.js';
import { cacheKey } from './cache.js';

test('config steps as Docker writes them', async () => {
  const text = 'FROM busybox\nENV A=1 B="x y"\nENV C ${A}-z\nLABEL l=$A\nWORKDIR /app\nWORKDIR sub\nUSER nobody\nEXPOSE 80 53/udp\nVOLUME ["/data"]\nSTOPSIGNAL SIGINT\nSHELL ["/bin/bash", "-c"]\nCMD echo hi\nENTRYPOINT ["/e"]\nHEALTHCHECK NONE\nONBUILD RUN make\n';
  const plan = buildPlan(await parseDockerfile(text), { file: 'Dockerfile', buildArgs: new Map() });
  let c: RunConfig = { Env: ['PATH=/bin'] };
  const by: string[] = [];
  for (const s of plan.stages[0]!.steps) {
    const vars = new Map((c.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] as [string, string]));
    const r = applyConfigStep(c, s, vars, '\\');
    c = r.config;
    by.push(r.createdBy);
  }
  assert.deepEqual(c.Env, ['PATH=/bin', 'A=1', 'B=x y', 'C=1-z']);
  assert.deepEqual(c.Labels, { l: '1' });
  assert.equal(c.WorkingDir, '/app/sub');
  assert.equal(c.User, 'nobody');
  assert.deepEqual(c.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
  assert.deepEqual(c.Volumes, { '/data': {} });
  assert.equal(c.StopSignal, 'SIGINT');
  assert.deepEqual(c.Cmd, ['/bin/bash', '-c', 'echo hi'], 'the shell form uses SHELL');
  assert.deepEqual(c.Entrypoint, ['/e']);
  assert.deepEqual(c.Healthcheck, { Test: ['NONE'] });
  assert.deepEqual(c.OnBuild, ['RUN make']);
  assert.equal(by[0], 'ENV A=1 B=x y');
});

test('cache keys change with the parent, the instruction and the content digest', () => {
  const k = cacheKey('sha256:p', 'COPY a /b', ['sha256:c1']);
  assert.equal(k, cacheKey('sha256:p', 'COPY a /b', ['sha256:c1']));
  assert.notEqual(k, cacheKey('sha256:q', 'COPY a /b', ['sha256:c1']));
  assert.notEqual(k, cacheKey('sha256:p', 'COPY a /c', ['sha256:c1']));
  assert.notEqual(k, cacheKey('sha256:p', 'COPY a /b', ['sha256:c2']));
  assert.notEqual(cacheKey(undefined, 'RUN x'), cacheKey('sha256:p', 'RUN x'));
});
