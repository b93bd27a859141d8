import type { HeadApi, PromptResult } from '../core/ports.js';

/** The head's OpenAI-compatible API as the launch and the supervisor use it: health and a streamed test prompt. */

async function headHealthy(apiUrl: string, path: string, timeoutMs = 3000): Promise<boolean> {
  try {
    const response = await fetch(`${apiUrl}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** Streams one chat completion; `onText` gets each piece as it arrives. */
async function streamPrompt(apiUrl: string, model: string, prompt: string, maxTokens: number, onText: (text: string) => void, signal?: AbortSignal): Promise<PromptResult> {
  const started = performance.now();
  const response = await fetch(`${apiUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: prompt }], max_tokens: maxTokens, stream: true, stream_options: { include_usage: true } }),
    signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(120_000)]) : AbortSignal.timeout(120_000),
  });
  if (response.status !== 200 || !response.body) throw new Error(`the head answered HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`);
  let text = '';
  let pieces = 0;
  let usageTokens: number | null = null;
  let engineRate: number | null = null;
  let firstAt: number | null = null;
  let buffer = '';
  const decoder = new TextDecoder();
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, end).trim();
      buffer = buffer.slice(end + 1);
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (data === '[DONE]') continue;
      const event = JSON.parse(data) as {
        choices?: Array<{ delta?: { content?: string | null } }>;
        usage?: { completion_tokens?: number };
        timings?: { predicted_per_second?: number };
      };
      const piece = event.choices?.[0]?.delta?.content;
      if (piece) {
        firstAt ??= performance.now();
        pieces += 1;
        text += piece;
        onText(piece);
      }
      if (event.usage?.completion_tokens !== undefined) usageTokens = event.usage.completion_tokens;
      if (event.timings?.predicted_per_second) engineRate = event.timings.predicted_per_second;
    }
  }
  const ended = performance.now();
  const tokens = usageTokens ?? pieces;
  const ttftMs = (firstAt ?? ended) - started;
  const generationMs = ended - (firstAt ?? started);
  return { text, tokens, ttftMs, tokensPerSecond: engineRate ?? (generationMs > 0 ? (tokens / generationMs) * 1000 : 0) };
}

export const headApi: HeadApi = { healthy: (apiUrl, path) => headHealthy(apiUrl, path), prompt: streamPrompt };
