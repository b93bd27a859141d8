import { useCallback } from 'react';
import { useCall, useEvent } from '../api/hooks.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { NodesTable } from './NodesTable.js';
import { ScanForm } from './ScanForm.js';
import { SshKeyCard } from '../setup/SshKeyCard.js';

export function NodesPage() {
  const [nodes, reload] = useCall('discovery.nodes', {});
  useEvent(
    'discovery.scanFinished',
    useCallback(() => reload(), [reload]),
  );
  return (
    <div className="nodes">
      <h1>Nodes</h1>
      <SshKeyCard />
      <ScanForm onFinished={reload} />
      <section className="card">
        <h2>Site inventory</h2>
        {nodes.status === 'loading' && <p className="muted">loading…</p>}
        {nodes.status === 'error' && <ErrorNote error={nodes.error} />}
        {nodes.status === 'ok' && <NodesTable nodes={nodes.data} onChanged={reload} />}
      </section>
    </div>
  );
}
