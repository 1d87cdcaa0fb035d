import { PyAgentError } from "../../core/errors.js";

/** A codemod could not produce valid source (overlapping edits, or output that no longer parses). */
export class CodemodError extends PyAgentError {
  override readonly name = "CodemodError";
}
