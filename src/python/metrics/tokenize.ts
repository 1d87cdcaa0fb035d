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

import { asciiClass, isWordCodePoint, nameEnd, numberEnd } from "./tokenize-lexemes.js";

export { splitStrippedLines, type StrippedLines } from "./tokenize-lines.js";

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

/**
 * Scans one chunk line by line (`reset`, then `tryFinalLine` / `innerLine` per line, then
 * `summary`). radon raises `SyntaxError('SyntaxError at line: N')` when a chunk never closes.
 */
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
          position = numberEnd(this.source, position, end);
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
      position = nameEnd(this.source, position, end);
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
          return numberEnd(this.source, position, end);
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
}

const enum TokenKind {
  Comment = 1,
  String = 2,
  Colon = 3,
  Semicolon = 4,
  Other = 5,
}

