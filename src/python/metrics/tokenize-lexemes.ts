/**
 * Character classes and literal scanning of CPython 3.11's pure-Python `tokenize` (its regexes
 * `Name = \w+` and `Number`), as used by the raw-metrics chunk scanner in tokenize.ts.
 */

const DOT = 46;
const DIGIT_0 = 48;
const DIGIT_9 = 57;

/** 1: ASCII `\w`; 2: starts an operator (tokenize's `Special`); 0: neither. */
export const asciiClass = new Uint8Array(128);
for (let code = 0; code < 128; code++) {
  const ch = String.fromCharCode(code);
  if (/[A-Za-z0-9_]/.test(ch)) asciiClass[code] = 1;
  else if ("%&()*+,-./:;<=>@[]^{|}~!".includes(ch)) asciiClass[code] = 2;
}

const unicodeWord = /^[\p{L}\p{N}_]$/u;

/** Python's `\w` for a str pattern: alphanumeric (Unicode letters and numbers) or `_`. */
export function isWordCodePoint(codePoint: number): boolean {
  if (codePoint < 128) return asciiClass[codePoint] === 1;
  return unicodeWord.test(String.fromCodePoint(codePoint));
}

/** End of tokenize's `Number` at `position` (a digit, or `.` before a digit): Imagnumber,
 * Floatnumber or Intnumber, tried in that order like the regex alternation. */
export function numberEnd(source: string, position: number, end: number): number {
  const first = source.charCodeAt(position);
  if (first === DOT) return afterImaginary(source, afterExponent(source, afterDigits(source, position + 1, end), end), end);
  const intEnd = afterDigits(source, position, end);
  if (intEnd < end && source.charCodeAt(intEnd) === DOT) {
    return afterImaginary(source, afterExponent(source, afterDigits(source, intEnd + 1, end), end), end);
  }
  const exponentEnd = afterExponent(source, intEnd, end);
  if (exponentEnd > intEnd) return afterImaginary(source, exponentEnd, end);
  if (afterImaginary(source, intEnd, end) > intEnd) return intEnd + 1;
  if (first === DIGIT_0) {
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
      if (index < end && source.charCodeAt(index) === DIGIT_0) index++;
      else if (index + 1 < end && source.charCodeAt(index) === 95 && source.charCodeAt(index + 1) === DIGIT_0) index += 2;
      else return index;
    }
  }
  return intEnd;
}

/** End of tokenize's `Name` (`\w+`) starting at `position`. */
export function nameEnd(source: string, position: number, end: number): number {
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

function isDigit(source: string, index: number, end: number): boolean {
  if (index >= end) return false;
  const code = source.charCodeAt(index);
  return code >= DIGIT_0 && code <= DIGIT_9;
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
