import { PyAgentError } from "../../core/index.js";

export type ApiErrorType = "invalid_request_error" | "authentication_error" | "not_found_error" | "server_error";

/**
 * A request the server answers with an OpenAI-style error object:
 * `{"error": {"message", "type", "param", "code"}}` and the HTTP status.
 */
export class ApiError extends PyAgentError {
  override readonly name = "ApiError";
  readonly status: number;
  readonly type: ApiErrorType;
  readonly param: string | null;
  readonly code: string | null;

  constructor(status: number, message: string, options: { type?: ApiErrorType; param?: string | null; code?: string | null } = {}) {
    super(message, { status, param: options.param ?? null, code: options.code ?? null });
    this.status = status;
    this.type = options.type ?? (status >= 500 ? "server_error" : "invalid_request_error");
    this.param = options.param ?? null;
    this.code = options.code ?? null;
  }

  toBody(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}
