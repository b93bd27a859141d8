import type { WorkstationInventory } from '../../shared/domain/workstation.js';
import { formatBytes } from '../../shared/units.js';
import type { CallState } from '../api/hooks.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { Meter } from '../components/Meter.js';

export function WorkstationCard({ inventory, onRefresh }: { inventory: CallState<WorkstationInventory>; onRefresh: () => void }) {
  return (
    <section className="card" data-testid="workstation-card">
      <header className="card-header">
        <h2>This workstation</h2>
        <button type="button" className="secondary" onClick={onRefresh} data-testid="refresh-workstation">
          Refresh
        </button>
      </header>
      {inventory.status === 'loading' && <p className="muted">reading this machine…</p>}
      {inventory.status === 'error' && <ErrorNote error={inventory.error} />}
      {inventory.status === 'ok' && <WorkstationFacts inv={inventory.data} />}
    </section>
  );
}

function WorkstationFacts({ inv }: { inv: WorkstationInventory }) {
  const usedMemory = inv.memory.totalBytes - inv.memory.availableBytes;
  return (
    <>
      <dl className="facts">
        <dt>Host</dt>
        <dd data-testid="workstation-hostname">{inv.hostname}</dd>
        <dt>OS</dt>
        <dd>
          {inv.os.distro} {inv.os.release} · kernel {inv.os.kernel} · {inv.os.arch}
        </dd>
        <dt>CPU</dt>
        <dd data-testid="workstation-cpu">
          {inv.cpu.manufacturer} {inv.cpu.brand} · {inv.cpu.logicalCores} logical / {inv.cpu.physicalCores} physical cores
        </dd>
        <dt>Memory</dt>
        <dd>
          <Meter used={usedMemory} total={inv.memory.totalBytes} label={`${formatBytes(usedMemory)} used of ${formatBytes(inv.memory.totalBytes)}`} testId="memory-meter" />
        </dd>
        <dt>Disks</dt>
        <dd className="stack">
          {inv.disks.length === 0 && <span className="muted">none found</span>}
          {inv.disks.map((d) => (
            <Meter key={d.mount} used={d.usedBytes} total={d.sizeBytes} label={`${d.mount} (${d.type}) ${formatBytes(d.usedBytes)} of ${formatBytes(d.sizeBytes)}`} />
          ))}
        </dd>
        <dt>GPUs</dt>
        <dd data-testid="workstation-gpus">
          {inv.gpus.length === 0 ? (
            <span className="muted">no GPU on this workstation — inference runs on the site's servers</span>
          ) : (
            inv.gpus.map((g, i) => (
              <span key={i} className="chip">
                {g.model}
                {g.vramMiB ? ` · ${formatBytes(g.vramMiB * 2 ** 20)}` : ''}
              </span>
            ))
          )}
        </dd>
      </dl>
      {inv.warnings.length > 0 && <p className="warn">Could not read: {inv.warnings.join('; ')}</p>}
      <p className="muted small">read {new Date(inv.collectedAt).toLocaleString()}</p>
    </>
  );
}
