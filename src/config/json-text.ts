// JSON text to a value, with syntax errors placed at a line and column. V8's messages give a
// position only for some errors, so on failure a small scanner finds where the text went wrong.

/** The parsed value, or a syntax error at a 1-based line and column. */
export type JsonText =
  | { ok: true; value: unknown }
  | { ok: false; message: string; line: number; column: number };

const BYTE_ORDER_MARK = '\uFEFF';
const WHITESPACE = ' \t\n\r';
const SIMPLE_ESCAPES = '"\\/bfnrt';
const HEX4_RE = /^[0-9A-Fa-f]{4}$/;
const NUMBER_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
/** The tail V8 adds to some messages: `, "<the whole text>" is not valid JSON`. */
const V8_TEXT_TAIL_RE = /, ".*" is not valid JSON$/s;
/** Characters below this code point must be escaped inside JSON strings (RFC 8259 §7). */
const FIRST_UNESCAPED_CHAR = 0x20;

/** A syntax error found by the scanner at a character offset. */
class SyntaxAt extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** A strict RFC 8259 recogniser that throws SyntaxAt at the first error; it builds no values. */
class Scanner {
  private pos = 0;

  constructor(private readonly text: string) {}

  run(): void {
    this.value();
    this.space();
    if (this.pos < this.text.length) this.fail('unexpected text after the end of the JSON value');
  }

  private fail(message: string, at = this.pos): never {
    throw new SyntaxAt(message, at);
  }

  private space(): void {
    while (this.pos < this.text.length && WHITESPACE.includes(this.text[this.pos]!)) this.pos++;
    if (this.text.startsWith('//', this.pos) || this.text.startsWith('/*', this.pos)) {
      this.fail('comments are not allowed in JSON');
    }
  }

  private value(): void {
    this.space();
    const c = this.text[this.pos];
    if (c === undefined) this.fail('unexpected end of file');
    if (c === '{') this.container('}', () => this.member());
    else if (c === '[') this.container(']', () => this.value());
    else if (c === '"') this.string();
    else if (c === '-' || (c >= '0' && c <= '9')) this.number();
    else this.literal(c);
  }

  /** `true`, `false` or `null`; anything else is an error. */
  private literal(c: string): void {
    for (const word of ['true', 'false', 'null']) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return;
      }
    }
    this.fail(`unexpected character ${JSON.stringify(c)}`);
  }

  /** An object or array: `open item (, item)* close`, with no trailing comma. */
  private container(close: '}' | ']', item: () => void): void {
    this.pos++;
    this.space();
    if (this.text[this.pos] === close) {
      this.pos++;
      return;
    }
    for (;;) {
      item();
      this.space();
      const c = this.text[this.pos];
      if (c === close) {
        this.pos++;
        return;
      }
      if (c !== ',') this.fail(c === undefined ? 'unexpected end of file' : `expected ',' or '${close}'`);
      const comma = this.pos++;
      this.space();
      if (this.text[this.pos] === close) this.fail(`trailing comma before '${close}'`, comma);
    }
  }

  private member(): void {
    this.space();
    if (this.text[this.pos] !== '"') this.fail('expected a property name in double quotes');
    this.string();
    this.space();
    if (this.text[this.pos] !== ':') this.fail("expected ':' after the property name");
    this.pos++;
    this.value();
  }

  private string(): void {
    const start = this.pos++;
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) this.fail('unterminated string', start);
      if (c === '"') {
        this.pos++;
        return;
      }
      if (c === '\\') {
        const e = this.text[this.pos + 1] ?? '';
        if (e === 'u' && HEX4_RE.test(this.text.slice(this.pos + 2, this.pos + 6))) this.pos += 6;
        else if (e !== '' && e !== 'u' && SIMPLE_ESCAPES.includes(e)) this.pos += 2;
        else this.fail('invalid escape in string');
        continue;
      }
      if (c.charCodeAt(0) < FIRST_UNESCAPED_CHAR) this.fail('line break or control character in string');
      this.pos++;
    }
  }

  private number(): void {
    NUMBER_RE.lastIndex = this.pos;
    if (!NUMBER_RE.test(this.text)) this.fail('invalid number');
    this.pos = NUMBER_RE.lastIndex;
  }
}

/** 1-based line and column of a character offset. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lastBreak = before.lastIndexOf('\n');
  return { line: before.split('\n').length, column: offset - lastBreak };
}

/** Parses JSON text (a leading byte-order mark is allowed); a syntax error says where it is. */
export function parseJsonText(input: string): JsonText {
  const text = input.startsWith(BYTE_ORDER_MARK) ? input.slice(BYTE_ORDER_MARK.length) : input;
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    try {
      new Scanner(text).run();
    } catch (found) {
      if (found instanceof SyntaxAt) {
        return { ok: false, message: found.message, ...lineAndColumn(text, found.offset) };
      }
    }
    // The scanner accepted what V8 refused (or ran out of stack): report V8's words at the start,
    // without the copy of the text V8 appends (it may hold secrets).
    const message = (err instanceof Error ? err.message : String(err)).replace(V8_TEXT_TAIL_RE, '');
    return { ok: false, message, line: 1, column: 1 };
  }
}
