// The soak's steady load: a few applications using the official `openai` client against `outpost router`, each
// streaming a short completion, pausing a moment, and asking again, with the client's own settings.
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import type { RequestRecord } from './figures.js';

export interface LoadOptions {
  baseURL: string;
  apiKey: string;
  model: string;
  clients: number;
  maxTokens: number;
  pauseMs: number;
}

export class SteadyLoad {
  readonly records: RequestRecord[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly client: OpenAI;

  constructor(private readonly options: LoadOptions) {
    // The client's defaults (two retries with backoff on a refused connection, a 5xx or a 429) are what an
    // application gets; only the overall timeout is shorter than its ten minutes.
    this.client = new OpenAI({ baseURL: options.baseURL, apiKey: options.apiKey, timeout: 60_000 });
  }

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: this.options.clients }, (_, n) => this.loop(n));
  }

  /** Lets every request in flight finish, then returns. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** The first request that started at or after `since` and ended well (served by `endpoint`, when given). */
  succeededSince(since: number, endpoint?: string): RequestRecord | undefined {
    return this.records.find((r) => r.ok && r.startedAt >= since && (endpoint === undefined || r.endpoint === endpoint));
  }

  private async loop(n: number): Promise<void> {
    for (let i = 0; this.running; i += 1) {
      this.records.push(await this.one(`Application ${n}, request ${i}: write one line about the sea.`));
      await sleep(this.options.pauseMs);
    }
  }

  private async one(prompt: string): Promise<RequestRecord> {
    const startedAt = Date.now();
    let firstTokenAt: number | null = null;
    let endpoint: string | null = null;
    let finished = false;
    try {
      const { data: stream, response } = await this.client.chat.completions.create({ model: this.options.model, messages: [{ role: 'user', content: prompt }], max_tokens: this.options.maxTokens, stream: true }).withResponse();
      endpoint = response.headers.get('x-outpost-endpoint');
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        if (choice?.delta?.content) firstTokenAt ??= Date.now();
        if (choice?.finish_reason) finished = true;
      }
      // The client ends quietly when a stream is cut without [DONE]; only a finish reason says it was whole.
      return { startedAt, firstTokenAt, endedAt: Date.now(), ok: finished, endpoint, error: finished ? null : 'the stream ended without a finish reason' };
    } catch (error) {
      return { startedAt, firstTokenAt, endedAt: Date.now(), ok: false, endpoint, error: error instanceof Error ? error.message : String(error) };
    }
  }
}
