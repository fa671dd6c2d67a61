import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { displayWidth, tabwrite } from './tabwriter.js';

describe("Go's tabwriter as Docker sets it up (minwidth 10, padding 3)", () => {
  test('columns at least 10 wide, 3 spaces after the widest cell; the last cell as it is', () => {
    assert.equal(tabwrite('NAMES\tSTATUS\nweb\tUp 2 seconds\n'), 'NAMES     STATUS\nweb       Up 2 seconds\n');
    assert.equal(tabwrite('NAMES\tSTATUS\na-very-long-name\tUp\n'), `NAMES${' '.repeat(14)}STATUS\na-very-long-name   Up\n`);
  });

  test('an empty last column leaves the padding of the one before (as docker prints)', () => {
    assert.equal(tabwrite('A\tB\nx\t\n'), 'A         B\nx         \n');
  });

  test('a column block ends at a line without that column', () => {
    assert.equal(tabwrite('a\tb\nno tabs here\nlonger-cell\tc\n'), 'a         b\nno tabs here\nlonger-cell   c\n');
  });

  test('wide characters count two columns', () => {
    assert.equal(tabwrite('名前名前名前\tx\nab\ty\n'), '名前名前名前   x\nab             y\n');
  });
});

describe('displayWidth', () => {
  test('ASCII: a column a character, control characters too', () => {
    assert.equal(displayWidth(''), 0);
    assert.equal(displayWidth('CONTAINER ID'), 12);
    assert.equal(displayWidth('a\x01~'), 3);
  });
  test('beyond ASCII: wide characters 2, marks and format characters 0, others 1', () => {
    assert.equal(displayWidth('日本'), 4);
    assert.equal(displayWidth('e\u0301'), 1); // e and a combining acute accent
    assert.equal(displayWidth('a\u00adb'), 2); // a soft hyphen (Cf) between
    assert.equal(displayWidth('é…'), 2);
    assert.equal(displayWidth('x\u{1F600}'), 3);
  });
});
