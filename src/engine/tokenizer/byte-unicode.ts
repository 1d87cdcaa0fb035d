/**
 * GPT-2's reversible byte <-> unicode map: printable Latin-1 bytes map to themselves, the other 68
 * bytes to U+0100.. in byte order, so every byte sequence becomes a printable string (space = "Ġ").
 */
const byteToChar: string[] = new Array(256);
const charToByte = new Map<string, number>();
{
  let next = 0;
  for (let byte = 0; byte < 256; byte++) {
    const printable = (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
    const char = String.fromCodePoint(printable ? byte : 256 + next++);
    byteToChar[byte] = char;
    charToByte.set(char, byte);
  }
}

export function byteToUnicode(byte: number): string {
  return byteToChar[byte];
}

/** Byte for one mapped character, or undefined for a character outside the map. */
export function unicodeToByte(char: string): number | undefined {
  return charToByte.get(char);
}

const encoder = new TextEncoder();

/** UTF-8 bytes of `text`, each replaced by its mapped character. */
export function bytesToUnicodeString(text: string): string {
  let out = "";
  for (const byte of encoder.encode(text)) out += byteToChar[byte];
  return out;
}
