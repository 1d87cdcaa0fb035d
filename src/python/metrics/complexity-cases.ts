/**
 * Snippets pinning radon 5.1.0's cyclomatic complexity (Python 3.11 `ast`) for every construct
 * that counts, or could be mistaken to count. Expected values were produced by running
 * `radon cc -j` (blocks, in radon's order) and `ComplexityVisitor.from_code(src).total_complexity`
 * on each snippet; complexity.test.ts re-checks them live when radon is installed.
 */
export interface ComplexityCase {
  name: string;
  source: string;
  /** [qualified name, kind, line, endLine, complexity], in radon's output order. */
  blocks: Array<[string, "function" | "method" | "class", number, number, number]>;
  /** radon's module total_complexity. */
  total: number;
}

export const COMPLEXITY_CASES: ComplexityCase[] = [
  {
    name: "assert adds 1 and hides its own operands; with adds nothing",
    source: `def f(a):
    assert a and a > 1, "message" if a else "other"
    with open(a) as fh, open(a) as gh:
        pass
    assert a
`,
    blocks: [
      ["f", "function", 1, 1, 3],
    ],
    total: 3,
  },
  {
    name: "async for counts like for (with else), async comprehensions count",
    source: `async def f(xs):
    async for x in xs:
        pass
    else:
        pass
    async with xs as y:
        pass
    return [z async for z in xs if z]
`,
    blocks: [
      ["f", "function", 1, 8, 5],
    ],
    total: 5,
  },
  {
    name: "each and/or operator adds 1, however Python groups the BoolOps",
    source: `def f(a, b, c, d):
    x = a and b and c
    y = a and b or c
    z = (a or b) and (c or d)
    return not a
`,
    blocks: [
      ["f", "function", 1, 5, 8],
    ],
    total: 8,
  },
  {
    name: "class = trunc((1 + body + methods) / methods) + 1 with several methods; nested classes ignored",
    source: `class C:
    x = 1 if True else 2
    ys = [y for y in range(3)]

    def a(self):
        if self:
            return 1
        return 2

    @property
    def b(self):
        return self.x or self.ys

    if True:
        def c(self):
            pass

    class Inner:
        def d(self):
            if self:
                pass
`,
    blocks: [
      ["C", "class", 1, 16, 4],
      ["C.a", "method", 5, 8, 2],
      ["C.b", "method", 11, 12, 2],
      ["C.c", "method", 15, 16, 1],
    ],
    total: 9,
  },
  {
    name: "a class without methods reports its real complexity",
    source: `class Empty:
    pass

class Data:
    a = 1 if x else 2
    b = [i for i in range(3) if i]
`,
    blocks: [
      ["Data", "class", 4, 6, 4],
      ["Empty", "class", 1, 2, 1],
    ],
    total: 4,
  },
  {
    name: "a class with one method reports 1 + body + method",
    source: `class One:
    def m(self, a):
        if a:
            pass
        for b in a:
            pass
        return a or b
`,
    blocks: [
      ["One", "class", 1, 7, 5],
      ["One.m", "method", 2, 7, 4],
    ],
    total: 5,
  },
  {
    name: "closures and classes inside functions are neither listed nor counted",
    source: `def outer(a):
    if a:
        pass
    def inner(b):
        if b:
            return b
        return a and b
    class Local:
        def method(self):
            if self:
                pass
    return inner
`,
    blocks: [
      ["outer", "function", 1, 12, 2],
    ],
    total: 2,
  },
  {
    name: "each comprehension for and if adds 1",
    source: `def f(xs):
    a = [x for x in xs]
    b = {x for x in xs if x if x > 1}
    c = {x: y for x in xs for y in x if y}
    d = list(x for x in xs if x)
    return a, b, c, d
`,
    blocks: [
      ["f", "function", 1, 6, 10],
    ],
    total: 10,
  },
  {
    name: "decorators, defaults, annotations and class bases are never visited",
    source: `import functools

@functools.lru_cache(maxsize=1 if True else 2)
def f(a=1 if True else 2, b=[x for x in range(3) if x]) -> int if True else str:
    return a

@decorate(a or b)
class C(Base if True else object):
    pass
`,
    blocks: [
      ["f", "function", 4, 5, 1],
      ["C", "class", 8, 9, 1],
    ],
    total: 1,
  },
  {
    name: "endline is the greatest lineno radon sees in the last body statement",
    source: `def ends_with_def():
    x = 1
    def inner():
        return 2

def ends_with_assert():
    x = 1
    assert x

def ends_with_else_assert(a):
    if a:
        y = 1
    else:
        assert a

def ends_with_docstring():
    """Line one.

    Line three.
    """

def ends_with_call(a):
    return dict(
        a=1,
        b=2,
    )

def ends_with_attribute_chain(a):
    return (a
        .strip()
        .lower())

def ends_with_comment(a):
    return a
    # trailing comment

def ends_with_class():
    x = 1
    class Nested:
        y = 2
`,
    blocks: [
      ["ends_with_else_assert", "function", 10, 12, 3],
      ["ends_with_assert", "function", 6, 6, 2],
      ["ends_with_def", "function", 1, 1, 1],
      ["ends_with_docstring", "function", 16, 17, 1],
      ["ends_with_call", "function", 22, 25, 1],
      ["ends_with_attribute_chain", "function", 28, 29, 1],
      ["ends_with_comment", "function", 33, 34, 1],
      ["ends_with_class", "function", 37, 37, 1],
    ],
    total: 4,
  },
  {
    name: "f-string expressions count and give their own lines",
    source: `def f(a, b):
    return f"""start
{a if a else b}
{a!r:>{
  b}}
end"""

def g(a):
    return ("plain"
        f"{a or 1}"
        "tail")
`,
    blocks: [
      ["f", "function", 1, 5, 2],
      ["g", "function", 8, 10, 2],
    ],
    total: 3,
  },
  {
    name: "if and each elif add 1, else adds nothing",
    source: `def f(a):
    if a == 1:
        return 1
    elif a == 2:
        return 2
    elif a == 3:
        return 3
    else:
        return 4
`,
    blocks: [
      ["f", "function", 1, 9, 4],
    ],
    total: 4,
  },
  {
    name: "for and while add 1, plus 1 with an else",
    source: `def f(xs):
    for x in xs:
        pass
    else:
        pass
    while xs:
        xs.pop()
    else:
        pass
    for y in xs:
        pass
    while False:
        pass
`,
    blocks: [
      ["f", "function", 1, 13, 7],
    ],
    total: 7,
  },
  {
    name: "match/case add nothing but guards and case bodies count",
    source: `def f(cmd):
    match cmd:
        case [x, *rest] if x and rest:
            return 1
        case {"k": v} | Point(x=v) as z:
            return 2
        case _:
            return 3 if cmd else 4
`,
    blocks: [
      ["f", "function", 1, 8, 3],
    ],
    total: 3,
  },
  {
    name: "module-level definitions inside if/else are listed; module total adds blocks",
    source: `import os
if os.name == "nt":
    def f():
        pass
else:
    def f(a):
        return a or 1
for i in range(3):
    pass
x = [a for a in range(3) if a]
assert x
try:
    import json
except ImportError:
    json = None
class K:
    def m(self):
        return 1 if self else 2
`,
    blocks: [
      ["K", "class", 16, 18, 3],
      ["f", "function", 6, 7, 2],
      ["K.m", "method", 17, 18, 2],
      ["f", "function", 3, 4, 1],
    ],
    total: 10,
  },
  {
    name: "methods list in score order; closures in methods are hidden",
    source: `class A:
    def m(self):
        def helper(x):
            return x if x else 0
        return helper

class B(A):
    async def n(self):
        return [i async for i in self]
`,
    blocks: [
      ["B", "class", 7, 9, 3],
      ["A", "class", 1, 5, 2],
      ["B.n", "method", 8, 9, 2],
      ["A.m", "method", 2, 5, 1],
    ],
    total: 4,
  },
  {
    name: "one-line bodies and semicolon statements",
    source: `def f(a): return a if a else 0
class C: x = 1; y = 2 if x else 3
def g(a):
    if a: return 1
    return 2
`,
    blocks: [
      ["f", "function", 1, 1, 2],
      ["g", "function", 3, 5, 2],
      ["C", "class", 2, 2, 2],
    ],
    total: 4,
  },
  {
    name: "conditional expressions count, lambdas only through their body",
    source: `def f(a):
    g = lambda x: x if x else a
    h = lambda: a or 1
    return g, h
`,
    blocks: [
      ["f", "function", 1, 4, 3],
    ],
    total: 3,
  },
  {
    name: "each except handler adds 1, try-else adds 1, finally adds nothing",
    source: `def f():
    try:
        pass
    except ValueError:
        pass
    except (KeyError, IndexError) as e:
        pass
    else:
        pass
    finally:
        pass
    try:
        pass
    finally:
        pass
`,
    blocks: [
      ["f", "function", 1, 15, 4],
    ],
    total: 4,
  },
  {
    name: "except* (TryStar) handlers and else add nothing in radon 5.1.0",
    source: `def f():
    try:
        pass
    except* ValueError:
        if x:
            pass
    except* TypeError:
        pass
    else:
        pass
`,
    blocks: [
      ["f", "function", 1, 10, 2],
    ],
    total: 2,
  },
  {
    name: "walrus, global, yield from and del add nothing",
    source: `def f(xs):
    global counter
    if (n := len(xs)) > 10:
        counter = n
    yield from xs
    del xs
`,
    blocks: [
      ["f", "function", 1, 6, 2],
    ],
    total: 2,
  },
  {
    name: "a match guard's if adds nothing but a comprehension inside it counts",
    source: `def f(cmd):
    match cmd:
        case [*xs] if [x for x in xs if x]:
            return 1
        case {"k": 1, **rest}:
            return 2
`,
    blocks: [
      ["f", "function", 1, 6, 3],
    ],
    total: 3,
  },
  {
    name: "lambda defaults and annotated assignments inside a function count",
    source: `def f(a):
    g = lambda x=(a if a else 1), *rest, y=a or 2: x
    z: (int if a else str) = 1
    return g, z
`,
    blocks: [
      ["f", "function", 1, 4, 4],
    ],
    total: 4,
  },
  {
    name: "an except* try nested in a plain try's else adds nothing of its own",
    source: `def f(a):
    try:
        pass
    except OSError:
        pass
    else:
        try:
            pass
        except* ValueError:
            pass
        else:
            pass
`,
    blocks: [
      ["f", "function", 1, 12, 3],
    ],
    total: 3,
  },
  {
    name: "a decorated nested def as last statement ends the function on its def line",
    source: `def outer(a):
    if a:
        return 1

    @staticmethod
    def inner():
        return 2
`,
    blocks: [
      ["outer", "function", 1, 1, 2],
    ],
    total: 2,
  },
  {
    name: "classes and functions under module-level try/with are listed; inner classes are not",
    source: `try:
    class A:
        def m(self):
            return 1 if self else 2

        class B:
            def n(self):
                pass
except ImportError:
    class A:
        pass
with open("x") as fh:
    def g():
        return fh
`,
    blocks: [
      ["A", "class", 2, 4, 3],
      ["A.m", "method", 3, 4, 2],
      ["g", "function", 13, 14, 1],
      ["A", "class", 10, 11, 1],
    ],
    total: 4,
  },
  {
    name: "a class ends at the greatest of its statements and its methods' radon endlines",
    source: `class C:
    x = 1

    def n(self):
        return [
            1,
            2,
        ]

    def m(self):
        y = 1
        def inner():
            return y
`,
    blocks: [
      ["C", "class", 1, 10, 2],
      ["C.n", "method", 4, 7, 1],
      ["C.m", "method", 10, 10, 1],
    ],
    total: 3,
  },
  {
    name: "nested f-strings, = specifiers and format specs count their expressions",
    source: `def f(a, b):
    x = f"{a!r} {b=} {f'{a or b}'}"
    return f"{a:{b if b else 3}}"
`,
    blocks: [
      ["f", "function", 1, 3, 3],
    ],
    total: 3,
  },
  {
    name: "while True with break/continue counts only its conditions",
    source: `def f(xs):
    while True:
        if not xs:
            break
        elif xs[0] is None and xs[1] is None or xs[2]:
            continue
        xs.pop()
    return xs
`,
    blocks: [
      ["f", "function", 1, 8, 6],
    ],
    total: 6,
  },
];
