/**
 * Go's text/template as Docker's CLI runs it: each expected output or error
 * is what Go (1.2x) gives for the same template and data.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { executeTemplate, type ExecOptions } from './exec.js';
import { BUILTINS, DOCKER_FUNCTIONS } from './funcs.js';
import { GoFloat, GoObject, nilSlice } from './go-values.js';
import { parseTemplate } from './parse.js';
import { sprintf } from './sprintf.js';

const FUNCS = { ...BUILTINS, ...DOCKER_FUNCTIONS };

/** The output, or Go's error text. */
function run(template: string, dot: unknown, options: ExecOptions = {}): string {
  try {
    return executeTemplate(parseTemplate(template, (n) => Object.hasOwn(FUNCS, n)), FUNCS, dot, options);
  } catch (e) {
    return `ERROR ${(e as Error).message}`;
  }
}

const doc = {
  Name: 'web',
  State: 'running',
  N: 3,
  F: 1.5,
  A: ['x', 'y'],
  Empty: [],
  M: { b: '2', a: '1' },
  Labels: { 'com.example.role': 'db', a: 'b' },
  Nested: { k: [1, 2], z: null },
  Config: { Entrypoint: null, Cmd: ['sh', '-c', 'a<b'] },
  Mixed: ['a', null],
};

const row = new GoObject(
  '*formatter.ContainerContext',
  { ID: 'abc', Names: 'web', Status: 'Up 2 seconds' },
  { methods: { Label: { params: ['string'], fn: (k) => ({ 'com.x': 'y' } as Record<string, string>)[String(k)] ?? '' } } },
);

describe('Go templates: actions', () => {
  const cases: [string, string][] = [
    ['plain text', 'plain text'],
    ['{{.Name}} is {{.State}}', 'web is running'],
    ['{{range $i, $e := .A}}{{$i}}={{$e}} {{end}}', '0=x 1=y '],
    ['{{range .A}}[{{.}}]{{end}}', '[x][y]'],
    ['{{range $e := .A}}{{$e}}{{end}}', 'xy'],
    ['{{range .Empty}}x{{else}}none{{end}}', 'none'],
    ['{{range $k, $v := .M}}{{$k}}:{{$v}},{{end}}', 'a:1,b:2,'],
    ['{{range .M}}{{.}}{{end}}', '12'],
    ['{{range .A}}{{if eq . "y"}}{{break}}{{end}}{{.}}{{end}}', 'x'],
    ['{{range .A}}{{if eq . "x"}}{{continue}}{{end}}{{.}}{{end}}', 'y'],
    ['{{range 3}}{{.}}{{end}}', '012'],
    ['{{range $i, $e := .A}}{{if $i}},{{end}}{{$e}}{{end}}', 'x,y'],
    ['{{if eq .State "running"}}up{{else}}down{{end}}', 'up'],
    ['{{if eq .State "exited"}}up{{else if eq .N 3}}three{{else}}down{{end}}', 'three'],
    ['{{if .Empty}}yes{{else}}no{{end}} {{if .Missing}}yes{{else}}no{{end}} {{if 0}}y{{else}}n{{end}}', 'no no n'],
    ['{{with .Name}}{{.}}!{{end}}', 'web!'],
    ['{{with .Empty}}x{{else}}empty{{end}}', 'empty'],
    ['{{with .Missing}}x{{else with .Name}}{{.}}{{end}}', 'web'],
    ['{{$x := .Name}}{{$x}}-{{$.N}}', 'web-3'],
    ['{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}', '2'],
    ['{{range .A}}{{$.Name}}{{end}}', 'webweb'],
    ['{{.Name | upper}}', 'WEB'],
    ['{{.Name | printf "%s!"}}', 'web!'],
    ['{{(index .A 1) | upper}}', 'Y'],
    ['{{.Name | printf "%s-%s" "a"}}', 'a-web'],
    ['a  {{- .Name -}}  b', 'awebb'],
    ['a\n  {{- .Name}}\n', 'aweb\n'],
    ['x\n{{- /* a comment */ -}}\ny', 'xy'],
    ['{{/* comment */}}z', 'z'],
    ['{{-3}}', '-3'],
    ['{{define "t"}}[{{.}}]{{end}}{{template "t" .Name}}', '[web]'],
    ['{{block "b" .N}}<{{.}}>{{end}}', '<3>'],
    ['{{`raw\\n`}} {{"q\\tq"}}', 'raw\\n q\tq'],
    ["{{'a'}}", '97'],
    ['{{.Labels.a}}', 'b'],
    ['{{.Labels.nope}}', '<no value>'],
    ['{{.Missing.Deeper}}', '<no value>'],
  ];
  for (const [template, want] of cases) {
    test(template, () => assert.equal(run(template, doc), want));
  }
});

describe('Go templates: printing values (fmt %v)', () => {
  const cases: [string, string][] = [
    ['{{.M}}', 'map[a:1 b:2]'],
    ['{{.A}}', '[x y]'],
    ['{{.Empty}}', '[]'],
    ['{{.Nested}}', 'map[k:[1 2] z:<nil>]'],
    ['{{.Mixed}}', '[a <nil>]'],
    ['{{.N}} {{.F}} {{true}} {{false}}', '3 1.5 true false'],
    ['{{1e6}} {{3.0}} {{1e3}} {{0.000012}} {{123456.7}} {{1234567.8}} {{0.0001}}', '1e+06 3 1000 1.2e-05 123456.7 1.2345678e+06 0.0001'],
    ['{{0x1F}} {{0o17}} {{017}} {{1_000}}', '31 15 15 1000'],
    ['{{.Missing}}', '<no value>'],
    ['{{$}}', 'map[A:[x y] Config:map[Cmd:[sh -c a<b] Entrypoint:<nil>] Empty:[] F:1.5 Labels:map[a:b com.example.role:db] M:map[a:1 b:2] Mixed:[a <nil>] N:3 Name:web Nested:map[k:[1 2] z:<nil>] State:running]'],
  ];
  for (const [template, want] of cases) {
    test(template, () => assert.equal(run(template, doc), want));
  }
});

test("a typed document's nil slice: [] to print, empty to range and len, null in JSON (docker inspect's .Config.Entrypoint)", () => {
  const d = { Entrypoint: nilSlice<string>() };
  assert.equal(run('{{.Entrypoint}} {{len .Entrypoint}} {{if .Entrypoint}}y{{else}}n{{end}} {{range .Entrypoint}}x{{end}}{{json .Entrypoint}} {{json .}}', d), '[] 0 n null {"Entrypoint":null}');
  assert.equal(JSON.stringify(d), '{"Entrypoint":null}');
});

describe('Go templates: functions', () => {
  const cases: [string, string][] = [
    ['{{json .Config.Entrypoint}}', 'null'],
    ['{{json .Config.Cmd}}', '["sh","-c","a<b"]'],
    ['{{json .M}}', '{"a":"1","b":"2"}'],
    ['{{json .N}} {{json .Name}} {{json .Missing}}', '3 "web" null'],
    ['{{index .Labels "com.example.role"}}|{{index .Labels "nope"}}|', 'db||'],
    ['{{index .A 1}} {{index .Nested "k" 0}}', 'y 1'],
    ['{{index "abc" 1}}', '98'],
    ['{{slice .A 1}} {{slice "hello" 1 3}}', '[y] el'],
    ['{{printf "%s-%d" .Name 3}}', 'web-3'],
    ['{{len .A}} {{len .Name}} {{len .M}} {{len "héllo"}}', '2 3 2 6'],
    ['{{join .A ", "}}', 'x, y'],
    ['{{split "a:b:c" ":"}} {{len (split "a:b:c" ":")}}', '[a b c] 3'],
    ['{{title "hello docker world"}} {{lower "ABC"}} {{upper "abc"}}', 'Hello Docker World abc ABC'],
    ['{{title "it\'s a_b c-d été"}}', "It'S A_b C-D Été"],
    ['[{{pad "x" 2 1}}][{{pad "" 2 1}}]', '[  x ][]'],
    ['{{truncate "abcdef" 3}} {{truncate "ab" 3}}', 'abc ab'],
    ['{{println "a" 1}}{{print "a" 1 2 "b"}}', 'a 1\na1 2b'],
    ['{{and 1 0 2}} {{and 1 2}} {{or 0 "" "x"}} {{or .Missing "dflt"}} {{not .Empty}} {{not 1}}', '0 2 x dflt true false'],
    ['{{if and .Name (not .Empty)}}ok{{end}}', 'ok'],
    ['{{lt 1 2}} {{gt "b" "a"}} {{le 2 2}} {{ge 1 2}} {{ne .N 3}} {{eq .N 1 2 3}}', 'true true true false false true'],
    ['{{eq .Missing "x"}} {{lt 1.5 2.5}}', 'false true'],
    ['{{html "<a href=\'x\'>&</a>"}}', '&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;'],
    ['{{js "it\'s <b>"}}', "it\\'s \\u003Cb\\u003E"],
    ['{{urlquery "a b&c"}}', 'a+b%26c'],
  ];
  for (const [template, want] of cases) {
    test(template, () => assert.equal(run(template, doc), want));
  }

  test('methods with arguments: .Label "key" of a ps row', () => {
    assert.equal(run('{{.Label "com.x"}}|{{.Label "nope"}}|{{"com.x" | .Label}}', row), 'y||y');
  });
});

describe('Go templates: printf (fmt.Sprintf)', () => {
  const cases: [string, unknown[], string][] = [
    ['%5.2f|%-5s|%05d|%x|%q|%v|%t|%%', [3.14159, 'ab', 42, 255, 'hi', ['x', 'y'], true], ' 3.14|ab   |00042|ff|"hi"|[x y]|true|%'],
    ['%d', ['x'], '%!d(string=x)'],
    ['%s', [], '%!s(MISSING)'],
    ['%s', ['a', 2], 'a%!(EXTRA int=2)'],
    ['%s', [3.5], '%!s(float64=3.5)'],
    ['%v %v', [null, { b: 1, a: [1] }], '<nil> map[a:[1] b:1]'],
    ['%d', [null], '%!d(<nil>)'],
    ['%e %E %g %g %g %g', [1234.5678, 0.5, new GoFloat(100000), new GoFloat(1e6), new GoFloat(1e21), 100000], '1.234568e+03 5.000000E-01 100000 1e+06 1e+21 %!g(int=100000)'],
    ['%.3g|%08.3f|%+d|% d|%-4d|', [1234.5678, 3.14159, 5, 5, 7], '1.23e+03|0003.142|+5| 5|7   |'],
    ['%o %b %X %#x %c %T %T %T', [8, 5, 255, 255, 65, 'x', 1.5, ['a']], '10 101 FF 0xff A string float64 []string'],
    ['%x %X %.2s %q', ['hi', 'hi', 'abc', ['a', 'b']], '6869 6869 ab ["a" "b"]'],
    ['%5v|%-3v|', [['x', 'y'], 'a'], '[    x     y]|a  |'],
    ['%t %d', [1, new GoFloat(3)], '%!t(int=1) %!d(float64=3)'],
    ['%*d|%-*d|', [4, 7, 3, 1], '   7|1  |'],
    // exact ties round to even, as Go (JavaScript's toFixed would give 2.3, 0.13, 3)
    ['%5.1f|%.2f|%.0f|%.0f|%.1e|%.2g', [2.25, 0.125, 2.5, 3.5, 2.25, 0.125], '  2.2|0.12|2|4|2.2e+00|0.12'],
    ['%.2f|%.1f', [2.675, 0.35], '2.67|0.3'],
    ['%!', [], '%!!(MISSING)'],
  ];
  for (const [format, args, want] of cases) {
    test(`${format} ${JSON.stringify(args)}`, () => assert.equal(sprintf(format, args), want));
  }
});

describe("Go templates: errors, in Go's words", () => {
  const cases: [string, unknown, string, ExecOptions?][] = [
    ['{{nope .A}}', doc, 'template: :1: function "nope" not defined'],
    ['line one\n{{nope}}', doc, 'template: :2: function "nope" not defined'],
    ['{{if .A}}', doc, 'template: :1: unexpected EOF'],
    ['{{end}}', doc, 'template: :1: unexpected {{end}}'],
    ['{{else}}', doc, 'template: :1: unexpected {{else}}'],
    ['{{$y}}', doc, 'template: :1: undefined variable "$y"'],
    ['{{.Foo}', doc, "template: :1: bad character U+007D '}'"],
    ['{{.Foo', doc, 'template: :1: unclosed action'],
    ['{{break}}', doc, 'template: :1: {{break}} outside {{range}}'],
    ['{{"a" | "b"}}', doc, 'template: :1: non executable command in pipeline stage 2'],
    ['{{}}', doc, 'template: :1: missing value for command'],
    ['{{if}}{{end}}', doc, 'template: :1: missing value for if'],
    ['{{"abc}}', doc, 'template: :1: unterminated quoted string'],
    ['{{/* x }}', doc, 'template: :1: unclosed comment'],
    ['{{.A 1}}', doc, 'template: :1:2: executing "" at <.A>: A is not a method but has arguments'],
    ['{{.Nope}}', row, 'template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext'],
    ['{{.Names.X}}', row, 'template: :1:8: executing "" at <.Names.X>: can\'t evaluate field X in type string'],
    ['{{.Label}}', row, 'template: :1:2: executing "" at <.Label>: wrong number of args for Label: want 1 got 0'],
    ['{{.Names "x"}}', row, 'template: :1:2: executing "" at <.Names>: Names has arguments but cannot be invoked as function'],
    ['{{.Nope}}', doc, 'template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"', { missingKeyError: true }],
    ['{{.State.Health.Status}}', { State: { Status: 'running', Running: true } }, 'template: :1:8: executing "" at <.State.Health.Status>: map has no entry for key "Health"', { missingKeyError: true }],
    ['x {{index .A 5}}', doc, 'template: :1:4: executing "" at <index .A 5>: error calling index: index out of range: 5'],
    ['{{index .A 2}}', doc, 'template: :1:2: executing "" at <index .A 2>: error calling index: reflect: slice index out of range'],
    ['{{index .N 0}}', doc, 'template: :1:2: executing "" at <index .N 0>: error calling index: can\'t index item of type int'],
    ['{{upper 3}}', doc, 'template: :1:8: executing "" at <3>: expected string; found 3'],
    ['{{upper .N}}', doc, 'template: :1:8: executing "" at <.N>: wrong type for value; expected string; got int'],
    ['{{.N | upper}}', doc, 'template: :1:7: executing "" at <upper>: wrong type for value; expected string; got int'],
    ['{{pad "x" 1}}', doc, 'template: :1:2: executing "" at <pad>: wrong number of args for pad: want 3 got 2'],
    ['{{printf}}', doc, 'template: :1:2: executing "" at <printf>: wrong number of args for printf: want at least 1 got 0'],
    ['{{eq 1 "1"}}', doc, 'template: :1:2: executing "" at <eq 1 "1">: error calling eq: incompatible types for comparison'],
    ['{{lt .A 1}}', doc, 'template: :1:2: executing "" at <lt .A 1>: error calling lt: invalid type for comparison'],
    ['{{range .Name}}{{end}}', doc, 'template: :1:8: executing "" at <.Name>: range can\'t iterate over web'],
    ['{{.Nested.z.x}}', doc, 'template: :1:9: executing "" at <.Nested.z.x>: nil pointer evaluating interface {}.x'],
    ['{{3 "x"}}', doc, 'template: :1:2: executing "" at <3>: can\'t give argument to non-function 3'],
    ['{{nil}}', doc, 'template: :1:2: executing "" at <nil>: nil is not a command'],
    ['{{len .N}}', doc, 'template: :1:2: executing "" at <len .N>: error calling len: len of type int'],
    ['{{join .N ","}}', doc, 'template: :1:2: executing "" at <join .N ",">: error calling join: expected slice, got int'],
  ];
  for (const [template, dot, want, options] of cases) {
    test(template, () => assert.equal(run(template, dot, options), `ERROR ${want}`));
  }
});
