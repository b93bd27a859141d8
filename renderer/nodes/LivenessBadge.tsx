import type { NodeLiveness } from '../../shared/domain/dashboard.js';

/** "offline since …" for a node that stopped answering, "host key changed" for one presenting another key; nothing when up. */
export function LivenessBadge({ liveness }: { liveness: NodeLiveness | undefined }) {
  if (!liveness || liveness.state === 'up') return null;
  const since = liveness.since ? ` since ${new Date(liveness.since).toLocaleString()}` : '';
  return (
    <div className="nodes-liveness" data-testid="node-liveness" data-state={liveness.state}>
      <span className="nodes-badge nodes-bad" data-testid={liveness.state === 'silent' ? 'node-offline' : 'node-key-changed'}>
        {liveness.state === 'silent' ? 'offline' : 'host key changed'}
        {since}
      </span>
      <div className="small warn">{liveness.detail}</div>
    </div>
  );
}
