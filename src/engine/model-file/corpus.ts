import { Prng } from "./prng.js";

/**
 * The text the presets' tokenizers are trained on. It is generated, not read from the machine, so
 * the vocabulary (and thus every model file) is the same everywhere: a short story and a little
 * Python written for this project, plus pseudo-words from a seeded syllable generator that give
 * BPE enough distinct material to learn a 32000-token vocabulary.
 */
const STORY = `Once upon a time, there was a little girl named Lily. She loved to play outside in the
park with her friend Tom. One day, they found a big red ball under a tree. "Look, Tom!" said Lily.
"Can we play with it?" Tom smiled and said, "Yes, let's play together!" They kicked the ball and
ran after it. The sun was warm and the sky was blue. A small dog came to them and wanted to play
too. The dog was happy and wagged its tail. Lily laughed and gave the dog a hug. Then her mom
called her home for dinner. Lily said goodbye to Tom and the dog. She was tired but very happy.
That night, she dreamed about the ball, the tree and her best friends. The next day it was
raining, so they stayed inside and read a book about a brave bird who could not fly. The bird
learned to be kind and to help others, and in the end everyone was proud of him. What a good day
it was! Every morning the children went to school, and every evening they came back to tell their
parents what they had learned: numbers like 1, 2, 3, 10, 42 and 100, colors, animals and words.`;

const CODE = `import os
import sys
from typing import Any, Dict, List, Optional


class Config:
    """Settings read from the environment."""

    def __init__(self, name: str, values: Optional[Dict[str, Any]] = None) -> None:
        self.name = name
        self.values = values or {}

    def get(self, key: str, default: Any = None) -> Any:
        if key in self.values:
            return self.values[key]
        return os.environ.get(key.upper(), default)


def parse_args(argv: List[str]) -> Dict[str, str]:
    result = {}
    for index, arg in enumerate(argv):
        if arg.startswith("--") and "=" in arg:
            key, value = arg[2:].split("=", 1)
            result[key] = value
        elif arg == "-h":
            print("usage: main.py [--key=value]")
            return {}
    return result


def main() -> int:
    config = Config("app", parse_args(sys.argv[1:]))
    try:
        count = int(config.get("count", 0))
    except ValueError as error:
        raise SystemExit(f"bad count: {error}")
    while count > 0:
        count -= 1
    return 0 if count == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
`;

const EXTRA_WORDS = `the of and to in is was for that with as on be at by this had not are but from or have
an they which one you were her all she there would their we him been has when who will more no if
out so said what up its about into than them can only other new some could time these two may then
do first any my now such like our over man me even most made after also did many before must
through back years where much your way well down should because each just those people how too
little state good very make world still own see men work long get here between both life being
under never day same another know while last might us great old year off come since against go
came right used take three self return def class import None True False lambda yield async await
print len range list dict set str int float bool object type isinstance value values key keys
items append extend data result path file name text line lines error index count total size`;

const ONSETS = ["", "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z",
  "br", "ch", "cl", "dr", "fl", "gr", "kr", "pl", "pr", "sh", "sk", "sl", "sp", "st", "th", "tr", "wh"];
const NUCLEI = ["a", "e", "i", "o", "u", "y", "ai", "ea", "ee", "ie", "oo", "ou"];
const CODAS = ["", "", "", "n", "r", "s", "t", "l", "m", "nd", "ng", "nt", "rk", "st", "ck", "x"];

export interface Corpus {
  /** Running text (story, code, word list) that the pre-tokenizers split. */
  text: string;
  /** Generated words with their counts, added on top of the text. */
  pseudoWords: Map<string, number>;
}

/** `pseudoWordCount` distinct generated words, Zipf-like counts; deterministic. */
export function buildCorpus(pseudoWordCount: number): Corpus {
  const random = new Prng(0x5eed_c0de);
  const pseudoWords = new Map<string, number>();
  let attempts = 0;
  while (pseudoWords.size < pseudoWordCount && attempts < pseudoWordCount * 20) {
    attempts++;
    const syllables = 1 + random.below(3) + (random.next() < 0.3 ? 1 : 0);
    let word = "";
    for (let s = 0; s < syllables; s++) {
      word += ONSETS[random.below(ONSETS.length)] + NUCLEI[random.below(NUCLEI.length)] + CODAS[random.below(CODAS.length)];
    }
    if (word.length < 2 || pseudoWords.has(word)) continue;
    if (random.next() < 0.1) word = word[0].toUpperCase() + word.slice(1);
    if (pseudoWords.has(word)) continue;
    const rank = pseudoWords.size + 1;
    pseudoWords.set(word, Math.max(1, Math.round(40 / Math.sqrt(rank))));
  }
  const text = [STORY, STORY.toLowerCase(), CODE, CODE, EXTRA_WORDS, EXTRA_WORDS].join("\n");
  return { text, pseudoWords };
}
