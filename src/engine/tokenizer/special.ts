import { TokenType, type Vocab } from "./vocab.js";

/** A piece of the input: raw text still to tokenize, or a special token already matched. */
export type Fragment = { text: string } | { token: number };

/**
 * Splits text around special tokens written in it, as llama.cpp's tokenizer_st_partition does:
 * special tokens are tried longest first, each splitting every raw fragment left so far at each of
 * its occurrences. User-defined tokens always match; control and unknown tokens only with
 * `parseSpecial`.
 */
export function partitionSpecial(vocab: Vocab, text: string, parseSpecial: boolean): Fragment[] {
  const fragments: Fragment[] = [];
  const steps = partitionSpecialSteps(vocab, text, parseSpecial, fragments);
  while (!steps.next().done);
  return fragments;
}

/**
 * partitionSpecial as steps: pauses (yields) after each special token's pass over the text, so a
 * vocabulary with hundreds of special tokens does not scan megabytes in one go; the fragments are
 * appended to `result` at the end.
 */
export function* partitionSpecialSteps(vocab: Vocab, text: string, parseSpecial: boolean, result: Fragment[]): Generator<void, void, void> {
  let fragments: Fragment[] = text === "" ? [] : [{ text }];
  for (const id of vocab.specials) {
    if (!parseSpecial && vocab.types[id] !== TokenType.USER_DEFINED) continue;
    const special = vocab.tokens[id];
    let next: Fragment[] | null = null;
    for (let f = 0; f < fragments.length; f++) {
      const fragment = fragments[f];
      if (!("text" in fragment) || !fragment.text.includes(special)) {
        next?.push(fragment);
        continue;
      }
      if (!next) next = fragments.slice(0, f);
      const parts = fragment.text.split(special);
      parts.forEach((part, index) => {
        if (index > 0) next!.push({ token: id });
        if (part !== "") next!.push({ text: part });
      });
    }
    if (next) fragments = next;
    if (text.length > LONG_TEXT) yield;
  }
  for (const fragment of fragments) result.push(fragment);
}

/** Texts shorter than this are partitioned without pauses. */
const LONG_TEXT = 65_536;
