import type { CompletionKind, StreamIdentity, StreamTranscript } from './stream-transcript.js';

/**
 * Request migration: a stream whose endpoint fails after the first token is continued on another
 * endpoint, which is sent the request with the text generated so far (chat: a final assistant message
 * to continue; completions: the prompt extended) and what is left of the token limit. Its events are
 * re-framed so the client reads one stream: the first endpoint's id, model and `created`, no second
 * role delta, `usage` counted across both.
 */
export type ContinuationPlan =
  | { kind: 'continue'; body: Buffer }
  /** The token limit is spent: the router ends the stream itself with these events. */
  | { kind: 'complete'; events: string }
  | { kind: 'impossible'; reason: string };

export const DONE_EVENT = 'data: [DONE]\n\n';

const TOKEN_LIMITS = ['max_tokens', 'max_completion_tokens'] as const;

/** The request that continues `transcript` elsewhere; `fields` is the request as the first endpoint got it, passed on unchanged but for the prompt and the token limits. */
export function planContinuation(kind: CompletionKind, fields: Readonly<Record<string, unknown>>, transcript: StreamTranscript): ContinuationPlan {
  if (transcript.unsupported !== null) return { kind: 'impossible', reason: transcript.unsupported };
  if (fields.n !== undefined && fields.n !== 1) return { kind: 'impossible', reason: 'the request asks for several choices (n)' };
  const next: Record<string, unknown> = { ...fields };
  for (const limit of TOKEN_LIMITS) {
    const value = fields[limit];
    if (typeof value !== 'number') continue;
    const left = value - transcript.tokens;
    if (left <= 0) return { kind: 'complete', events: closingEvents(kind, transcript.identity, 'length') };
    next[limit] = left;
  }
  const text = transcript.text;
  if (text !== '' && kind === 'chat') {
    const messages = fields.messages as readonly unknown[];
    const last = messages.at(-1);
    // A request that already ends with an assistant message asked for that message to be continued: it grows.
    next.messages = isAssistantText(last) ? [...messages.slice(0, -1), { ...last, content: last.content + text }] : [...messages, { role: 'assistant', content: text }];
  } else if (text !== '') {
    const { prompt } = fields;
    if (typeof prompt === 'string') next.prompt = prompt + text;
    else if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string') next.prompt = [prompt[0] + text];
    else return { kind: 'impossible', reason: 'the prompt is not a single text (token ids or a batch)' };
    // The client already got the prompt echoed by the first endpoint.
    if (fields.echo === true) next.echo = false;
  }
  return { kind: 'continue', body: Buffer.from(JSON.stringify(next)) };
}

/** The last event of a stream the router ends itself, then `[DONE]`. */
export function closingEvents(kind: CompletionKind, identity: StreamIdentity | null, finishReason: string): string {
  const choice = kind === 'chat' ? { index: 0, delta: {}, finish_reason: finishReason } : { index: 0, text: '', finish_reason: finishReason };
  return `data: ${JSON.stringify({ ...identity, choices: [choice] })}\n\n${DONE_EVENT}`;
}

/**
 * Turns a continuation's SSE payload into the events the client gets. Each event is parsed whole: a
 * continuation is rare, and its events are rewritten anyway. Text it carries is added to the
 * transcript, so a later migration continues from there.
 */
export class ContinuationFramer {
  private readonly decoder = new TextDecoder();
  private pending = '';
  private readonly tokensBefore: number;
  private over = false;

  constructor(
    private readonly kind: CompletionKind,
    private readonly transcript: StreamTranscript,
  ) {
    this.tokensBefore = transcript.tokens;
  }

  /** The client's events for the next payload bytes, and the endpoint's error event when it sent one (nothing after it is read). */
  read(payload: Buffer): { events: string; error: string | null } {
    if (this.over) return { events: '', error: null };
    const blocks = (this.pending + this.decoder.decode(payload, { stream: true })).split(/\r?\n\r?\n/);
    this.pending = blocks.pop() ?? '';
    let events = '';
    for (const block of blocks) {
      const lines = block.split(/\r?\n/);
      const data = lines.filter((line) => line.startsWith('data:')).map((line) => line.slice(line.startsWith('data: ') ? 6 : 5));
      if (lines.some((line) => line === 'event: error')) return this.failed(events, data.join('\n') || 'an error event');
      if (data.length === 0) continue;
      const text = data.join('\n');
      if (text === '[DONE]') {
        this.transcript.done = true;
        events += DONE_EVENT;
        continue;
      }
      const event = parseObject(text);
      if (event === null) events += `data: ${text}\n\n`;
      else if ('error' in event) return this.failed(events, JSON.stringify(event.error));
      else if (this.rewrite(event)) events += `data: ${JSON.stringify(event)}\n\n`;
    }
    return { events, error: null };
  }

  private failed(events: string, error: string): { events: string; error: string } {
    this.over = true;
    return { events, error: error.slice(0, 300) };
  }

  /** Rewrites one event in place; false when nothing is left of it for the client (the continuation's role-only first delta). */
  private rewrite(event: Record<string, unknown>): boolean {
    Object.assign(event, this.transcript.identity);
    const choices = Array.isArray(event.choices) ? (event.choices as unknown[]) : [];
    const choice = asObject(choices[0]);
    const delta = this.kind === 'chat' ? asObject(choice?.delta) : null;
    if (delta) delete delta.role;
    const text = this.kind === 'chat' ? delta?.content : choice?.text;
    if (typeof text === 'string') this.transcript.addText(text);
    if (choice?.finish_reason != null) this.transcript.markFinished();
    const usage = asObject(event.usage);
    if (usage) event.usage = usageAcrossLegs(usage, this.tokensBefore);
    const empty = delta !== null && choices.length === 1 && choice?.finish_reason == null && choice?.logprobs == null && usage === null && Object.values(delta).every((v) => v == null || v === '');
    return !empty;
  }
}

/**
 * The continuation's usage as if one endpoint had done it all: its completion tokens plus those sent
 * before, and its prompt less the text it was given to continue (an estimate: that text is counted in
 * events, one token each, not re-tokenized).
 */
export function usageAcrossLegs(usage: Record<string, unknown>, tokensBefore: number): Record<string, unknown> {
  const { prompt_tokens: prompt, completion_tokens: completion } = usage;
  if (typeof prompt !== 'number' || typeof completion !== 'number') return usage;
  const promptTokens = Math.max(0, prompt - tokensBefore);
  const completionTokens = completion + tokensBefore;
  return { ...usage, prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

function isAssistantText(message: unknown): message is { role: 'assistant'; content: string } {
  const fields = asObject(message);
  return fields !== null && fields.role === 'assistant' && typeof fields.content === 'string';
}

function asObject(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    return asObject(JSON.parse(text));
  } catch {
    return null;
  }
}
