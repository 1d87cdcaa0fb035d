export { byteToUnicode, unicodeToByte, bytesToUnicodeString } from "./byte-unicode.js";
