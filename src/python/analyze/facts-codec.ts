import type { DefinitionFact, ModuleFacts } from "../types.js";

/**
 * A compact text form of ModuleFacts for the store: definitions and calls (nearly all of a
 * module's facts) as flat arrays of values instead of objects that repeat every key, so a project's
 * facts serialize, store and parse in about half the bytes. `decodeFacts(encodeFacts(f))` equals f,
 * optional fields included (present exactly when they were).
 *
 * Layout: [FORMAT, definitions, imports, usedNames, calls, dunderAll, stringNames, usedPrefixes, usedSuffixes]
 *   definitions: per definition `name, kind, line, endLine, confidence, implicitlyUsed (0/1), extra`
 *                where extra is 0 (neither), or [startLine | null, bases | null]
 *   calls:       per call `caller, callee, line`
 *   optional lists are null when absent.
 */
const FORMAT = 1;
const DEFINITION_FIELDS = 7;
const CALL_FIELDS = 3;

type Extra = 0 | [number | null, string[] | null];

export function encodeFacts(facts: ModuleFacts): string {
  const definitions: Array<string | number | Extra> = [];
  for (const definition of facts.definitions) {
    const extra: Extra = definition.startLine === undefined && definition.bases === undefined ? 0 : [definition.startLine ?? null, definition.bases ?? null];
    definitions.push(definition.name, definition.kind, definition.line, definition.endLine, definition.confidence, definition.implicitlyUsed ? 1 : 0, extra);
  }
  const calls: Array<string | number> = [];
  for (const call of facts.calls) calls.push(call.caller, call.callee, call.line);
  return JSON.stringify([
    FORMAT,
    definitions,
    facts.imports,
    facts.usedNames,
    calls,
    facts.dunderAll,
    facts.stringNames ?? null,
    facts.usedPrefixes ?? null,
    facts.usedSuffixes ?? null,
  ]);
}

export function decodeFacts(text: string): ModuleFacts {
  const [format, definitionValues, imports, usedNames, callValues, dunderAll, stringNames, usedPrefixes, usedSuffixes] = JSON.parse(text) as [
    number,
    Array<string | number | Extra>,
    ModuleFacts["imports"],
    string[],
    Array<string | number>,
    string[] | null,
    string[] | null,
    string[] | null,
    string[] | null,
  ];
  if (format !== FORMAT) throw new Error(`stored facts have format ${format}, expected ${FORMAT}`);
  const definitions: DefinitionFact[] = [];
  for (let index = 0; index < definitionValues.length; index += DEFINITION_FIELDS) {
    const definition: DefinitionFact = {
      name: definitionValues[index] as string,
      kind: definitionValues[index + 1] as DefinitionFact["kind"],
      line: definitionValues[index + 2] as number,
      endLine: definitionValues[index + 3] as number,
      confidence: definitionValues[index + 4] as number,
      implicitlyUsed: definitionValues[index + 5] === 1,
    };
    const extra = definitionValues[index + 6] as Extra;
    if (extra !== 0) {
      if (extra[0] !== null) definition.startLine = extra[0];
      if (extra[1] !== null) definition.bases = extra[1];
    }
    definitions.push(definition);
  }
  const calls: ModuleFacts["calls"] = [];
  for (let index = 0; index < callValues.length; index += CALL_FIELDS) {
    calls.push({ caller: callValues[index] as string, callee: callValues[index + 1] as string, line: callValues[index + 2] as number });
  }
  const facts: ModuleFacts = { definitions, imports, usedNames, calls, dunderAll };
  if (stringNames !== null) facts.stringNames = stringNames;
  if (usedPrefixes !== null) facts.usedPrefixes = usedPrefixes;
  if (usedSuffixes !== null) facts.usedSuffixes = usedSuffixes;
  return facts;
}
