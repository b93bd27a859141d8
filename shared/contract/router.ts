import { z } from 'zod';
import { defineCall } from './define.js';
import { ApiKeyInfoSchema, AppNameSchema, EndpointNameSchema, EndpointSchema, EndpointUrlSchema, ModelNameSchema, RouterConnectSchema, RouterListenSchema, RouterPolicySchema, RouterStatusSchema, TierSchema } from '../domain/router.js';

export const routerCalls = {
  'router.endpoints.list': defineCall({
    summary: 'The endpoints the router may send traffic to, by tier.',
    input: z.object({}).strict(),
    output: z.array(EndpointSchema),
    mutates: false,
  }),
  'router.endpoints.add': defineCall({
    summary: 'Register an OpenAI-compatible endpoint serving some models in a tier; a running router picks it up within a second.',
    input: z
      .object({
        name: EndpointNameSchema,
        url: EndpointUrlSchema,
        tier: TierSchema.default('site'),
        models: z.array(ModelNameSchema).min(1).max(64),
        slots: z.number().int().min(1).max(1024).default(1),
        replace: z.boolean().default(false),
        /** Confirms an address a site does not expect (link-local, multicast, unspecified, broadcast, reserved, cloud metadata); without it such an endpoint is refused and never stored. */
        allowAddress: z.boolean().optional(),
      })
      .strict(),
    output: EndpointSchema,
    mutates: true,
  }),
  'router.endpoints.remove': defineCall({
    summary: 'Stop routing to an endpoint; requests already streaming from it finish.',
    input: z.object({ name: EndpointNameSchema }).strict(),
    output: z.object({ removed: EndpointNameSchema }),
    mutates: true,
  }),
  'router.keys.list': defineCall({
    summary: 'API keys by app (never the key or its hash).',
    input: z.object({}).strict(),
    output: z.array(ApiKeyInfoSchema),
    mutates: false,
  }),
  'router.keys.add': defineCall({
    summary: 'Create an API key for an application, optionally limited to models. The key is in this answer only; the store keeps its hash.',
    input: z.object({ app: AppNameSchema, models: z.array(ModelNameSchema).min(1).max(64).optional() }).strict(),
    output: ApiKeyInfoSchema.extend({ key: z.string() }),
    mutates: true,
  }),
  'router.keys.revoke': defineCall({
    summary: 'Revoke an API key; the router refuses it within a second.',
    input: z.object({ id: z.string().min(1).max(64) }).strict(),
    output: ApiKeyInfoSchema,
    mutates: true,
  }),
  'router.policy.show': defineCall({
    summary: 'The routing policy: retries, timeouts, breaker, probes, affinity.',
    input: z.object({}).strict(),
    output: RouterPolicySchema,
    mutates: false,
  }),
  'router.policy.set': defineCall({
    summary: 'Change some policy fields; the rest keep their values.',
    input: RouterPolicySchema.partial(),
    output: RouterPolicySchema,
    mutates: true,
  }),
  'router.status': defineCall({
    summary: "The router process's live view (health, in-flight, TTFT, breakers, traffic), how the app supervises it, and the stored config.",
    input: z.object({}).strict(),
    output: RouterStatusSchema,
    mutates: false,
  }),
  'router.retries.journal': defineCall({
    summary: "Copy the router's retries logged since the last copy into the ops journal, each exactly once (the app's core does this every few seconds).",
    input: z.object({}).strict(),
    output: z.object({ journaled: z.number().int().min(0) }),
    mutates: true,
  }),
  'router.listen.show': defineCall({
    summary: 'Where the router listens (the stored setting, and the environment where it overrides it), its base URLs, and a warning when the site network reaches it.',
    input: z.object({}).strict(),
    output: RouterListenSchema,
    mutates: false,
  }),
  'router.listen.set': defineCall({
    summary: "Change the router's listen address or port: checked first (an address of this workstation, 0.0.0.0 or loopback; a free port from 1024), then the app's router restarts there. A refused address changes nothing.",
    input: z.object({ host: z.string().min(1).max(64).optional(), port: z.number().int().optional() }).strict(),
    output: RouterListenSchema,
    mutates: true,
  }),
  'router.connect': defineCall({
    summary: 'What an application needs to reach the router: base URLs, the models it serves, and curl and OpenAI-client snippets for a model (with the key given, or reading it from $OUTPOST_API_KEY).',
    input: z.object({ model: ModelNameSchema.optional(), key: z.string().min(1).max(200).optional() }).strict(),
    output: RouterConnectSchema,
    mutates: false,
  }),
};
