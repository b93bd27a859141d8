import { Pool, type Dispatcher } from 'undici';
import type { Endpoint } from '../../../shared/domain/router.js';

interface Upstream {
  url: string;
  pool: Pool;
  basePath: string;
}

/**
 * One keep-alive connection pool per endpoint (undici). When an endpoint is
 * removed or its URL changes, its pool is closed gracefully: undici lets the
 * requests already running on it finish, so a reload drops no stream.
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
      }
    }
    for (const spec of endpoints) {
      if (this.upstreams.has(spec.name)) continue;
      const url = new URL(spec.url);
      this.upstreams.set(spec.name, {
        url: spec.url,
        basePath: url.pathname.replace(/\/+$/, ''),
        pool: new Pool(url.origin, { connections: null, pipelining: 1, keepAliveTimeout: 30_000, connect: { timeout: 5_000 } }),
      });
    }
  }

  request(
    endpoint: string,
    options: { method: 'GET' | 'POST'; path: string; body?: Buffer; accept?: string | undefined; signal: AbortSignal; headersTimeout: number; bodyTimeout: number },
  ): Promise<Dispatcher.ResponseData> {
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

  /** A completion request with a raw handler: the proxy's hot path, no response stream in between. */
  dispatch(
    endpoint: string,
    options: { path: string; body: Buffer; accept: string | undefined; headersTimeout: number; bodyTimeout: number },
    handler: Dispatcher.DispatchHandler,
  ): void {
    const upstream = this.upstreams.get(endpoint);
    if (!upstream) throw new Error(`endpoint ${endpoint} is no longer configured`);
    upstream.pool.dispatch(
      {
        method: 'POST',
        path: upstream.basePath + options.path,
        headers: { accept: options.accept ?? '*/*', 'content-type': 'application/json' },
        body: options.body,
        headersTimeout: options.headersTimeout,
        bodyTimeout: options.bodyTimeout,
      },
      handler,
    );
  }

  async close(): Promise<void> {
    const all = [...this.upstreams.values()];
    this.upstreams.clear();
    await Promise.all(all.map((u) => u.pool.destroy().catch(() => undefined)));
  }
}
