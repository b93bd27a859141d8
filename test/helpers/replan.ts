// A host lost for good under a running pipeline, and the time until the router serves its model from the re-plan:
// shared by the re-plan integration test and bench:workers (d).
import type { Deployment } from '../../shared/domain/workers.js';
import { post } from './router.js';
import { until, type WorkersBench } from './workers.js';

export interface HostLoss {
  /** From the host's sshd stopped to the first request through the router answered by another deployment. */
  lossToServedMs: number;
  replacement: Deployment;
  lostNode: string;
}

/**
 * Stops the sshd of the host that runs `deployment`'s rpc-1 and kills the rpc-server there (the host is gone, not
 * just slow), then asks the router for the deployment's model until a deployment other than it answers.
 */
export async function loseRpcHost(bench: WorkersBench, deployment: Deployment, router: { url: string; key: string }, timeoutMs = 180_000): Promise<HostLoss> {
  const rpc = deployment.workers.find((w) => w.name === 'rpc-1');
  const host = bench.site.hosts.find((h) => h.sshd.address === rpc?.address);
  if (!rpc?.pid || !host) throw new Error(`${deployment.id} has no rpc-1 on a host of the bench`);
  const lostAt = Date.now();
  await host.sshd.stop();
  process.kill(rpc.pid, 'SIGKILL');
  const endpoint = await until(
    `a request for ${deployment.model} through the router answered by a re-plan of ${deployment.id}`,
    async () => {
      const answer = await post(`${router.url}/v1/chat/completions`, router.key, { model: deployment.model, messages: [{ role: 'user', content: 'still there?' }], max_tokens: 4 }).catch(() => null);
      const by = answer?.headers.get('x-outpost-endpoint');
      return answer?.status === 200 && by && by !== deployment.id ? by : null;
    },
    timeoutMs,
  );
  const lossToServedMs = Date.now() - lostAt;
  const replacement = (await bench.call('workers.list', { all: true })).find((d) => d.id === endpoint);
  if (!replacement) throw new Error(`the router answered from ${endpoint}, which is no deployment`);
  return { lossToServedMs, replacement, lostNode: rpc.node };
}
