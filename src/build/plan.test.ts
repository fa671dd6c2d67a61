import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDockerfile } from './dockerfile.js';
import { buildPlan, parseDuration } from './plan.js';

async function plan(text: string, target?: string, args: Record<string, string> = {}) {
  return buildPlan(await parseDockerfile(text), { file: 'Dockerfile', buildArgs: new Map(Object.entries(args)), ...(target ? { target } : {}) });
}

describe('the Dockerfile as a plan', () => {
  test('continuations, comments inside them, JSON forms with spaces and escapes', async () => {
    const p = await plan('FROM busybox\nRUN echo a \\\n# a comment\n  && echo b\nCMD ["echo", "two words", "\\u0041"]\n');
    const [run, cmd] = p.stages[0]!.steps;
    assert.equal(run!.kind, 'RUN');
    assert.match(run!.kind === 'RUN' && run!.command.form === 'shell' ? run!.command.text : '', /^echo a\s+&& echo b$/);
    assert.equal(run!.line, 2);
    assert.deepEqual(cmd!.kind === 'CMD' ? cmd!.command : undefined, { form: 'exec', argv: ['echo', 'two words', 'A'] });
  });
  test('the escape directive and heredocs', async () => {
    const p = await plan('# escape=`\nFROM busybox\nRUN echo a `\n  b\nRUN <<EOF\necho one\necho two\nEOF\nCOPY <<-"X" /f\n\thello $HOME\nX\n');
    assert.equal(p.escape, '`');
    const [, here, copy] = p.stages[0]!.steps;
    assert.equal(here!.kind === 'RUN' ? here!.heredocs[0]!.body : '', 'echo one\necho two\n');
    assert.equal(copy!.kind === 'COPY' ? copy!.heredocs[0]!.body : '', 'hello $HOME\n');
    assert.equal(copy!.kind === 'COPY' ? copy!.heredocs[0]!.expand : true, false);
    assert.deepEqual(copy!.kind === 'COPY' ? copy!.sources : [], ['<<X']);
  });
  test('stages: FROM <stage>, --from by name and index, meta ARGs in FROM', async () => {
    const p = await plan('ARG BASE=busybox\nFROM ${BASE} AS a\nRUN true\nFROM a AS b\nFROM busybox AS c\nCOPY --from=0 /x /x\nCOPY --from=b /y /y\nCOPY --from=alpine:3 /z /z\n');
    assert.equal(p.stages[0]!.image, 'busybox');
    assert.equal(p.stages[1]!.baseStage, 0);
    assert.deepEqual(p.stages[2]!.deps, [0, 1]);
    const steps = p.stages[2]!.steps;
    assert.deepEqual(steps.map((s) => (s.kind === 'COPY' ? s.from : undefined)), [{ stage: 0 }, { stage: 1 }, { image: 'alpine:3' }]);
    assert.deepEqual(p.order, [0, 1, 2]);
    assert.equal((await plan('ARG BASE=busybox\nFROM $BASE\n', undefined, { BASE: 'alpine' })).stages[0]!.image, 'alpine');
  });
  test('--target builds only the stages it needs', async () => {
    const p = await plan('FROM busybox AS a\nFROM busybox AS b\nFROM busybox AS c\nCOPY --from=a / /\nFROM busybox\n', 'c');
    assert.deepEqual(p.order, [0, 2]);
    await assert.rejects(plan('FROM busybox AS a\n', 'nope'), /Dockerfile:1: target stage "nope" could not be found/);
  });
  test('bad input names the line', async () => {
    await assert.rejects(plan('FROM busybox\nFROBNICATE x\n'), /^MobyDickError: Dockerfile:2: unknown instruction: FROBNICATE/);
    await assert.rejects(plan('RUN true\n'), /Dockerfile:1: no build stage in current context/);
    await assert.rejects(plan('# nothing\n'), /the Dockerfile has no FROM/);
    await assert.rejects(plan('FROM busybox\nCOPY --mode=1 a b\n'), /Dockerfile:2: unknown flag: --mode for COPY/);
    await assert.rejects(plan('FROM busybox\nCOPY a\n'), /Dockerfile:2: COPY requires at least two arguments/);
    await assert.rejects(plan('FROM busybox\nONBUILD FROM x\n'), /Dockerfile:2: FROM isn't allowed as an ONBUILD trigger/);
    await assert.rejects(plan('FROM busybox\nSHELL /bin/bash\n'), /SHELL requires the arguments to be in JSON form/);
  });
  test('HEALTHCHECK options in nanoseconds', async () => {
    const p = await plan('FROM busybox\nHEALTHCHECK --interval=1m30s --retries=2 CMD wget -q localhost\n');
    const h = p.stages[0]!.steps[0]!;
    assert.deepEqual(h.kind === 'HEALTHCHECK' ? [h.test, h.options] : [], [['CMD-SHELL', 'wget -q localhost'], { interval: 90e9, retries: 2 }]);
    assert.equal(parseDuration('500ms'), 5e8);
    assert.equal(parseDuration('5x'), undefined);
  });
});
