/** OpenAI's error body: `{"error": {"message", "type", "param", "code"}}`; clients read `message` and `code`. */
export interface OpenAiError {
  status: number;
  type: 'invalid_request_error' | 'authentication_error' | 'permission_error' | 'not_found_error' | 'rate_limit_error' | 'server_error' | 'upstream_error';
  code: string;
  message: string;
  param?: string | undefined;
}

export function openAiErrorBody(error: OpenAiError): string {
  return JSON.stringify({ error: { message: error.message, type: error.type, param: error.param ?? null, code: error.code } });
}

/** The SSE event that tells a streaming client its stream broke after it started (the `openai` client throws on it). */
export function streamErrorEvent(message: string): string {
  return `data: ${JSON.stringify({ error: { message, type: 'upstream_error', param: null, code: 'stream_interrupted' } })}\n\n`;
}

export const badRequest = (code: string, message: string, param?: string): OpenAiError => ({ status: 400, type: 'invalid_request_error', code, message, param });
