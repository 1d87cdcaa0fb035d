/**
 * Python snippets with radon 5.1.0's numbers for them, obtained by running radon (`radon.raw.analyze`,
 * `radon.metrics.h_visit(...).total`, `ComplexityVisitor.from_code(...).total_complexity`,
 * `radon.metrics.mi_visit(code, True)`) on each source under Python 3.11 and pasted here. The
 * radon agreement test re-runs the radon CLI on them when it is installed.
 */
export interface RadonCase {
  name: string;
  source: string;
  /** loc, lloc, sloc, comments, multi, blank, single_comments */
  raw?: [number, number, number, number, number, number, number];
  /** radon raw's error message when it gives up on the file. */
  rawError?: string;
  /** h1, h2, N1, N2, vocabulary, length, calculated_length, volume, difficulty, effort, time, bugs */
  halstead?: number[];
  /** ComplexityVisitor total_complexity, the G of the maintainability index. */
  complexity?: number;
  mi?: number;
  /** Python's ast rejects the source: radon hal/mi report an error. */
  astError?: boolean;
}

export const RADON_CASES: RadonCase[] = [
  { name: "empty file", source: "", raw: [0, 0, 0, 0, 0, 0, 0], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 1, mi: 100.0 },
  { name: "only newline", source: "\n", raw: [1, 0, 0, 0, 0, 1, 0], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 1, mi: 100.0 },
  { name: "blank lines and whitespace-only lines", source: "x = 1\n\n   \n\t\ny = 2\n", raw: [5, 2, 2, 0, 0, 3, 0], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 1, mi: 100.0 },
  { name: "no trailing newline", source: "x = 1\ny = 2", raw: [2, 2, 2, 0, 0, 0, 0], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 1, mi: 100.0 },
  { name: "CRLF line endings", source: "x = 1\r\nif x:\r\n    y = 2\r\n", raw: [3, 3, 3, 0, 0, 0, 0], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 2, mi: 100.0 },
  { name: "bare CR line endings", source: "x = 1\ry = 2\r", raw: [2, 2, 2, 0, 0, 0, 0], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 1, mi: 100.0 },
  { name: "tabs for indentation", source: "def f(a):\n\tif a:\n\t\treturn a + 1\n\treturn 0\n", raw: [4, 4, 4, 0, 0, 0, 0], halstead: [1, 2, 1, 2, 3, 3, 2.0, 4.754887502163469, 0.5, 2.3774437510817346, 0.1320802083934297, 0.0015849625007211565], complexity: 2, mi: 81.85633424453339 },
  { name: "form feed splits a line", source: "x = 1\n\f\ndef f():\n    return 1\n\fy = 2\n", raw: [7, 4, 4, 0, 0, 3, 0], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 1, mi: 100.0 },
  { name: "vertical tab and unit separators split lines", source: "x = 1\u000by = 2\u001cz = 3\n", raw: [3, 3, 3, 0, 0, 0, 0], astError: true },
  { name: "comment lines and trailing comments", source: "# a comment\nx = 1  # trailing\n    # indented comment\n", raw: [3, 1, 1, 3, 0, 0, 2], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 1, mi: 100.0 },
  { name: "single-line docstring counts as a single comment", source: "\"\"\"Module doc.\"\"\"\nx = 1\n", raw: [2, 2, 1, 0, 0, 0, 1], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 1, mi: 100.0 },
  { name: "multi-line docstring counts as multi with its blank lines as blank", source: "\"\"\"Doc\n\nmore text\n\"\"\"\ndef f():\n    \"\"\"Func doc\n    second line\"\"\"\n    return 1\n", raw: [8, 4, 2, 0, 5, 1, 0], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 1, mi: 100.0 },
  { name: "multi-line string assigned is source", source: "x = \"\"\"a\nb\nc\"\"\"\ny = 2\n", raw: [4, 2, 4, 0, 0, 0, 0], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 1, mi: 100.0 },
  { name: "string followed by a comment is source", source: "\"\"\"doc\"\"\" # note\n", raw: [1, 1, 1, 1, 0, 0, 0], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 1, mi: 100.0 },
  { name: "single-quoted string is a single comment", source: "'just a string'\n", raw: [1, 1, 0, 0, 0, 0, 1], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 1, mi: 100.0 },
  { name: "triple string with embedded quotes", source: "s = '''it's \"quoted\" '' here\nand ''' + \"x\"\n", raw: [2, 1, 2, 0, 0, 0, 0], halstead: [1, 2, 1, 2, 3, 3, 2.0, 4.754887502163469, 0.5, 2.3774437510817346, 0.1320802083934297, 0.0015849625007211565], complexity: 1, mi: 95.12415216859318 },
  { name: "string with escaped quotes and hashes", source: "s = 'a \\' # not a comment'\nt = \"b \\\" # no\"  # yes\n", raw: [2, 2, 2, 1, 0, 0, 0], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 1, mi: 100.0 },
  { name: "nested quotes in f-strings", source: "name = 'x'\ns = f\"{name!r} is {'nested'} {{braces}} {name + 'y'}\"\nt = f'{1 if name else 2}: {name:>10}'\n", raw: [3, 3, 3, 0, 0, 0, 0], halstead: [1, 2, 1, 2, 3, 3, 2.0, 4.754887502163469, 0.5, 2.3774437510817346, 0.1320802083934297, 0.0015849625007211565], complexity: 2, mi: 84.58174335197131 },
  { name: "f-string with colon and semicolon inside", source: "x = f'{a:3}; {b}'\n", raw: [1, 1, 1, 0, 0, 0, 0], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 1, mi: 100.0 },
  { name: "string prefixes", source: "a = rb'\\d'\nb = Rb\"x\"\nc = u'y'\nd = BR'''z\nw'''\ne = fR'{a}'\n", raw: [6, 5, 6, 0, 0, 0, 0], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 1, mi: 100.0 },
  { name: "backslash continuation", source: "x = 1 + \\\n    2\ny = (3 +\n     4)\n", raw: [4, 2, 4, 0, 0, 0, 0], halstead: [1, 4, 2, 4, 5, 6, 8.0, 13.931568569324174, 0.5, 6.965784284662087, 0.3869880158145604, 0.004643856189774725], complexity: 1, mi: 85.28853641650139 },
  { name: "backslash continuation into a comment", source: "x = 1\n\\\n# comment\n", raw: [2, 1, 1, 1, 0, 0, 1], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 1, mi: 100.0 },
  { name: "backslash continuation then blank line", source: "x = 1 + \\\n\ny = 2\n", raw: [3, 1, 2, 0, 0, 1, 0], astError: true },
  { name: "string continued with backslash", source: "s = 'abc\\\ndef'\nt = 1\n", raw: [3, 2, 3, 0, 0, 0, 0], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 1, mi: 100.0 },
  { name: "docstring continued with backslash", source: "'abc\\\ndef'\n", raw: [2, 1, 0, 0, 2, 0, 0], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 1, mi: 100.0 },
  { name: "logical lines: colon at end", source: "if x:\n    pass\nfor i in y:\n    pass\n", raw: [4, 4, 4, 0, 0, 0, 0], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 3, mi: 100.0 },
  { name: "logical lines: compound statement on one line", source: "if x: y = 1\nwhile z: pass\ntry: 1/0\nexcept: pass\n", raw: [4, 8, 4, 0, 0, 0, 0], halstead: [1, 2, 1, 2, 3, 3, 2.0, 4.754887502163469, 0.5, 2.3774437510817346, 0.1320802083934297, 0.0015849625007211565], complexity: 4, mi: 75.0206708965386 },
  { name: "logical lines: semicolons", source: "a = 1; b = 2; c = 3\nx = 1;\nif a: b; c\nif a: b = 1; c\n", raw: [4, 9, 4, 0, 0, 0, 0], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 3, mi: 100.0 },
  { name: "logical lines: dict, slice, lambda and annotation colons", source: "d = {1: 2}\ne = x[1:2]\nf = lambda: 0\ng: int = 3\nh = lambda: ...; i = 1\n", raw: [5, 10, 5, 0, 0, 0, 0], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 1, mi: 100.0 },
  { name: "logical lines: walrus is not a colon", source: "if (n := 10) > 5:\n    pass\n", raw: [2, 2, 2, 0, 0, 0, 0], halstead: [1, 2, 1, 2, 3, 3, 2.0, 4.754887502163469, 0.5, 2.3774437510817346, 0.1320802083934297, 0.0015849625007211565], complexity: 2, mi: 88.42299174457497 },
  { name: "logical lines: comment after colon", source: "if x:  # only a comment\n    pass\nif x: return 0  # comment\n", raw: [3, 4, 3, 2, 0, 0, 0], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 3, mi: 100.0 },
  { name: "multi-line bracketed statement", source: "x = [\n    1,\n\n    2,  # two\n]\n", raw: [5, 1, 4, 1, 0, 1, 0], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 1, mi: 100.0 },
  { name: "class with methods and decorators", source: "@decorator\nclass A(Base):\n    '''Doc.'''\n    x: int = 0\n\n    @property\n    def y(self) -> int:\n        return self.x * 2\n", raw: [8, 8, 6, 0, 0, 1, 1], halstead: [1, 2, 1, 2, 3, 3, 2.0, 4.754887502163469, 0.5, 2.3774437510817346, 0.1320802083934297, 0.0015849625007211565], complexity: 2, mi: 75.28967674449181 },
  { name: "blank lines inside a multi-line string", source: "s = '''\n\nfoo\n\n'''\n", raw: [5, 1, 3, 0, 0, 2, 0], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 1, mi: 100.0 },
  { name: "unicode identifiers and text", source: "caf\u00e9 = 'na\u00efve'\n\u03c0 = 3.14\n# \u043a\u043e\u043c\u043c\u0435\u043d\u0442\u0430\u0440\u0438\u0439\nx = caf\u00e9 + '\u00e9'\n", raw: [4, 3, 3, 1, 0, 0, 1], halstead: [1, 2, 1, 2, 3, 3, 2.0, 4.754887502163469, 0.5, 2.3774437510817346, 0.1320802083934297, 0.0015849625007211565], complexity: 1, mi: 100.0 },
  { name: "non-breaking space at line ends is stripped", source: "x = 1\u00a0\n\u3000y = 2\n", raw: [2, 2, 2, 0, 0, 0, 0], astError: true },
  { name: "numbers of every form", source: "a = 0x1F + 0o17 + 0b101 + 1_000 + 1.5e-3 + .5 + 5. + 2j + 1.5J + 0e0\n", raw: [1, 1, 1, 0, 0, 0, 0], halstead: [1, 17, 9, 18, 18, 27, 69.48686830125578, 112.58797503894243, 0.5294117647058824, 59.60539855002835, 3.3114110305571303, 0.03752932501298081], complexity: 1, mi: 85.50092306127726 },
  { name: "ellipsis and operators", source: "x[...] = a ** 2 // 3 @ b >> 1 << 2 | 3 ^ 4 & 5 % 6\nx **= 2; y //= 3; z @= w\n", raw: [2, 4, 2, 0, 0, 0, 0], halstead: [9, 20, 12, 24, 29, 36, 114.96788691072805, 174.88731582459263, 5.4, 944.3915054528003, 52.46619474737779, 0.05829577194153088], complexity: 1, mi: 71.02835888521219 },
  { name: "async functions and comprehensions", source: "async def f(xs):\n    return [x + 1 async for x in xs if x > 0]\n", raw: [2, 2, 2, 0, 0, 0, 0], halstead: [2, 3, 2, 4, 5, 6, 6.754887502163469, 13.931568569324174, 1.3333333333333333, 18.575424759098897, 1.0319680421721609, 0.004643856189774725], complexity: 3, mi: 85.01953056854818 },
  { name: "match statement with literal patterns", source: "match p:\n    case -1:\n        pass\n    case -1.5 - 2j | 3 + 4j:\n        pass\n    case [-1, {'k': -2}, C(a=-3)]:\n        pass\n    case x if -x > 0:\n        pass\n", raw: [9, 9, 9, 0, 0, 0, 0], halstead: [4, 10, 9, 12, 14, 21, 41.219280948873624, 79.95445336320968, 2.4, 191.89068807170324, 10.66059378176129, 0.026651484454403226], complexity: 1, mi: 65.72595597738277 },
  { name: "operands are identified by name, attribute and constant value", source: "a = x + x\nb = obj.x + 'x'\nc = 1 + 1.0 + True\nd = 0 + False + 0j + 0.0\ne = b'x' + 'x'\nf = '\\x41' + 'A' + \"A\" + 'B' 'C' + 'BC'\ng = f'{x}' + f'{x}'\nh = None is None\n", raw: [8, 8, 8, 0, 0, 0, 0], halstead: [2, 15, 14, 28, 17, 42, 60.60335893412778, 171.67343933251428, 1.8666666666666667, 320.45708675402665, 17.803171486334815, 0.05722447977750476], complexity: 1, mi: 64.51810403149688 },
  { name: "boolean chains flatten only without parentheses", source: "a = p and q and r\nb = p and (q and r)\nc = p or q and r or s\nd = not p\n", raw: [4, 4, 4, 0, 0, 0, 0], halstead: [3, 6, 6, 13, 9, 19, 20.264662506490406, 60.22857502740394, 3.25, 195.74286883906282, 10.874603824392379, 0.020076191675801314], complexity: 8, mi: 73.3284604845901 },
  { name: "comparison chains", source: "a = x < y <= z\nb = (x < y) < z\nc = x in y not in z is w is not v != u == t > s >= r\n", raw: [3, 3, 3, 0, 0, 0, 0], halstead: [10, 10, 12, 16, 20, 28, 66.43856189774725, 121.01398665684616, 8.0, 968.1118932547693, 53.7839940697094, 0.040337995552282055], complexity: 1, mi: 74.87354914721823 },
  { name: "augmented assignments", source: "x += 1\nx.y -= 2\nx[0] *= 3\nx |= y\n", raw: [4, 4, 4, 0, 0, 0, 0], halstead: [4, 6, 4, 8, 10, 12, 23.509775004326936, 39.863137138648355, 2.6666666666666665, 106.3016990363956, 5.905649946466422, 0.013287712379549451], complexity: 1, mi: 75.52495957230771 },
  { name: "function defaults, annotations and decorators are not counted", source: "@dec(-1)\ndef f(a=-1, *, b: -2 = 3) -> -4:\n    return a + b\nlam = lambda q=-1: q\n", raw: [4, 5, 4, 0, 0, 0, 0], halstead: [2, 3, 2, 3, 5, 5, 6.754887502163469, 11.60964047443681, 1.0, 11.60964047443681, 0.6449800263576005, 0.0038698801581456034], complexity: 1, mi: 77.16231550361674 },
  { name: "operands are per function, operators per file", source: "x = a + b\ndef f():\n    return a + b\ndef g():\n    def h():\n        return a + b\n    return a - b\nclass K:\n    y = a + b\n    def f(self):\n        return a + b\n", raw: [11, 11, 11, 0, 0, 0, 0], halstead: [2, 8, 6, 12, 10, 18, 26.0, 59.794705707972525, 1.5, 89.69205856195879, 4.9828921423310435, 0.019931568569324175], complexity: 2, mi: 64.57387575280252 },
  { name: "conditional and nested expressions", source: "x = (a + b) * (c - d) / -e if f else g % h\n", raw: [1, 1, 1, 0, 0, 0, 0], halstead: [6, 11, 6, 11, 17, 17, 53.563522809337215, 69.48686830125578, 3.0, 208.46060490376735, 11.581144716875963, 0.023162289433751926], complexity: 2, mi: 86.83396695617202 },
  { name: "unclosed bracket is an error", source: "x = (1,\ny = 2\n", rawError: "SyntaxError at line: 1", astError: true },
  { name: "unclosed triple-quoted string is an error", source: "x = '''abc\n", rawError: "SyntaxError at line: 1", astError: true },
  { name: "stray dollar is an error", source: "x = $y\n", rawError: "SyntaxError at line: 1", astError: true },
  { name: "byte-order mark is an error", source: "\ufeffx = 1\n", rawError: "SyntaxError at line: 1", astError: true },
  { name: "trailing backslash at end of file is an error", source: "x = 1 \\", rawError: "SyntaxError at line: 1", astError: true },
  { name: "py2 print statement: raw counts, ast fails", source: "print 'hello'\n", raw: [1, 1, 1, 0, 0, 0, 0], astError: true },
  { name: "comments and backslash continuations inside operator chains", source: "if (a and\n    # why\n    b and \\\n    c):\n    pass\nx = (p < \\\n     q)\ny = (m +  # plus\n     n)\n", raw: [9, 4, 9, 2, 0, 0, 0], halstead: [3, 7, 3, 7, 10, 10, 24.406371956566698, 33.219280948873624, 1.5, 49.82892142331043, 2.7682734124061352, 0.01107309364962454], complexity: 4, mi: 99.9069757446113 },
  { name: "union annotations count, parameter annotations do not", source: "x: int | None = None\ndef f(a: int | None = 1 + 2) -> str | None:\n    y: typing.List | None = a\n    return y\n", raw: [4, 6, 4, 0, 0, 0, 0], halstead: [1, 4, 2, 4, 5, 6, 8.0, 13.931568569324174, 0.5, 6.965784284662087, 0.3869880158145604, 0.004643856189774725], complexity: 1, mi: 74.88063052385614 },
  { name: "names, attributes and strings equal across contexts only within one function", source: "def f():\n    return a.x + x + 'x'\ndef g():\n    return x + x\n", raw: [4, 4, 4, 0, 0, 0, 0], halstead: [1, 3, 3, 6, 4, 9, 4.754887502163469, 18.0, 1.0, 18.0, 1.0, 0.006], complexity: 1, mi: 77.942747490525 },
  { name: "a backslash ending a comment is not a continuation", source: "#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\nx = 1  # ends with \\\ny = 2\n", raw: [4, 2, 2, 3, 0, 0, 2], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 1, mi: 100.0 },
  { name: "semicolons and colons inside strings and comments do not count", source: "s = 'a; b: c'  # d; e:\nt = \"\"\"x;\ny:\"\"\"\n", raw: [3, 2, 3, 1, 0, 0, 0], halstead: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0], complexity: 1, mi: 100.0 },
  { name: "escapes decide which string constants are equal", source: "a = x + b'\\x41' + b'A'\nb = x + '\\101' + '\\u0041' + 'A' + r'\\n' + '\\\\n' + '\\n'\nc = x + u'\\N{BULLET}' + '\\N{BULLET}'\n", raw: [3, 3, 3, 0, 0, 0, 0], halstead: [1, 13, 10, 20, 14, 30, 48.105716335834195, 114.22064766172811, 0.7692307692307693, 87.86203666286778, 4.88122425904821, 0.038073549220576035], complexity: 1, mi: 75.04923630951257 },
  { name: "big, hex and float-equal integers are one constant", source: "a = x + 0x10 + 16 + 16.0 + 1_6 + 0o20\nb = x + 10**20 + 100000000000000000000 + 1e20\n", raw: [2, 2, 2, 0, 0, 0, 0], halstead: [2, 12, 9, 18, 14, 27, 45.01955000865388, 102.7985828955553, 1.5, 154.19787434333296, 8.566548574629609, 0.03426619429851843], complexity: 1, mi: 79.21087925265464 },
  { name: "print chevron is a right shift in Python 3", source: "import sys\nprint >>sys.stderr, 'x'\nprint >> f\n", raw: [3, 3, 3, 0, 0, 0, 0], halstead: [1, 3, 2, 4, 4, 6, 4.754887502163469, 12.0, 0.6666666666666666, 8.0, 0.4444444444444444, 0.004], complexity: 1, mi: 81.90114990916902 },
];
