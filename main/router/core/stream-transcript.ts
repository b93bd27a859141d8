/** Chat completions stream `delta.content`; completions stream `text`. */
export type CompletionKind = 'chat' | 'text';

/** The fields of the first event that a client keeps seeing on every later one, whichever endpoint sent it. */
export type StreamIdentity = Partial<Record<'id' | 'object' | 'created' | 'model' | 'system_fingerprint', unknown>>;

const CONTENT_KEY = Buffer.from('"content":');
const TEXT_KEY = Buffer.from('"text":');
const FINISH_KEY = Buffer.from('"finish_reason":');
const TOOL_CALLS_KEY = Buffer.from('"tool_calls":');
const DATA_FIELD = Buffer.from('data:');
const ERROR_EVENT_LINE = Buffer.from('event: error');
const ERROR_OBJECT = Buffer.from('{"error"');
const DONE = Buffer.from('[DONE]');
/** A line longer than this is not a token event; the transcript gives up rather than hold it. */
const MAX_LINE_BYTES = 1 << 20;
const IDENTITY_KEYS = ['id', 'object', 'created', 'model', 'system_fingerprint'] as const;

const NEWLINE = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const BACKSLASH = 92;

/**
 * What a completion stream has said so far, kept so that another endpoint can continue it: the text
 * of its `content`/`text` deltas, how many events carried text (llama.cpp and OpenAI send one token
 * per event), whether it already finished, and whether the client is between two events. It reads
 * the SSE payload as it passes, without a JSON parse per token: a data line is searched for the one
 * key it needs and that string is read in place (the first event is kept, and parsed whole only
 * when a migration needs the stream's id, model and `created`).
 */
export class StreamTranscript {
  /** Events that carried text. */
  tokens = 0;
  /** A finish_reason was sent: the generation is complete even if the connection breaks now. */
  finished = false;
  /** `data: [DONE]` was sent. */
  done = false;
  /** Why this stream cannot be continued as text, when it cannot (tool calls, an unreadable line). */
  unsupported: string | null = null;
  /** The error event the endpoint sent, when it sent one. */
  errorEvent: string | null = null;
  private readonly parts: string[] = [];
  /** The first data line, parsed only when a migration needs the stream's identity. */
  private firstData: Buffer | null = null;
  private parsedIdentity: StreamIdentity | null = null;
  private readonly key: Buffer;
  private pending: Buffer | null = null;
  private lastLineBlank = true;

  constructor(kind: CompletionKind) {
    this.key = kind === 'chat' ? CONTENT_KEY : TEXT_KEY;
  }

  get text(): string {
    if (this.parts.length > 1) this.parts.splice(0, this.parts.length, this.parts.join(''));
    return this.parts[0] ?? '';
  }

  /** The first event's id, object, created, model and system_fingerprint (those it has); null before any event. */
  get identity(): StreamIdentity | null {
    if (this.parsedIdentity === null && this.firstData !== null) this.parsedIdentity = identityOf(this.firstData);
    return this.parsedIdentity;
  }

  /** Whether the client holds no partial event: what it got so far ends with an event's blank line. */
  get atEventBoundary(): boolean {
    return this.pending === null && this.lastLineBlank;
  }

  /** Text that reached the client by another way (a continuation's events, which are parsed whole). */
  addText(text: string): void {
    if (text === '') return;
    this.parts.push(text);
    this.tokens += 1;
  }

  /**
   * Reads the next payload bytes. Returns where an error event starts in them (negative when it began
   * in bytes read before), or null; after an error event nothing more is read.
   */
  read(payload: Buffer): number | null {
    if (this.errorEvent !== null || this.unsupported !== null) return null;
    let bytes = payload;
    let base = 0;
    if (this.pending) {
      base = -this.pending.length;
      bytes = Buffer.concat([this.pending, payload]);
      this.pending = null;
    }
    let at = 0;
    for (let newline = bytes.indexOf(NEWLINE); newline !== -1; newline = bytes.indexOf(NEWLINE, at)) {
      const end = newline > at && bytes[newline - 1] === CR ? newline - 1 : newline;
      if (end === at) this.lastLineBlank = true;
      else {
        const line = bytes.subarray(at, end);
        if (isErrorLine(line)) {
          this.errorEvent = line.toString('utf8', 0, Math.min(line.length, 300));
          return base + at;
        }
        this.lastLineBlank = false;
        if (startsWith(line, DATA_FIELD)) this.readData(line.subarray(line[DATA_FIELD.length] === SPACE ? DATA_FIELD.length + 1 : DATA_FIELD.length));
      }
      at = newline + 1;
    }
    if (at < bytes.length) {
      if (bytes.length - at > MAX_LINE_BYTES) this.unsupported = `an SSE line over ${MAX_LINE_BYTES} bytes`;
      else this.pending = bytes.subarray(at);
    }
    return null;
  }

  private readData(data: Buffer): void {
    if (data.equals(DONE)) {
      this.done = true;
      return;
    }
    this.firstData ??= Buffer.from(data);
    const finish = valueAfter(data, FINISH_KEY);
    if (finish !== -1 && data[finish] !== 110 /* n of null */) this.finished = true;
    const toolCalls = valueAfter(data, TOOL_CALLS_KEY);
    if (toolCalls !== -1 && data[toolCalls] !== 110) this.unsupported = 'the stream carries tool calls';
    const content = valueAfter(data, this.key);
    if (content !== -1 && data[content] === QUOTE) {
      const text = readJsonString(data, content);
      if (text === null) this.unsupported = 'a text delta could not be read';
      else this.addText(text);
    }
  }
}

function isErrorLine(line: Buffer): boolean {
  if (startsWith(line, ERROR_EVENT_LINE)) return true;
  if (!startsWith(line, DATA_FIELD)) return false;
  let at = DATA_FIELD.length;
  while (line[at] === SPACE) at += 1;
  return startsWith(line, ERROR_OBJECT, at);
}

function startsWith(bytes: Buffer, prefix: Buffer, at = 0): boolean {
  return bytes.length >= at + prefix.length && bytes.compare(prefix, 0, prefix.length, at, at + prefix.length) === 0;
}

/** Where the value of `key` starts in a JSON line (after optional spaces), or -1; a key inside a string is preceded by a backslash and skipped. */
function valueAfter(line: Buffer, key: Buffer): number {
  for (let found = line.indexOf(key); found !== -1; found = line.indexOf(key, found + 1)) {
    if (found > 0 && line[found - 1] === BACKSLASH) continue;
    let at = found + key.length;
    while (line[at] === SPACE) at += 1;
    return at;
  }
  return -1;
}

/** The JSON string starting at the quote at `start`: sliced as it is when it has no escapes, else decoded by JSON.parse. */
function readJsonString(line: Buffer, start: number): string | null {
  let escaped = false;
  for (let at = start + 1; at < line.length; at += 1) {
    const c = line[at];
    if (c === BACKSLASH) {
      escaped = true;
      at += 1;
    } else if (c === QUOTE) {
      if (!escaped) return line.toString('utf8', start + 1, at);
      try {
        return JSON.parse(line.toString('utf8', start, at + 1)) as string;
      } catch {
        return null;
      }
    }
  }
  return null;
}

/** The first event's identity fields; an event that is not a JSON object gives none (and is not parsed again). */
function identityOf(data: Buffer): StreamIdentity {
  try {
    const event = JSON.parse(data.toString('utf8')) as unknown;
    if (typeof event !== 'object' || event === null) return {};
    const identity: StreamIdentity = {};
    for (const key of IDENTITY_KEYS) if (key in event) identity[key] = (event as Record<string, unknown>)[key];
    return identity;
  } catch {
    return {};
  }
}
