import { useCallback } from 'react';
import { useCall, useEvent } from '../api/hooks.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { usePolling } from '../monitoring/useSeries.js';
import { NodesTable } from './NodesTable.js';
import { ScanForm } from './ScanForm.js';
import { useWorkstation } from './useWorkstation.js';
import { WorkstationCard } from './WorkstationCard.js';
import { SshKeyCard } from '../setup/SshKeyCard.js';

export function NodesPage() {
  const [nodes, reload] = useCall('discovery.nodes', {});
  // Whether each node still answers comes from telemetry, which changes without a scan: re-read it as the site runs.
  const [liveness, reloadLiveness] = useCall('telemetry.nodes', {});
  usePolling(reloadLiveness);
  const workstation = useWorkstation();
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
        {nodes.status === 'ok' && <NodesTable nodes={nodes.data} onChanged={reload} liveness={liveness.status === 'ok' ? liveness.data : []} />}
      </section>
      <WorkstationCard inventory={workstation.state} onRefresh={workstation.refresh} />
    </div>
  );
}
