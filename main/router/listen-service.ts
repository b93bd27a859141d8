import type { ParsedInput } from '../../shared/contract/index.js';
import type { RouterConnect, RouterListen, SupervisedRouter } from '../../shared/domain/router.js';
import { OutpostError } from '../../shared/errors.js';
import { API_KEY_VARIABLE, connectSnippets } from './core/connect-snippets.js';
import { HOST_ENV, PORT_ENV, baseUrls, effectiveListen, exposureWarning, isLoopback, listenProblems, overlaps, parseListenUrl, sameListen, siteAddresses, type ListenAddress, type WorkstationAddress } from './core/listen-address.js';

/** The part of the router supervisor that moves the router to another address. */
export interface Relistener {
  relisten(address: ListenAddress): Promise<string>;
}

export interface ListenServiceDeps {
  setting: { read(): ListenAddress; write(address: ListenAddress): void };
  /** OUTPOST_ROUTER_HOST / OUTPOST_ROUTER_PORT of the process that runs the router's supervisor. */
  environment: () => { host: string | undefined; port: number | undefined };
  workstation: () => WorkstationAddress[];
  /** Binds the address for a moment: the error code when something else holds it, null when free. */
  bindProblem: (address: ListenAddress) => Promise<string | null>;
  /** The running router's URL, null when none runs. */
  serving: () => string | null;
  /** This core's router supervisor; null in a core that runs no router (a CLI command without a site service). */
  supervisor: () => Relistener | null;
  /** What the live supervisor of this data dir last said about its router. */
  supervised: () => SupervisedRouter | null;
  models: () => string[];
}

/** Where the router listens: the stored setting, checked, applied to the app's router, and what applications connect to. */
export class ListenService {
  /** One change at a time: a second waits for the first to be applied or refused. */
  private changing: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: ListenServiceDeps) {}

  show(): RouterListen {
    const stored = this.deps.setting.read();
    const { address, overridden } = effectiveListen(stored, this.deps.environment());
    const serving = this.deps.serving();
    // A router on port 0 (tests) or started by hand listens elsewhere than the setting: applications use what runs.
    const reachable = (serving !== null ? parseListenUrl(serving) : null) ?? address;
    const workstation = this.deps.workstation();
    return {
      ...address,
      stored,
      overriddenBy: overridden,
      serving,
      exposure: isLoopback(reachable.host) ? 'loopback' : 'site-network',
      warning: exposureWarning(reachable.host),
      baseUrls: baseUrls(reachable, workstation),
      siteAddresses: siteAddresses(workstation),
      note: this.note(overridden),
    };
  }

  set(input: ParsedInput<'router.listen.set'>): Promise<RouterListen> {
    const change = this.changing.then(() => this.apply(input));
    this.changing = change.catch(() => undefined);
    return change;
  }

  connect(input: ParsedInput<'router.connect'>): RouterConnect {
    const listen = this.show();
    const models = this.deps.models();
    const model = input.model ?? models[0] ?? null;
    const baseUrl = listen.baseUrls[0] as string;
    return {
      listen,
      baseUrl,
      models,
      model,
      snippets: model === null ? null : connectSnippets({ baseUrl, model, key: input.key ?? null }),
      keyNote:
        input.key !== undefined
          ? 'These snippets carry the new key itself: copy them now; the key cannot be shown again.'
          : `These snippets read the key from the environment variable ${API_KEY_VARIABLE}: set it to the application's key (export ${API_KEY_VARIABLE}=opk_…).`,
    };
  }

  private async apply(input: ParsedInput<'router.listen.set'>): Promise<RouterListen> {
    const stored = this.deps.setting.read();
    const wanted: ListenAddress = { host: input.host?.trim() ?? stored.host, port: input.port ?? stored.port };
    const problems = listenProblems(wanted, this.deps.workstation());
    if (Object.keys(problems).length > 0) {
      throw new OutpostError('INVALID_INPUT', Object.values(problems).join('; '), 'nothing was changed: the router keeps its address', { fields: problems });
    }
    const env = this.deps.environment();
    const pinned = [...(input.host !== undefined && env.host !== undefined ? [HOST_ENV] : []), ...(input.port !== undefined && env.port !== undefined ? [PORT_ENV] : [])];
    if (pinned.length > 0) {
      throw new OutpostError(
        'PRECONDITION',
        `${pinned.join(' and ')} ${pinned.length > 1 ? 'are' : 'is'} set in the site service's environment and decide${pinned.length > 1 ? '' : 's'} where the router listens; nothing was changed`,
        "remove it from the service's environment (for a systemd unit: `outpost service install --force` from a shell without it), restart the service, then set the address here",
        { fields: Object.fromEntries(pinned.map((name) => [name === HOST_ENV ? 'host' : 'port', `set by ${name} in the site service's environment`])) },
      );
    }
    const supervised = this.deps.supervised();
    if (supervised?.state === 'external') {
      throw new OutpostError(
        'CONFLICT',
        `the router serving now was started outside the app (pid ${String(supervised.pid)}); the app cannot move it`,
        `stop it (kill ${String(supervised.pid)}); the app then starts its own router, and the address can be set here`,
      );
    }
    const next = effectiveListen(wanted, env).address;
    const serving = this.deps.serving();
    const current = serving !== null ? parseListenUrl(serving) : null;
    if (current !== null && sameListen(current, next)) {
      this.deps.setting.write(wanted);
      return this.show();
    }
    // Checked before anything stops: a taken port is refused while the router keeps serving where it is. The
    // router's own address cannot be bound beside it; moving between overlapping addresses is checked by the move.
    if (current === null || !overlaps(current, next)) {
      const problem = await this.deps.bindProblem(next);
      if (problem !== null) throw addressRefused(next, problem, serving);
    }
    const supervisor = this.deps.supervisor();
    if (supervisor !== null) {
      try {
        await supervisor.relisten(next);
      } catch (error) {
        throw addressRefused(next, error instanceof Error ? error.message : String(error), serving);
      }
    }
    this.deps.setting.write(wanted);
    return this.show();
  }

  private note(overridden: string[]): string | null {
    if (overridden.length > 0) return `${overridden.join(' and ')} in the site service's environment override${overridden.length > 1 ? '' : 's'} the stored setting`;
    const supervised = this.deps.supervised();
    if (supervised?.state === 'external') return `a router started outside the app (pid ${String(supervised.pid)}) serves now; the setting applies to the router the app starts`;
    if (supervised === null && this.deps.supervisor() === null) return 'no site service runs: its router listens on this address when it starts';
    return null;
  }
}

function addressRefused(address: ListenAddress, why: string, serving: string | null): OutpostError {
  const where = `${address.host}:${address.port}`;
  const taken = why.includes('EADDRINUSE');
  return new OutpostError(
    'CONFLICT',
    taken ? `${where} is already in use by another program; nothing was changed` : `the router cannot listen on ${where} (${why}); nothing was changed`,
    `${serving !== null ? `the router keeps serving on ${serving}; ` : ''}${taken ? 'pick another port, or stop the program that uses it' : 'pick another address or port'}`,
    { fields: { port: taken ? `${address.port} is in use by another program` : why } },
  );
}
