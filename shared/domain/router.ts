import { z } from 'zod';

/** The seed's tiers, nearest first: this site's nodes, an edge datacenter, an upstream router or cloud endpoint. */
export const TIERS = ['site', 'edge', 'upstream'] as const;
export const TierSchema = z.enum(TIERS);
export type Tier = z.infer<typeof TierSchema>;

export const EndpointNameSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'an endpoint name is 1–63 characters: lower-case letters, digits, dot, dash, underscore');
export const ModelNameSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\s,]+$/, 'a model name has no spaces or commas');

export const EndpointUrlSchema = z
  .string()
  .max(2000)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
    } catch {
      return false;
    }
  }, 'an endpoint URL is http(s)://host:port[/base-path] without query, fragment or credentials');

/** An OpenAI-compatible server the router may send requests to. */
export const EndpointSchema = z.object({
  name: EndpointNameSchema,
  url: EndpointUrlSchema,
  tier: TierSchema,
  models: z.array(ModelNameSchema).min(1).max(64),
  /** How many requests it serves at once (llama-server --parallel); queue depth is counted against it. */
  slots: z.number().int().min(1).max(1024),
  createdAt: z.iso.datetime(),
});
export type Endpoint = z.infer<typeof EndpointSchema>;

/** An API key as anyone may see it: never the key, never its hash. */
export const ApiKeyInfoSchema = z.object({
  id: z.string(),
  app: z.string(),
  /** null: every model. */
  models: z.array(ModelNameSchema).nullable(),
  createdAt: z.iso.datetime(),
  revokedAt: z.iso.datetime().nullable(),
});
export type ApiKeyInfo = z.infer<typeof ApiKeyInfoSchema>;

export const AppNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$/, 'an app name is 1–63 letters, digits, spaces, dots, dashes or underscores');

/** Routing policy; `DEFAULT_POLICY` fills what the store does not set. */
export const RouterPolicySchema = z
  .object({
    /** Retries on another endpoint when an attempt fails before the client got a byte. */
    maxRetries: z.number().int().min(0).max(5),
    /** Times one stream may move to another endpoint when its endpoint fails after the first token (request migration); 0: never, the client gets an error event. */
    maxMigrations: z.number().int().min(0).max(5),
    /** An attempt with no first byte after this long is abandoned (and retried). */
    firstByteTimeoutMs: z.number().int().min(100).max(600_000),
    /** Longest silence between two chunks of a started response before it is cut with a stream error. */
    idleTimeoutMs: z.number().int().min(100).max(600_000),
    /** A client must deliver its headers and body within this time (slow-loris guard). */
    clientTimeoutMs: z.number().int().min(100).max(120_000),
    maxBodyBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 2 ** 20),
    /** Consecutive failures that open an endpoint's breaker, and the first cool-down before a trial. */
    breakerFailures: z.number().int().min(1).max(100),
    breakerCooldownMs: z.number().int().min(100).max(600_000),
    probeIntervalMs: z.number().int().min(200).max(600_000),
    /** How fast measured TTFT forgets: after this long without a sample an endpoint counts as unmeasured again. */
    latencyMemoryMs: z.number().int().min(1_000).max(3_600_000),
    /** Characters of the prompt that form the affinity key, and the bounded-load slack ε (capacity (1+ε)·average). */
    affinityPrefixChars: z.number().int().min(0).max(100_000),
    affinityLoadSlack: z.number().min(0).max(10),
  })
  .strict();
export type RouterPolicy = z.infer<typeof RouterPolicySchema>;

export const DEFAULT_POLICY: RouterPolicy = {
  maxRetries: 2,
  maxMigrations: 1,
  firstByteTimeoutMs: 60_000,
  idleTimeoutMs: 60_000,
  clientTimeoutMs: 10_000,
  maxBodyBytes: 2 ** 20,
  breakerFailures: 3,
  breakerCooldownMs: 5_000,
  probeIntervalMs: 5_000,
  latencyMemoryMs: 30_000,
  affinityPrefixChars: 512,
  affinityLoadSlack: 0.25,
};

export const BreakerStateSchema = z.enum(['closed', 'open', 'half-open']);
export type BreakerState = z.infer<typeof BreakerStateSchema>;

/** What the router process reports for one endpoint. */
export const EndpointStatsSchema = z.object({
  name: z.string(),
  tier: TierSchema,
  healthy: z.boolean().nullable(),
  breaker: BreakerStateSchema,
  inFlight: z.number().int().min(0),
  /** Decaying TTFT estimate in ms; null when unmeasured or forgotten. */
  ttftMs: z.number().nullable(),
  /** The most recent TTFTs (ms), oldest first, for a sparkline. */
  recentTtftMs: z.array(z.number()),
  requests: z.number().int().min(0),
  failures: z.number().int().min(0),
});
export type EndpointStats = z.infer<typeof EndpointStatsSchema>;

/** One second of traffic through the router. */
export const TrafficSecondSchema = z.object({
  at: z.number().int(),
  requests: z.number().int().min(0),
  errors: z.number().int().min(0),
  ttftP50Ms: z.number().nullable(),
  ttftP99Ms: z.number().nullable(),
});
export type TrafficSecond = z.infer<typeof TrafficSecondSchema>;

/** The file the router process writes atomically for the core to read. */
export const RouterStatsSchema = z.object({
  pid: z.number().int(),
  listen: z.string(),
  startedAt: z.iso.datetime(),
  writtenAt: z.iso.datetime(),
  configVersion: z.number().int(),
  inFlight: z.number().int().min(0),
  endpoints: z.array(EndpointStatsSchema),
  /** Endpoints removed from the configuration whose requests still run (a rollout waits for them to finish). */
  draining: z.array(z.object({ name: z.string(), inFlight: z.number().int().min(0) })).optional(),
  traffic: z.array(TrafficSecondSchema),
});
export type RouterStats = z.infer<typeof RouterStatsSchema>;

/**
 * One retry, as the router appends it to its retry log and the core copies it into the ops journal (`router.retry`);
 * or, with `kind: 'migration'`, one stream moved after its first token (`router.migration`).
 */
export const RetryRecordSchema = z.object({
  at: z.iso.datetime(),
  requestId: z.string(),
  model: z.string(),
  failedEndpoint: z.string(),
  reason: z.string(),
  attempt: z.number().int().min(1),
  /** Absent: a retry before the first byte. */
  kind: z.literal('migration').optional(),
  /** A migration's new endpoint, and the tokens the client had when the stream moved. */
  toEndpoint: z.string().optional(),
  tokensSoFar: z.number().int().min(0).optional(),
});
export type RetryRecord = z.infer<typeof RetryRecordSchema>;

/** The router process as the app's long-lived core runs it (`<data dir>/router/supervisor.json`). */
export const SupervisedRouterSchema = z.object({
  /** external: a router the app did not start (e.g. `outpost router` in a terminal) holds the data dir's router lock. */
  state: z.enum(['starting', 'running', 'restarting', 'external', 'stopped']),
  /** The process supervising the router (the app's core). */
  supervisorPid: z.number().int(),
  pid: z.number().int().nullable(),
  url: z.string().nullable(),
  restarts: z.number().int().min(0),
  /** How the router process last ended, when it did. */
  lastExit: z.string().nullable(),
  /** When a restarting router is started again. */
  nextStartAt: z.iso.datetime().nullable(),
  updatedAt: z.iso.datetime(),
});
export type SupervisedRouter = z.infer<typeof SupervisedRouterSchema>;

export const RouterStatusSchema = z.object({
  /** false when no router wrote its stats in the last few seconds. */
  running: z.boolean(),
  stats: RouterStatsSchema.nullable(),
  /** null when no live app core supervises a router for this data dir. */
  supervised: SupervisedRouterSchema.nullable(),
  endpoints: z.array(EndpointSchema),
  policy: RouterPolicySchema,
  configVersion: z.number().int(),
  /** Retries the router logged that are not in the ops journal yet (the app's core copies them every few seconds, or `router.retries.journal`). */
  retriesPending: z.number().int().min(0),
});
export type RouterStatus = z.infer<typeof RouterStatusSchema>;

export const ListenAddressSchema = z.object({ host: z.string(), port: z.number().int() });

/** Where the supervised router listens and how applications reach it (`router.listen.show`). */
export const RouterListenSchema = z.object({
  /** What the app's router listens on: the stored setting, or the environment where it overrides it. */
  host: z.string(),
  port: z.number().int(),
  /** The setting as stored (`router.listen.set`). */
  stored: ListenAddressSchema,
  /** Environment variables of the site service that override the stored setting (OUTPOST_ROUTER_HOST, OUTPOST_ROUTER_PORT). */
  overriddenBy: z.array(z.string()),
  /** The running router's URL, null when none runs. */
  serving: z.string().nullable(),
  exposure: z.enum(['loopback', 'site-network']),
  /** Said whenever the router is reachable from the site network. */
  warning: z.string().nullable(),
  /** `http://<address>:<port>/v1` for each address applications may use. */
  baseUrls: z.array(z.string()),
  /** This workstation's addresses on the site network, any of which the router may listen on. */
  siteAddresses: z.array(z.string()),
  /** Why the setting is not (yet) what the router listens on, when it is not. */
  note: z.string().nullable(),
});
export type RouterListen = z.infer<typeof RouterListenSchema>;

/** What an application needs to reach the router (`router.connect`). */
export const RouterConnectSchema = z.object({
  listen: RouterListenSchema,
  /** The base URL the snippets use: the first of `listen.baseUrls`. */
  baseUrl: z.string(),
  /** The model ids the router serves. */
  models: z.array(z.string()),
  model: z.string().nullable(),
  /** Ready to paste, for the chosen model; null while no model is served. */
  snippets: z.object({ curl: z.string(), 'openai-python': z.string(), 'openai-js': z.string() }).nullable(),
  /** How the snippets carry the key. */
  keyNote: z.string(),
});
export type RouterConnect = z.infer<typeof RouterConnectSchema>;
