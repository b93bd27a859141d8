import type { SetupState, SetupStep, SetupStepId } from '../../../shared/domain/setup.js';
import { OutpostError } from '../../../shared/errors.js';
import { setupCalls } from '../../../shared/contract/setup.js';

/** What the first visit is derived from: the other capabilities' state, and what the person confirmed. */
export interface SetupFacts {
  identity: { siteId: string; sshFingerprint: string } | null;
  /** Site ids of the trusted peers whose role is HQ. */
  hqPeers: string[];
  nodes: Array<{ name: string; hostKeyChanged: boolean }>;
  /** Successful `setup.confirm` calls, newest first. */
  confirmations: SetupConfirmation[];
}

export type SetupConfirmation = { step: 'ssh-key'; fingerprint: string } | { step: 'host-keys' };

/** The journal's successful `setup.confirm` entries, newest first, as confirmations (an entry that no longer parses is skipped). */
export function confirmationsFromJournal(entries: ReadonlyArray<{ action: string; outcome: string; input: unknown }>): SetupConfirmation[] {
  return entries.flatMap((entry) => {
    if (entry.action !== 'setup.confirm' || entry.outcome !== 'ok') return [];
    const parsed = setupCalls['setup.confirm'].input.safeParse(entry.input);
    return parsed.success ? [parsed.data] : [];
  });
}

/** Every step from the facts; nothing is stored for a step the services can answer themselves. */
export function setupState(facts: SetupFacts): SetupState {
  const identity = facts.identity;
  const keyConfirmed = identity !== null && facts.confirmations.some((c) => c.step === 'ssh-key' && c.fingerprint === identity.sshFingerprint);
  const changed = facts.nodes.filter((n) => n.hostKeyChanged).map((n) => n.name);
  const reviewed = facts.nodes.length > 0 && changed.length === 0 && facts.confirmations.some((c) => c.step === 'host-keys');
  const nodes = facts.nodes.length;
  const steps: SetupStep[] = [
    step('identity', 'Create the site identity', identity !== null, identity ? `site ${identity.siteId}` : 'Create the site id, its signing key and its SSH key.', 'overview'),
    step('ssh-key', "Put the site's SSH key on the hosts", keyConfirmed, keyConfirmed ? `key ${identity?.sshFingerprint ?? ''} is on the hosts` : 'Append the authorized_keys line to ~/.ssh/authorized_keys of the login on each host, then confirm.', 'nodes'),
    step('hq-trust', "Trust HQ's key", facts.hqPeers.length > 0, facts.hqPeers.length > 0 ? `HQ ${facts.hqPeers.join(', ')} trusted` : "Add HQ's trust file and confirm its fingerprint with HQ.", 'sync'),
    step('scan', 'Scan the site', nodes > 0, nodes > 0 ? `${nodes} node${nodes === 1 ? '' : 's'} inventoried` : "Scan the hosts' addresses as the login that has the site key.", 'nodes'),
    step(
      'host-keys',
      'Review the host keys',
      reviewed,
      changed.length > 0 ? `${changed.join(', ')} presented a changed host key: compare the fingerprints, then accept` : reviewed ? 'host keys reviewed' : 'Compare the host keys pinned on first contact, then confirm.',
      'nodes',
    ),
  ];
  const allDone = steps.every((s) => s.done);
  steps.push(step('inventory', 'The inventory', allDone, allDone ? `${nodes} node${nodes === 1 ? '' : 's'} ready to plan on` : 'The nodes, once the steps above are done.', 'nodes'));
  return { needed: identity === null || nodes === 0, current: steps.find((s) => !s.done)?.id ?? 'inventory', steps };
}

/** A confirmation is accepted only for what is really there: the current key, hosts with no changed key waiting. */
export function checkConfirmation(confirmation: SetupConfirmation, facts: SetupFacts): void {
  if (confirmation.step === 'ssh-key') {
    if (!facts.identity) throw new OutpostError('PRECONDITION', 'this data dir has no site identity yet, so there is no SSH key to confirm', 'create the identity first');
    if (confirmation.fingerprint !== facts.identity.sshFingerprint) {
      throw new OutpostError('CONFLICT', `the site's SSH key is ${facts.identity.sshFingerprint}, not the ${confirmation.fingerprint} that was confirmed`, 'the key changed since it was shown: copy the new authorized_keys line to the hosts');
    }
    return;
  }
  if (facts.nodes.length === 0) throw new OutpostError('PRECONDITION', 'no node has been scanned yet, so there are no host keys to review', 'scan the site first');
  const changed = facts.nodes.filter((n) => n.hostKeyChanged).map((n) => n.name);
  if (changed.length > 0) {
    throw new OutpostError('CONFLICT', `${changed.join(', ')} presented a changed host key that is not accepted`, 'compare the old and new fingerprints with the host, then accept it; nothing was recorded');
  }
}

function step(id: SetupStepId, title: string, done: boolean, detail: string, page: string): SetupStep {
  return { id, title, done, detail, page };
}
