/**
 * The part of CPython 3.11's pure-Python `tokenize` that radon 5.1.0's raw metrics depend on.
 *
 * radon (`radon/raw.py`) splits the source with `str.splitlines()`, strips every line with
 * `str.strip()`, and then, from each line, re-tokenizes `"\n".join(lines[i..j])` for growing `j`
 * until `tokenize.generate_tokens` neither raises `TokenError` nor yields an `ERRORTOKEN`. Those
 * lines form one "chunk"; radon's counts are a function of the chunk's tokens.
 *
 * Re-tokenizing from scratch is quadratic; this scanner gets the same answer in one pass. The
 * tokenizer's state at the start of line `j` (inside a string? bracket depth, backslash
 * continuation) does not depend on the lines after it, so each line is scanned once as the
 * buffer's last line (no trailing newline, then end of input). If that fails, the state is
 * restored and the line is scanned again as an inner line (with its newline) and the chunk grows.
 *
 * Only what radon looks at is kept: COMMENT and STRING tokens, the `:` and `;` operators, "some
 * other token", ERRORTOKENs, and the rows a string token spans. NL/NEWLINE/ENDMARKER carry nothing.
 */

/** Kind of the first token of a chunk (radon's `is_single_token` looks at it). */
export const FirstToken = { None: 0, Comment: 1, String: 2, Other: 3 } as const;

/** Offsets into the state vector. The whole scanner state is one Int32Array, so saving it before
 * a trial scan and restoring it afterwards is a single `set`. */
const S = {
  /** 0: not inside a string; else the open string's kind (see StringKind). */
  contKind: 0,
  /** Row (1-based, within the chunk) where the open string started. */
  contRow: 1,
  /** Bracket depth exactly as tokenize counts it (may go negative on a stray closer). */
  parenDepth: 2,
  /** 1 after a backslash-newline outside strings. */
  continued: 3,
  /** Current row within the chunk (1-based; 0 before the first line). */
  row: 4,
  /** 1 once an ERRORTOKEN was produced. */
  error: 5,
  /** COMMENT tokens in the chunk. */
  comments: 6,
  firstKind: 7,
  firstStartRow: 8,
  firstEndRow: 9,
  /** Significant tokens (not NL/NEWLINE/ENDMARKER) after the first one. */
  afterFirst: 10,
  /** Logical lines of the `;`-separated pieces already closed. */
  llocClosed: 11,
  /** Tokens (not COMMENT/NL/NEWLINE) in the current piece. */
  pieceTokens: 12,
  /** Index in the current piece of its last `:` operator, or -1. */
  pieceLastColon: 13,
  size: 14,
} as const;

/** Open string kinds; the quote character decides the end, `triple` whether newlines may occur. */
const StringKind = { None: 0, Triple1: 1, Triple2: 2, Single1: 3, Single2: 4 } as const;

const enum C {
  Tab = 9,
  FormFeed = 12,
  Space = 32,
  Bang = 33,
  DoubleQuote = 34,
  Hash = 35,
  SingleQuote = 39,
  ParenOpen = 40,
  ParenClose = 41,
  Dot = 46,
  Digit0 = 48,
  Digit9 = 57,
  Colon = 58,
  Semicolon = 59,
  Equals = 61,
  BracketOpen = 91,
  Backslash = 92,
  BracketClose = 93,
  BraceOpen = 123,
  BraceClose = 125,
}

/** 1: ASCII `\w`; 2: starts an operator (tokenize's `Special`); 0: neither. */
const asciiClass = new Uint8Array(128);
for (let code = 0; code < 128; code++) {
  const ch = String.fromCharCode(code);
  if (/[A-Za-z0-9_]/.test(ch)) asciiClass[code] = 1;
  else if ("%&()*+,-./:;<=>@[]^{|}~!".includes(ch)) asciiClass[code] = 2;
}

const unicodeWord = /^[\p{L}\p{N}_]$/u;

/** Python's `\w` for a str pattern: alphanumeric (Unicode letters and numbers) or `_`. */
function isWordCodePoint(codePoint: number): boolean {
  if (codePoint < 128) return asciiClass[codePoint] === 1;
  return unicodeWord.test(String.fromCodePoint(codePoint));
}

/** Python `str.isspace()` for one UTF-16 unit (all such characters are in the BMP). */
export function isPythonSpace(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13) || (code >= 28 && code <= 31);
  if (code < 133) return false;
  return (
    code === 133 ||
    code === 160 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

/** Line boundaries of Python's `str.splitlines()` (`\r\n` is one boundary). */
function isLineBreak(code: number): boolean {
  if (code <= 13) return code >= 10;
  if (code < 28) return false;
  return code <= 30 || code === 133 || code === 0x2028 || code === 0x2029;
}

/** `str.splitlines()` then `str.strip()` on each line, as [start, end) offsets into the source. */
export interface StrippedLines {
  count: number;
  starts: Int32Array;
  ends: Int32Array;
}

export function splitStrippedLines(source: string): StrippedLines {
  const length = source.length;
  let capacity = 1024;
  let starts = new Int32Array(capacity);
  let ends = new Int32Array(capacity);
  let count = 0;
  let lineStart = 0;
  let position = 0;
  while (position < length) {
    let lineEnd = position;
    while (lineEnd < length && !isLineBreak(source.charCodeAt(lineEnd))) lineEnd++;
    let start = lineStart;
    let end = lineEnd;
    while (start < end && isPythonSpace(source.charCodeAt(start))) start++;
    while (end > start && isPythonSpace(source.charCodeAt(end - 1))) end--;
    if (count === capacity) {
      capacity *= 2;
      const grownStarts = new Int32Array(capacity);
      grownStarts.set(starts);
      starts = grownStarts;
      const grownEnds = new Int32Array(capacity);
      grownEnds.set(ends);
      ends = grownEnds;
    }
    starts[count] = start;
    ends[count] = end;
    count++;
    position = lineEnd;
    if (position < length) {
      position += source.charCodeAt(position) === 13 && source.charCodeAt(position + 1) === 10 ? 2 : 1;
    }
    lineStart = position;
  }
  return { count, starts, ends };
}

/** What a finished chunk looks like to radon. */
export interface ChunkSummary {
  comments: number;
  firstKind: number;
  /** True when the first token is the only significant token (radon's `is_single_token`). */
  single: boolean;
  /** For a string first token: whether it spans more than one row. */
  firstSpansRows: boolean;
  lloc: number;
}

/** radon raises `SyntaxError('SyntaxError at line: N')` when a chunk never tokenizes cleanly. */
export class ChunkScanner {
  private readonly state = new Int32Array(S.size);
  private readonly saved = new Int32Array(S.size);
  private source = "";

  reset(source: string): void {
    this.source = source;
    this.state.fill(0);
    this.state[S.pieceLastColon] = -1;
  }

  /**
   * Scans `source[start, end)` as the buffer's last line followed by end of input. Returns true
   * (state committed) when tokenize would finish without TokenError and without ERRORTOKEN;
   * otherwise restores the state and returns false.
   */
  tryFinalLine(start: number, end: number): boolean {
    const state = this.state;
    this.saved.set(state);
    this.scanLine(start, end, false);
    const clean =
      state[S.error] === 0 &&
      state[S.contKind] === StringKind.None &&
      state[S.parenDepth] === 0 &&
      state[S.continued] === 0;
    if (!clean) state.set(this.saved);
    return clean;
  }

  /** Scans the line as an inner line of the buffer (followed by "\n"). False once an ERRORTOKEN
   * has been produced: no later line can remove it, so the chunk can never close. */
  innerLine(start: number, end: number): boolean {
    this.scanLine(start, end, true);
    return this.state[S.error] === 0;
  }

  summary(): ChunkSummary {
    const state = this.state;
    // The last piece also holds ENDMARKER: a `:` closes it with one logical line only when it
    // is the last token before ENDMARKER.
    const tokens = state[S.pieceTokens];
    const colon = state[S.pieceLastColon];
    const lastPiece = colon >= 0 ? (colon === tokens - 1 ? 1 : 2) : tokens === 0 ? 0 : 1;
    return {
      comments: state[S.comments],
      firstKind: state[S.firstKind],
      single: state[S.afterFirst] === 0,
      firstSpansRows: state[S.firstStartRow] !== state[S.firstEndRow],
      lloc: state[S.llocClosed] + lastPiece,
    };
  }

  private emit(kind: number, startRow: number): void {
    const state = this.state;
    if (state[S.firstKind] === FirstToken.None) {
      state[S.firstKind] = kind === TokenKind.Comment ? FirstToken.Comment : kind === TokenKind.String ? FirstToken.String : FirstToken.Other;
      state[S.firstStartRow] = startRow;
      state[S.firstEndRow] = state[S.row];
    } else {
      state[S.afterFirst]++;
    }
    if (kind === TokenKind.Comment) {
      state[S.comments]++;
      return;
    }
    if (kind === TokenKind.Semicolon) {
      // A piece that is not the last has no ENDMARKER: `:` counts 1 only with exactly one token after it.
      const tokens = state[S.pieceTokens];
      const colon = state[S.pieceLastColon];
      state[S.llocClosed] += colon >= 0 ? (colon === tokens - 2 ? 1 : 2) : tokens === 0 ? 0 : 1;
      state[S.pieceTokens] = 0;
      state[S.pieceLastColon] = -1;
      return;
    }
    if (kind === TokenKind.Colon) state[S.pieceLastColon] = state[S.pieceTokens];
    state[S.pieceTokens]++;
  }

  /** One line of tokenize's main loop. `withNewline`: the line is followed by "\n" in the buffer. */
  private scanLine(start: number, end: number, withNewline: boolean): void {
    const state = this.state;
    const source = this.source;
    state[S.row]++;
    const row = state[S.row];
    let position = start;

    if (state[S.contKind] !== StringKind.None) {
      if (start === end && !withNewline) return; // EOF inside a string: TokenError
      const kind = state[S.contKind];
      const stringEnd = kind <= StringKind.Triple2 ? this.tripleEnd(start, end, kind) : this.continuedSingleEnd(start, end, kind);
      if (stringEnd >= 0) {
        this.emit(TokenKind.String, state[S.contRow]);
        state[S.contKind] = StringKind.None;
        position = stringEnd;
      } else if (kind >= StringKind.Single1 && !(withNewline && end > start && source.charCodeAt(end - 1) === C.Backslash)) {
        state[S.error] = 1;
        state[S.contKind] = StringKind.None;
        return;
      } else {
        return;
      }
    } else if (state[S.parenDepth] === 0 && state[S.continued] === 0) {
      if (start === end) return; // end of input, or a blank line: NL only
      if (source.charCodeAt(start) === C.Hash) {
        this.emit(TokenKind.Comment, row);
        return;
      }
    } else {
      if (start === end && !withNewline) return; // EOF in multi-line statement: TokenError
      state[S.continued] = 0;
    }

    while (position < end) {
      let code = source.charCodeAt(position);
      while (code === C.Space || code === C.Tab || code === C.FormFeed) {
        position++;
        if (position === end) return;
        code = source.charCodeAt(position);
      }
      if (code === C.Hash) {
        this.emit(TokenKind.Comment, row);
        return;
      }
      if (code === C.Backslash) {
        if (position + 1 === end && withNewline) {
          state[S.continued] = 1;
          return;
        }
        state[S.error] = 1;
        position++;
        continue;
      }
      if (code < 128) {
        const cls = asciiClass[code];
        if (code >= C.Digit0 && code <= C.Digit9) {
          position = this.numberEnd(position, end);
          this.emit(TokenKind.Other, row);
          continue;
        }
        if (code === C.SingleQuote || code === C.DoubleQuote) {
          const next = this.stringToken(position, position, end, withNewline);
          if (next < 0) return;
          position = next;
          continue;
        }
        if (cls === 2) {
          position = this.operator(position, end);
          continue;
        }
        if (cls === 0) {
          state[S.error] = 1;
          position++;
          continue;
        }
        // ASCII word character: a string prefix directly followed by a quote, or a name.
        const quote = this.prefixedQuote(position, end);
        if (quote >= 0) {
          const next = this.stringToken(position, quote, end, withNewline);
          if (next < 0) return;
          position = next;
          continue;
        }
      }
      const codePoint = source.codePointAt(position) as number;
      if (!isWordCodePoint(codePoint)) {
        state[S.error] = 1;
        position += codePoint > 0xffff ? 2 : 1;
        continue;
      }
      position = this.nameEnd(position, end);
      this.emit(TokenKind.Other, row);
    }
  }

  /** Index of the quote when `position` starts a valid string prefix (b r u f br rb fr rf, any case)
   * immediately followed by a quote; otherwise -1. */
  private prefixedQuote(position: number, end: number): number {
    const source = this.source;
    const first = source.charCodeAt(position) | 0x20;
    if (first !== 98 && first !== 114 && first !== 117 && first !== 102) return -1; // b r u f
    if (position + 1 >= end) return -1;
    const second = source.charCodeAt(position + 1);
    if (second === C.SingleQuote || second === C.DoubleQuote) return position + 1;
    const lowerSecond = second | 0x20;
    const pairOk =
      ((first === 98 || first === 102) && lowerSecond === 114) || // br fr
      (first === 114 && (lowerSecond === 98 || lowerSecond === 102)); // rb rf
    if (!pairOk || position + 2 >= end) return -1;
    const third = source.charCodeAt(position + 2);
    return third === C.SingleQuote || third === C.DoubleQuote ? position + 2 : -1;
  }

  /**
   * A string token whose prefix starts at `start` and whose quote is at `quote`. Returns the
   * index after the token, or -1 when the line ends inside the string (state updated), or the
   * index after the quote with an ERRORTOKEN when the single-quoted string is not closed.
   */
  private stringToken(start: number, quote: number, end: number, withNewline: boolean): number {
    const source = this.source;
    const state = this.state;
    const quoteCode = source.charCodeAt(quote);
    const row = state[S.row];
    if (quote + 2 < end && source.charCodeAt(quote + 1) === quoteCode && source.charCodeAt(quote + 2) === quoteCode) {
      const kind = quoteCode === C.SingleQuote ? StringKind.Triple1 : StringKind.Triple2;
      const stringEnd = this.tripleEnd(quote + 3, end, kind);
      if (stringEnd >= 0) {
        this.emit(TokenKind.String, row);
        return stringEnd;
      }
      state[S.contKind] = kind;
      state[S.contRow] = row;
      return -1;
    }
    // tokenize's ContStr: [^\n'\\]*(?:\\.[^\n'\\]*)*('|\\\r?\n)
    let index = quote + 1;
    while (index < end) {
      const code = source.charCodeAt(index);
      if (code === quoteCode) {
        this.emit(TokenKind.String, row);
        return index + 1;
      }
      if (code === C.Backslash) {
        if (index + 1 < end) {
          index += 2;
          continue;
        }
        if (withNewline) {
          state[S.contKind] = quoteCode === C.SingleQuote ? StringKind.Single1 : StringKind.Single2;
          state[S.contRow] = row;
          return -1;
        }
        break;
      }
      index++;
    }
    // No match: the prefix (if any) is a NAME, the quote an ERRORTOKEN; scanning resumes after it.
    if (quote > start) this.emit(TokenKind.Other, row);
    state[S.error] = 1;
    return quote + 1;
  }

  /** End of a triple-quoted string body starting at `position` on this line, or -1.
   * A backslash escapes any character but the line's newline (the regex `\\.` needs one). */
  private tripleEnd(position: number, end: number, kind: number): number {
    const source = this.source;
    const quoteCode = kind === StringKind.Triple1 ? C.SingleQuote : C.DoubleQuote;
    let index = position;
    while (index < end) {
      const code = source.charCodeAt(index);
      if (code === C.Backslash) {
        if (index + 1 >= end) return -1;
        index += 2;
        continue;
      }
      if (code === quoteCode && index + 2 < end && source.charCodeAt(index + 1) === quoteCode && source.charCodeAt(index + 2) === quoteCode) {
        return index + 3;
      }
      index++;
    }
    return -1;
  }

  /** tokenize's `endpats` for a continued single-quoted string: [^'\\]*(?:\\.[^'\\]*)*' */
  private continuedSingleEnd(position: number, end: number, kind: number): number {
    const source = this.source;
    const quoteCode = kind === StringKind.Single1 ? C.SingleQuote : C.DoubleQuote;
    let index = position;
    while (index < end) {
      const code = source.charCodeAt(index);
      if (code === C.Backslash) {
        if (index + 1 >= end) return -1;
        index += 2;
        continue;
      }
      if (code === quoteCode) return index + 1;
      index++;
    }
    return -1;
  }

  /** An operator starting at `position` (longest match of tokenize's `Special`); emits it and
   * returns the index after it. */
  private operator(position: number, end: number): number {
    const source = this.source;
    const state = this.state;
    const row = state[S.row];
    const code = source.charCodeAt(position);
    const next = position + 1 < end ? source.charCodeAt(position + 1) : -1;
    switch (code) {
      case C.Colon:
        if (next === C.Equals) {
          this.emit(TokenKind.Other, row);
          return position + 2;
        }
        this.emit(TokenKind.Colon, row);
        return position + 1;
      case C.Semicolon:
        this.emit(TokenKind.Semicolon, row);
        return position + 1;
      case C.Bang:
        if (next !== C.Equals) {
          state[S.error] = 1;
          return position + 1;
        }
        this.emit(TokenKind.Other, row);
        return position + 2;
      case C.Dot:
        if (next >= C.Digit0 && next <= C.Digit9) {
          this.emit(TokenKind.Other, row);
          return this.numberEnd(position, end);
        }
        this.emit(TokenKind.Other, row);
        return next === C.Dot && position + 2 < end && source.charCodeAt(position + 2) === C.Dot ? position + 3 : position + 1;
      case C.ParenOpen:
      case C.BracketOpen:
      case C.BraceOpen:
        state[S.parenDepth]++;
        this.emit(TokenKind.Other, row);
        return position + 1;
      case C.ParenClose:
      case C.BracketClose:
      case C.BraceClose:
        state[S.parenDepth]--;
        this.emit(TokenKind.Other, row);
        return position + 1;
      default: {
        this.emit(TokenKind.Other, row);
        // `**` `//` `<<` `>>` may double, then any of them may take `=`; `-` also forms `->`.
        let index = position + 1;
        if ((code === 42 || code === 47 || code === 60 || code === 62) && next === code) index++;
        else if (code === 45 && next === 62) return position + 2;
        if (code !== 44 && code !== 126 && index < end && source.charCodeAt(index) === C.Equals) index++;
        return index;
      }
    }
  }

  /** End of tokenize's `Number` at `position` (a digit, or `.` before a digit): Imagnumber,
   * Floatnumber or Intnumber, tried in that order like the regex alternation. */
  private numberEnd(position: number, end: number): number {
    const source = this.source;
    const first = source.charCodeAt(position);
    if (first === C.Dot) return afterImaginary(source, afterExponent(source, afterDigits(source, position + 1, end), end), end);
    const intEnd = afterDigits(source, position, end);
    if (intEnd < end && source.charCodeAt(intEnd) === C.Dot) {
      return afterImaginary(source, afterExponent(source, afterDigits(source, intEnd + 1, end), end), end);
    }
    const exponentEnd = afterExponent(source, intEnd, end);
    if (exponentEnd > intEnd) return afterImaginary(source, exponentEnd, end);
    if (afterImaginary(source, intEnd, end) > intEnd) return intEnd + 1;
    if (first === C.Digit0) {
      const base = position + 1 < end ? source.charCodeAt(position + 1) | 0x20 : -1;
      if (base === 120 || base === 111 || base === 98) {
        // 0[xX](?:_?[0-9a-fA-F])+ and the octal/binary forms
        let index = position + 2;
        for (;;) {
          if (index < end && isBaseDigit(base, source.charCodeAt(index))) index++;
          else if (index + 1 < end && source.charCodeAt(index) === 95 && isBaseDigit(base, source.charCodeAt(index + 1))) index += 2;
          else break;
        }
        if (index > position + 2) return index;
      }
      // 0(?:_?0)*
      let index = position + 1;
      for (;;) {
        if (index < end && source.charCodeAt(index) === C.Digit0) index++;
        else if (index + 1 < end && source.charCodeAt(index) === 95 && source.charCodeAt(index + 1) === C.Digit0) index += 2;
        else return index;
      }
    }
    return intEnd;
  }

  private nameEnd(position: number, end: number): number {
    const source = this.source;
    let index = position;
    while (index < end) {
      const code = source.charCodeAt(index);
      if (code < 128) {
        if (asciiClass[code] !== 1) break;
        index++;
        continue;
      }
      const codePoint = source.codePointAt(index) as number;
      if (!isWordCodePoint(codePoint)) break;
      index += codePoint > 0xffff ? 2 : 1;
    }
    return index;
  }
}

const enum TokenKind {
  Comment = 1,
  String = 2,
  Colon = 3,
  Semicolon = 4,
  Other = 5,
}

function isDigit(source: string, index: number, end: number): boolean {
  if (index >= end) return false;
  const code = source.charCodeAt(index);
  return code >= C.Digit0 && code <= C.Digit9;
}

/** tokenize's `[0-9](?:_?[0-9])*` from `from`; returns `from` when no digit is there. */
function afterDigits(source: string, from: number, end: number): number {
  if (!isDigit(source, from, end)) return from;
  let index = from + 1;
  for (;;) {
    if (isDigit(source, index, end)) index++;
    else if (source.charCodeAt(index) === 95 && isDigit(source, index + 1, end)) index += 2;
    else return index;
  }
}

/** `[eE][-+]?[0-9](?:_?[0-9])*` from `from`, or `from` when it does not match. */
function afterExponent(source: string, from: number, end: number): number {
  if (from >= end || (source.charCodeAt(from) | 0x20) !== 101) return from;
  let index = from + 1;
  const sign = source.charCodeAt(index);
  if (sign === 43 || sign === 45) index++;
  const digitsEnd = afterDigits(source, index, end);
  return digitsEnd === index ? from : digitsEnd;
}

function afterImaginary(source: string, from: number, end: number): number {
  return from < end && (source.charCodeAt(from) | 0x20) === 106 ? from + 1 : from;
}

/** A digit of a `0x`/`0o`/`0b` literal; `base` is the lower-cased base letter's code. */
function isBaseDigit(base: number, code: number): boolean {
  if (base === 120) return (code >= 48 && code <= 57) || ((code | 0x20) >= 97 && (code | 0x20) <= 102);
  if (base === 111) return code >= 48 && code <= 55;
  return code === 48 || code === 49;
}
