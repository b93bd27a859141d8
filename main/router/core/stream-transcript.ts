/** Chat completions stream `delta.content`; completions stream `text`. */
export type CompletionKind = 'chat' | 'text';

/** The fields of the first event that a client keeps seeing on every later one, whichever endpoint sent it. */
export type StreamIdentity = Partial<Record<'id' | 'object' | 'created' | 'model' | 'system_fingerprint', unknown>>;

const CONTENT_KEY = '"content":';
const TEXT_KEY = '"text":';
const FINISH_KEY = '"finish_reason":';
const TOOL_CALLS_KEY = '"tool_calls":';
/** A line longer than this is not a token event; the transcript gives up rather than hold it. */
const MAX_LINE_BYTES = 1 << 20;
const IDENTITY_KEYS = ['id', 'object', 'created', 'model', 'system_fingerprint'] as const;

const NEWLINE = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const BACKSLASH = 92;
const N = 110;

/**
 * What a completion stream has said so far, kept so that another endpoint can continue it: the text
 * of its `content`/`text` deltas, how many events carried text (llama.cpp and OpenAI send one token
 * per event), whether it already finished, and whether the client is between two events. It reads
 * the SSE payload as it passes, without a JSON parse per token: each line is taken as latin1 (one
 * byte, one character: offsets stay byte offsets), searched for the keys it needs, and the text is
 * decoded from the bytes in place (the first event is kept, and parsed whole only
 * when a migration needs the stream's id, model and `created`).
 */
export class StreamTranscript {
  /** Events that carried text. */
  tokens = 0;
  /** `data: [DONE]` was sent. */
  done = false;
  /** The error event the endpoint sent, when it sent one. */
  errorEvent: string | null = null;
  private readonly parts: string[] = [];
  /** The first data line, parsed only when a migration needs the stream's identity. */
  private firstData: Buffer | null = null;
  private parsedIdentity: StreamIdentity | null = null;
  /**
   * The last two data lines (latin1), read again only when the stream breaks: a finish_reason or tool
   * calls show in the last events, so they need no search in every token's line.
   */
  private lastData: string | null = null;
  private previousData: string | null = null;
  private finishedElsewhere = false;
  private unreadable: string | null = null;
  private readonly key: string;
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

  /** A finish_reason was sent: the generation is complete even if the connection breaks now. */
  get finished(): boolean {
    return this.finishedElsewhere || carries(this.lastData, FINISH_KEY) || carries(this.previousData, FINISH_KEY);
  }

  /** Why this stream cannot be continued as text, when it cannot (tool calls, an unreadable line). */
  get unsupported(): string | null {
    return this.unreadable ?? (carries(this.lastData, TOOL_CALLS_KEY) || carries(this.previousData, TOOL_CALLS_KEY) ? 'the stream carries tool calls' : null);
  }

  /** A continuation's finish_reason (its events are parsed whole). */
  markFinished(): void {
    this.finishedElsewhere = true;
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
    if (this.errorEvent !== null || this.unreadable !== null) return null;
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
        const line = bytes.toString('latin1', at, end);
        if (isErrorLine(line)) {
          this.errorEvent = bytes.toString('utf8', at, Math.min(end, at + 300));
          return base + at;
        }
        this.lastLineBlank = false;
        if (line.startsWith('data:')) this.readData(bytes, at, line, line.charCodeAt(5) === SPACE ? 6 : 5);
      }
      at = newline + 1;
    }
    if (at < bytes.length) {
      if (bytes.length - at > MAX_LINE_BYTES) this.unreadable = `an SSE line over ${MAX_LINE_BYTES} bytes`;
      else this.pending = bytes.subarray(at);
    }
    return null;
  }

  /** One data line: `line` is its latin1 text, starting at `lineAt` in `bytes`; its data starts at `from`. */
  private readData(bytes: Buffer, lineAt: number, line: string, from: number): void {
    if (line.length - from === 6 && line.endsWith('[DONE]')) {
      this.done = true;
      return;
    }
    this.firstData ??= Buffer.from(bytes.subarray(lineAt + from, lineAt + line.length));
    this.previousData = this.lastData;
    this.lastData = line;
    const content = valueAfter(line, this.key, from);
    if (content !== -1 && line.charCodeAt(content) === QUOTE) {
      const text = readJsonString(bytes, lineAt, line, content);
      if (text === null) this.unreadable = 'a text delta could not be read';
      else this.addText(text);
    }
  }
}

function isErrorLine(line: string): boolean {
  if (line.startsWith('event: error')) return true;
  if (!line.startsWith('data:')) return false;
  let at = 5;
  while (line.charCodeAt(at) === SPACE) at += 1;
  return line.startsWith('{"error"', at);
}

/** Whether a data line has `key` with a value other than null. */
function carries(line: string | null, key: string): boolean {
  if (line === null) return false;
  const value = valueAfter(line, key, 5);
  return value !== -1 && line.charCodeAt(value) !== N;
}

/** Where the value of `key` starts in a JSON line (after optional spaces), or -1; a key inside a string is preceded by a backslash and skipped. */
function valueAfter(line: string, key: string, from: number): number {
  for (let found = line.indexOf(key, from); found !== -1; found = line.indexOf(key, found + 1)) {
    if (line.charCodeAt(found - 1) === BACKSLASH) continue;
    let at = found + key.length;
    while (line.charCodeAt(at) === SPACE) at += 1;
    return at;
  }
  return -1;
}

/** The JSON string at the quote at `start` of `line` (whose bytes start at `lineAt`): decoded from the bytes as it is when it has no escapes, else by JSON.parse. */
function readJsonString(bytes: Buffer, lineAt: number, line: string, start: number): string | null {
  let escaped = false;
  for (let at = start + 1; at < line.length; at += 1) {
    const c = line.charCodeAt(at);
    if (c === BACKSLASH) {
      escaped = true;
      at += 1;
    } else if (c === QUOTE) {
      if (!escaped) return bytes.toString('utf8', lineAt + start + 1, lineAt + at);
      try {
        return JSON.parse(bytes.toString('utf8', lineAt + start, lineAt + at + 1)) as string;
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
