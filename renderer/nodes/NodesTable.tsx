import { useState } from 'react';
import type { NodeLiveness } from '../../shared/domain/dashboard.js';
import type { CallOutput } from '../../shared/contract/index.js';
import type { RemoteNode } from '../../shared/domain/discovery.js';
import { formatBytes } from '../../shared/units.js';
import { asCallError, useClient } from '../api/hooks.js';
import type { CallError } from '../api/client.js';
import { ConfirmButton } from '../components/ConfirmButton.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { Meter } from '../components/Meter.js';
import { LivenessBadge } from './LivenessBadge.js';

const MiB = 2 ** 20;

function GpuChips({ node }: { node: RemoteNode }) {
  const inv = node.inventory;
  if (inv.gpuStatus === 'driver-error')
    return (
      <>
        <span className="nodes-badge nodes-bad">GPU driver error</span>
        {inv.gpuError && <span className="nodes-detail mono">{inv.gpuError}</span>}
      </>
    );
  if (inv.gpus.length === 0) return <span className="muted">no GPU</span>;
  return (
    <div className="nodes-gpus">
      {inv.gpus.map((g) => (
        <div key={`${g.index}-${g.uuid ?? g.name}`} className="chip nodes-gpu" data-testid="gpu-chip">
          <strong>{g.name.replace(/^NVIDIA /, '')}</strong>
          {g.unifiedMemory && <em> unified</em>}
          {g.migDevices.length > 0 && <em> MIG×{g.migDevices.length}</em>}
          {g.uuid && <span className="nodes-detail mono">{g.uuid}</span>}
          {g.memoryTotalMiB !== null && <Meter used={(g.memoryUsedMiB ?? 0) * MiB} total={g.memoryTotalMiB * MiB} label={`${formatBytes((g.memoryUsedMiB ?? 0) * MiB)} / ${formatBytes(g.memoryTotalMiB * MiB)}`} />}
        </div>
      ))}
    </div>
  );
}

/** A node's host key; a changed one side by side with its pin, accepted in two steps (the Nodes page and the first visit). */
export function HostKey({ node, onAccepted }: { node: RemoteNode; onAccepted: (accepted: CallOutput<'discovery.acceptHostKey'>) => void }) {
  const client = useClient();
  const [error, setError] = useState<CallError | null>(null);
  if (!node.hostKey) return <span className="muted">not pinned</span>;
  if (!node.hostKey.offered) {
    return (
      <div data-testid="hostkey-pinned">
        <span className="nodes-badge nodes-ok">pinned {new Date(node.hostKey.pinnedAt).toLocaleDateString()}</span>
        <span className="nodes-detail mono">
          {node.hostKey.keyType} {node.hostKey.fingerprint}
        </span>
      </div>
    );
  }
  const accept = () => {
    setError(null);
    client.call('discovery.acceptHostKey', { node: node.name }).then(onAccepted, (e: unknown) => setError(asCallError(e)));
  };
  // Both fingerprints in plain view, and an explicit second step: a changed key is what an impostor presents too.
  return (
    <div data-testid="hostkey-changed">
      <span className="nodes-badge nodes-bad">host key changed</span>
      <dl className="nodes-fingerprints small">
        <dt>pinned</dt>
        <dd className="mono" data-testid="hostkey-pinned-fingerprint">
          {node.hostKey.keyType} {node.hostKey.fingerprint}
        </dd>
        <dt>now</dt>
        <dd className="mono" data-testid="hostkey-offered-fingerprint">
          {node.hostKey.offered.keyType} {node.hostKey.offered.fingerprint}
        </dd>
      </dl>
      <ConfirmButton
        testId="hostkey-accept"
        confirmTestId="hostkey-confirm"
        yesTestId="hostkey-confirm-yes"
        className="secondary nodes-accept"
        label="Accept new key…"
        question={`Accept only if you know ${node.name} was reinstalled or re-keyed: from now on Outpost trusts the new key.`}
        yesLabel="Yes, accept the new key"
        onConfirm={accept}
      />
      {error && <ErrorNote error={error} />}
    </div>
  );
}

export function NodesTable({ nodes, onChanged, liveness = [] }: { nodes: RemoteNode[]; onChanged: () => void; liveness?: readonly NodeLiveness[] }) {
  if (nodes.length === 0) return <p className="muted">No nodes yet: scan the site's subnets above.</p>;
  return (
    <table className="table nodes-table" data-testid="nodes-table">
      <thead>
        <tr>
          <th scope="col">Node</th>
          <th scope="col">GPUs</th>
          <th scope="col">Memory</th>
          <th scope="col">Engines</th>
          <th scope="col">Models</th>
          <th scope="col">Host key</th>
          <th scope="col">Last seen</th>
          <th scope="col">Last scan</th>
        </tr>
      </thead>
      <tbody>
        {nodes.map((node) => {
          const inv = node.inventory;
          const total = inv.memory.totalBytes ?? 0;
          const used = total - (inv.memory.availableBytes ?? total);
          return (
            <tr key={node.name} data-testid="node-row" data-node={node.name}>
              <td>
                <strong>{node.name}</strong>
                <LivenessBadge liveness={liveness.find((l) => l.name === node.name)} />
                <div className="muted">
                  {node.address}:{node.port}
                </div>
                <div className="muted">{inv.jetson ? `${inv.jetson.model ?? 'Jetson'} · L4T ${inv.jetson.l4tRelease ?? '?'}` : `${inv.cpu.model ?? 'CPU ?'} · ${inv.cpu.cores ?? '?'} cores`}</div>
                {inv.warnings.length > 0 && (
                  <p className="warn" data-testid="node-warnings">
                    Could not read: {inv.warnings.join('; ')}
                  </p>
                )}
              </td>
              <td>
                <GpuChips node={node} />
              </td>
              <td className="nodes-memory">{total > 0 ? <Meter used={used} total={total} label={`${formatBytes(used)} / ${formatBytes(total)}`} /> : <span className="muted">unknown</span>}</td>
              <td>
                {inv.engines.length === 0 && <span className="muted">none</span>}
                {inv.engines.map((e) => (
                  <div key={e.path}>
                    <span className="nodes-badge nodes-engine" data-testid="engine-badge">
                      {e.engine}
                      {e.version ? ` ${e.version.split(' ')[0]}` : ''}
                    </span>
                    <span className="nodes-detail mono">{e.path}</span>
                  </div>
                ))}
              </td>
              <td>
                {inv.modelFiles.length === 0 && <span className="muted">none</span>}
                {inv.modelFiles.map((f) => (
                  <span key={f.path} className="nodes-detail mono">
                    {f.path}
                  </span>
                ))}
              </td>
              <td>
                <HostKey node={node} onAccepted={onChanged} />
              </td>
              <td>{new Date(node.lastSeen).toLocaleString()}</td>
              <td>
                <ul className="nodes-changes" data-testid="node-changes">
                  {node.lastChanges.length === 0 && <li className="muted">no change</li>}
                  {node.lastChanges.map((c, i) => (
                    <li key={i} className={`nodes-change-${c.change}`}>
                      {c.change === 'added' ? '+' : c.change === 'removed' ? '−' : '~'} {c.detail}
                    </li>
                  ))}
                </ul>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
