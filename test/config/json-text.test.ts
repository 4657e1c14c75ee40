// JSON syntax errors are placed at the right line and column, whatever V8's message says.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseJsonText } from '../../src/config/json-text.js';

/** The error of invalid text as `line:column message`. */
function errorOf(text: string): string {
  const result = parseJsonText(text);
  assert.equal(result.ok, false);
  return `${result.line}:${result.column} ${result.message}`;
}

describe('parseJsonText', () => {
  test('valid JSON, with or without a byte-order mark', () => {
    assert.deepEqual(parseJsonText('{"a": [1, -2.5e3, true, null, "x\\u00e9"]}'), {
      ok: true,
      value: { a: [1, -2500, true, null, 'xé'] },
    });
    assert.deepEqual(parseJsonText('\uFEFF{}'), { ok: true, value: {} });
  });

  test('errors with their positions', () => {
    assert.equal(errorOf('{"a": 1,}'), "1:8 trailing comma before '}'");
    assert.equal(errorOf('[1,\n 2,\n]'), "2:3 trailing comma before ']'");
    assert.equal(errorOf('{\n  "a": 1\n  "b": 2\n}'), "3:3 expected ',' or '}'");
    assert.equal(errorOf('{\n  // note\n  "a": 1\n}'), '2:3 comments are not allowed in JSON');
    assert.equal(errorOf('{"a": tru}'), '1:7 unexpected character "t"');
    assert.equal(errorOf('{"a": 1'), '1:8 unexpected end of file');
    assert.equal(errorOf(''), '1:1 unexpected end of file');
    assert.equal(errorOf("{'a': 1}"), '1:2 expected a property name in double quotes');
    assert.equal(errorOf('{"a" 1}'), "1:6 expected ':' after the property name");
    assert.equal(errorOf('{"a": "x\ny"}'), '1:9 line break or control character in string');
    assert.equal(errorOf('{"a": "\\q"}'), '1:8 invalid escape in string');
    assert.equal(errorOf('{"a": "x'), '1:7 unterminated string');
    assert.equal(errorOf('{"a": 01}'), "1:8 expected ',' or '}'");
    assert.equal(errorOf('{"a": -}'), '1:7 invalid number');
    assert.equal(errorOf('{} {}'), '1:4 unexpected text after the end of the JSON value');
  });
});
