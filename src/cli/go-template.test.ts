import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MobyDickError } from '../errors.js';
import { checkRowsFormat, GoObject, formatRows, formatterRow, inspectOutput, inspectResult, parseFormat, renderTemplate, validateFormat } from './go-template.js';

const HEADERS = { ID: 'CONTAINER ID', Names: 'NAMES', Image: 'IMAGE', Status: 'STATUS', Ports: 'PORTS', Labels: 'LABELS', CreatedSince: 'CREATED' };
const TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';
const spec = { headers: HEADERS, table: TABLE };
const rows = [
  formatterRow('*formatter.ContainerContext', { ID: 'abc123', Image: 'busybox', Status: 'Up 2 seconds', Ports: '', Names: 'web', Labels: 'a=1' }, { a: '1', 'com.example.some-key': 'v<' }),
  formatterRow('*formatter.ContainerContext', { ID: 'def456', Image: 'alpine:3', Status: 'Exited (0) 1 minute ago', Ports: '', Names: 'a-very-long-name', Labels: '' }, {}),
];

const templateError = (message: string) => (e: unknown) => e instanceof MobyDickError && e.exitCode === 1 && e.message === message;

describe("--format as Docker's formatter prints it", () => {
  test('table TEMPLATE: a header of Docker\'s column names, \\t typed as two characters is a tab, columns of Go\'s tabwriter', () => {
    assert.equal(
      formatRows('table {{.Names}}\\t{{.Status}}', rows, spec),
      `NAMES${' '.repeat(14)}STATUS\nweb${' '.repeat(16)}Up 2 seconds\na-very-long-name   Exited (0) 1 minute ago\n`,
    );
  });

  test('a bare table is the command\'s default table; an empty column keeps its padding', () => {
    assert.equal(
      formatRows('table', rows.slice(0, 1), spec),
      'CONTAINER ID   IMAGE     STATUS         PORTS     NAMES\n' +
        'abc123         busybox   Up 2 seconds             web\n',
    );
  });

  test('a table with no rows is its header alone', () => {
    assert.equal(formatRows('table', [], spec), 'CONTAINER ID   IMAGE     STATUS    PORTS     NAMES\n');
  });

  test('the header keeps names through functions, heads .Label "a.b-c" as "b c", and {{if}} as its field', () => {
    assert.equal(formatRows('table {{.Names | upper}}\\t{{json .Labels}}\\t{{.Label "com.example.some-key"}}', rows.slice(0, 1), spec), 'NAMES     LABELS    some key\nWEB       "a=1"     v<\n');
    assert.equal(formatRows('table {{if .CreatedSince}}{{.CreatedSince}}{{else}}N/A{{end}}', [formatterRow('t', { CreatedSince: '' })], spec), 'CREATED\nN/A\n');
  });

  test('a template without table: one line per row, no header; \\n typed is a newline', () => {
    assert.equal(formatRows('{{.Names}}: {{.Status}}', rows, spec), 'web: Up 2 seconds\na-very-long-name: Exited (0) 1 minute ago\n');
    assert.equal(formatRows('{{.Names}}\\n{{.ID}}', rows.slice(0, 1), spec), 'web\nabc123\n');
    assert.equal(formatRows('  {{.Names}}  ', rows.slice(0, 1), spec), 'web\n', 'spaces around are trimmed');
  });

  test('json: every field, keys sorted, HTML characters escaped (Go\'s json.Marshal of the context)', () => {
    const [first] = formatRows('json', [formatterRow('t', { Names: 'a<b', ID: 'x' })], spec).split('\n');
    assert.equal(first, '{"ID":"x","Names":"a\\u003cb"}');
    assert.equal(formatRows('{{json .}}', [formatterRow('t', { B: '1', A: '2' })], spec), '{"A":"2","B":"1"}\n');
  });

  test('plain records are rows too', () => {
    assert.equal(formatRows('table {{.Names}}', [{ Names: 'x' }], spec), 'NAMES\nx\n');
  });

  test('a missing field is an error naming the row\'s type, exit 1, and nothing is printed', () => {
    assert.throws(
      () => formatRows('{{.Nope}}', rows, spec),
      templateError('template parsing error: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext'),
    );
    assert.equal(formatRows('{{.Nope}}', [], spec), '', 'no row, nothing to fail on (as Docker)');
    assert.throws(
      () => formatRows('{{.Names "x"}}', rows, spec),
      templateError('template parsing error: template: :1:2: executing "" at <.Names>: wrong number of args for Names: want 0 got 1'),
      'the fields of Docker\'s contexts are methods',
    );
  });

  test('a template that does not parse is refused before any row', () => {
    assert.throws(() => checkRowsFormat('table {{nope .Names}}'), templateError('template parsing error: template: :1: function "nope" not defined'));
    assert.doesNotThrow(() => checkRowsFormat('table'));
    assert.doesNotThrow(() => checkRowsFormat('json'));
  });
});

describe("ps's check of a format before listing (docker ps)", () => {
  const empty = formatterRow('*formatter.ContainerContext', { Names: '', Status: '' }, {});
  test('the format as given, on an empty row; its own words for each failure', () => {
    assert.doesNotThrow(() => validateFormat('table {{.Names}}\\t{{.Status}}', empty));
    assert.doesNotThrow(() => validateFormat('{{.Label "x"}}', empty));
    assert.throws(() => validateFormat('{{nope}}', empty), templateError('failed to parse template: template: :1: function "nope" not defined'));
    assert.throws(
      () => validateFormat('{{.Nope}}', empty),
      templateError('failed to execute template: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext'),
    );
  });
});

describe('parseFormat', () => {
  test('a template is parsed once per process: the same text gives the same tree, which running leaves as it was', () => {
    const text = '{{range .}}{{.}},{{end}} mdk-test-memo';
    const first = parseFormat(text);
    assert.equal(parseFormat(text), first);
    assert.equal(renderTemplate(text, ['a', 'b']), 'a,b, mdk-test-memo');
    assert.equal(renderTemplate(text, ['c']), 'c, mdk-test-memo');
    assert.notEqual(parseFormat(text, undefined, 'other-name'), first, 'a name of its own (in its errors) is another parse');
  });

  test('a few at most: a long-lived process given ever new formats does not keep them all', () => {
    const first = parseFormat('{{.}} mdk-test-evicted');
    for (let i = 0; i < 20; i++) parseFormat(`{{.}} mdk-test-${i}`);
    assert.notEqual(parseFormat('{{.}} mdk-test-evicted'), first);
  });

  test('a template that does not parse is an error each time, not kept', () => {
    assert.throws(() => parseFormat('{{.ID'), /template parsing error/);
    assert.throws(() => parseFormat('{{.ID'), /template parsing error/);
  });
});

describe('renderTemplate', () => {
  test('Go\'s template language with Docker\'s functions', () => {
    const v = { Name: 'web', Config: { Entrypoint: null, Cmd: ['sh'] }, State: { Status: 'running', Running: true } };
    assert.equal(renderTemplate('{{.Name | upper}} {{json .Config.Entrypoint}} {{if .State.Running}}up{{end}}', v), 'WEB null up');
    assert.throws(
      () => renderTemplate('{{.Client.Nope}}', new GoObject('formatter.VersionInfo', { Client: new GoObject('*formatter.clientVersion', {}) }), { name: 'version' }),
      templateError('template parsing error: template: version:1:9: executing "version" at <.Client.Nope>: can\'t evaluate field Nope in type *formatter.clientVersion'),
    );
  });
});

describe('inspect output', () => {
  const docs = [{ Name: 'a<b', Config: { Env: ['X=1'], Labels: { b: '2', a: '1' } } }, { Name: 'c', Config: { Env: [], Labels: {} } }];

  test('a template: one line per document; \\t is not special (as docker inspect)', () => {
    assert.equal(inspectOutput(docs, '{{.Name}} {{json .Config.Env}}'), 'a<b ["X=1"]\nc []\n');
    assert.equal(inspectOutput(docs.slice(1), '{{.Name}}\\t'), 'c\\t\n');
  });

  test('a document that fails is an error of its own; the others print; a template that does not parse is exit 64', () => {
    const r = inspectResult([{ A: 1 }, { B: 2 }, { A: 3 }], '{{.A}}');
    assert.equal(r.stdout, '1\n3\n');
    assert.equal(r.exitCode, 1);
    assert.deepEqual(r.errors.map((e) => e.message), ['template parsing error: template: :1:2: executing "" at <.A>: map has no entry for key "A"']);
    assert.equal(inspectResult([{ B: 2 }], '{{.A}}').stdout, '\n', 'an empty line when nothing printed, as docker');
    assert.equal(
      inspectResult([{ A: 1, Labels: {} }], '{{.Labels.x}} {{.B}}', { typeName: 'volume.Volume' }).errors[0]!.message,
      'template parsing error: template: :1:16: executing "" at <.B>: can\'t evaluate field B in type volume.Volume',
    );
    const bad = inspectResult([{ A: 1 }], '{{if}}');
    assert.equal(bad.exitCode, 64);
    assert.equal(bad.errors[0]!.message, 'template parsing error: template: :1: missing value for if');
  });

  test('a missing key of the document is an error; a missing label is no value, index of one is empty', () => {
    assert.throws(() => inspectOutput(docs, '{{.Nope}}'), templateError('template parsing error: template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"'));
    assert.equal(inspectOutput(docs.slice(0, 1), '{{.Config.Labels.x}}|{{index .Config.Labels "x"}}|{{index .Config.Labels "a"}}'), '<no value>||1\n');
  });

  test('json: one compact array, HTML characters escaped', () => {
    assert.equal(inspectOutput(docs.slice(0, 1), 'json'), '[{"Name":"a\\u003cb","Config":{"Env":["X=1"],"Labels":{"a":"1","b":"2"}}}]\n');
  });

  test('no template (or an empty one): one JSON array, 4 spaces, HTML characters escaped as Go does', () => {
    const out = inspectOutput(docs, undefined);
    assert.equal(out, inspectOutput(docs, ''));
    assert.ok(out.startsWith('[\n    {\n        "Name": "a\\u003cb",'), out);
    assert.deepEqual(JSON.parse(out), docs);
  });
});
