import { Pool, type Dispatcher } from 'undici';
import type { Endpoint } from '../../../shared/domain/router.js';
import { PassthroughPool, UpstreamError, type ExchangeControl, type ExchangeHandler, type ExchangeOptions } from './passthrough.js';

interface Upstream {
  url: string;
  /** Probes and model lists: undici, where convenience beats the last microsecond. */
  pool: Pool;
  /** Completions: the hot path, bytes passed through. */
  passthrough: PassthroughPool;
  basePath: string;
}

/**
 * Keep-alive connections per endpoint. When an endpoint is removed or its URL
 * changes, its connections are closed gracefully: requests already running on
 * them finish, so a reload drops no stream.
 */
export class UpstreamPools {
  private readonly upstreams = new Map<string, Upstream>();

  sync(endpoints: readonly Endpoint[]): void {
    const wanted = new Map(endpoints.map((e) => [e.name, e]));
    for (const [name, upstream] of this.upstreams) {
      const spec = wanted.get(name);
      if (!spec || spec.url !== upstream.url) {
        this.upstreams.delete(name);
        void upstream.pool.close().catch(() => undefined);
        upstream.passthrough.closeGracefully();
      }
    }
    for (const spec of endpoints) {
      if (this.upstreams.has(spec.name)) continue;
      const url = new URL(spec.url);
      this.upstreams.set(spec.name, {
        url: spec.url,
        basePath: url.pathname.replace(/\/+$/, ''),
        pool: new Pool(url.origin, { connections: null, pipelining: 1, keepAliveTimeout: 30_000, connect: { timeout: 5_000 } }),
        passthrough: PassthroughPool.forUrl(spec.url),
      });
    }
  }

  request(endpoint: string, options: { method: 'GET' | 'POST'; path: string; body?: Buffer; accept?: string | undefined; signal: AbortSignal; headersTimeout: number; bodyTimeout: number }): Promise<Dispatcher.ResponseData> {
    const upstream = this.upstreams.get(endpoint);
    if (!upstream) return Promise.reject(new Error(`endpoint ${endpoint} is no longer configured`));
    const headers: Record<string, string> = { accept: options.accept ?? '*/*' };
    if (options.body) headers['content-type'] = 'application/json';
    return upstream.pool.request({
      method: options.method,
      path: upstream.basePath + options.path,
      headers,
      body: options.body ?? null,
      signal: options.signal,
      headersTimeout: options.headersTimeout,
      bodyTimeout: options.bodyTimeout,
    });
  }

  /** A completion request on the passthrough connections: the proxy's hot path. */
  exchange(endpoint: string, options: ExchangeOptions, handler: ExchangeHandler): ExchangeControl {
    const upstream = this.upstreams.get(endpoint);
    if (!upstream) throw new UpstreamError('UPSTREAM_REMOVED', `endpoint ${endpoint} is no longer configured`);
    return upstream.passthrough.exchange(options, handler);
  }

  async close(): Promise<void> {
    const all = [...this.upstreams.values()];
    this.upstreams.clear();
    for (const upstream of all) upstream.passthrough.destroy();
    await Promise.all(all.map((u) => u.pool.destroy().catch(() => undefined)));
  }
}
