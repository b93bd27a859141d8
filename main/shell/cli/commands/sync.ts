import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import type { ImportResult, TrustedPeer } from '../../../../shared/domain/sync.js';
import { OutpostError } from '../../../../shared/errors.js';
import { formatBytes } from '../../../../shared/units.js';
import { parseSize } from '../../../sync/index.js';
import { confirm } from '../confirm.js';
import { runJob, type ProgressView } from '../job.js';
import type { CliRuntime } from '../runtime.js';

const mediumSize = (value: string) => {
  const bytes = parseSize(value);
  if (bytes === null) throw new InvalidArgumentError('expected a size such as 32G, 500M or 1.5T');
  return bytes;
};

export function registerSyncCommands(program: Command, cli: CliRuntime): void {
  const trust = program.command('trust').description('trusted peers (HQ, other sites)');
  trust
    .command('export')
    .description("write this installation's trust file (public signing key, role, id, signed key rotations)")
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (opts: { out?: string }) => {
      const file = await cli.call('sync.trustExport', {});
      const text = `${JSON.stringify(file, null, 2)}\n`;
      if (!opts.out) return void cli.stdout.write(text);
      fs.writeFileSync(opts.out, text, { flag: 'wx' });
      cli.print({ path: opts.out, ...file }, () => `wrote ${opts.out}\nsite ${file.siteId} (${file.role}), signing key ${file.signingKey.fingerprint}\ncompare this fingerprint with the peer when it adds the file`);
    });
  trust
    .command('add')
    .argument('<file>', "the peer's trust file")
    .description('pin a peer from its trust file (shows the fingerprint, asks before trusting)')
    .option('--yes', 'trust without asking (after comparing the fingerprint some other way)', false)
    .action(async (file: string, opts: { yes: boolean }) => {
      const seen = await cli.call('sync.trustInspect', { path: file });
      const intro = `${seen.trust.siteId} (${seen.trust.role}) signing key ${seen.fingerprint}`;
      if (seen.status === 'same') return cli.print(seen, () => `${intro}\nalready trusted; nothing changed`);
      if (!opts.yes) {
        await confirm(`${intro}${seen.status === 'different-key' ? `\nthis REPLACES the key pinned for ${seen.trust.siteId}` : ''}\nCompare the fingerprint with the peer. Trust it? [y/N] `, {
          noTerminal: { message: 'trusting a peer needs a confirmation and there is no terminal to ask on', hint: 'compare the fingerprint with the peer, then run again with --yes' },
          declined: { message: 'not trusted: the fingerprint was not confirmed', hint: 'nothing changed' },
        });
      }
      const peer = await cli.call('sync.trustAdd', { path: file, fingerprint: seen.fingerprint });
      cli.print(peer, () => `trusted ${peer.siteId} (${peer.role}) ${peer.fingerprint}`);
    });
  trust
    .command('list')
    .description('trusted peers and their key fingerprints')
    .action(async () => {
      const peers = await cli.call('sync.trustList', {});
      cli.print(peers, () => (peers.length === 0 ? 'no trusted peers yet (outpost trust add <file>)' : peers.map(formatPeer).join('\n')));
    });
  trust
    .command('remove')
    .argument('<site>', 'the site id of the peer (see `outpost trust list`)')
    .description('stop trusting a peer: its bundles are refused from then on (journaled)')
    .option('--yes', 'remove without asking', false)
    .action(async (site: string, opts: { yes: boolean }) => {
      if (!opts.yes) {
        await confirm(`Stop trusting ${site}? Its bundles will be refused until its trust file is added again. [y/N] `, {
          noTerminal: { message: 'removing a trusted peer needs a confirmation and there is no terminal to ask on', hint: 'run again with --yes' },
          declined: { message: `${site} is still trusted`, hint: 'nothing changed' },
        });
      }
      const removed = await cli.call('sync.trustRemove', { site });
      cli.print(removed, () => `${removed.removed} is no longer trusted (its key was ${removed.fingerprint})`);
    });

  const release = program.command('release').description('HQ: releases carried to sites in bundles');
  release
    .command('model')
    .description('model releases')
    .command('add')
    .argument('<path>', 'a model file (GGUF) or a directory (safetensors shards, tokenizer)')
    .requiredOption('--name <name>', 'model name, e.g. llama-3.1-8b-instruct')
    .requiredOption('--version <version>', 'release label, e.g. 2024.07 or q4km-2')
    .description('store the model by digest and issue the next version of its record')
    .action(async (path: string, opts: { name: string; version: string }) => {
      await runSyncJob(
        cli,
        'the release',
        (jobId, signal) => cli.call('sync.releaseModel', { path, name: opts.name, version: opts.version, jobId }, signal),
        (record) => `released ${record.key} ${opts.version} as record version ${record.version}`,
      );
    });
  release
    .command('policy')
    .description('routing and planner policy')
    .command('set')
    .argument('<file>', 'policy JSON (routing: defaultModel, tiers, failover; planner: objective, maxMemoryFill, preferredQuants)')
    .description('validate the policy and issue its next version')
    .action(async (file: string) => {
      const policy = readJsonFile(file, 'write the policy as JSON; see docs/bundle-format.md for its fields');
      const record = await cli.call('sync.releasePolicy', { policy: policy as never });
      cli.print(record, () => `policy version ${record.version} issued`);
    });

  release
    .command('calibration')
    .description('merged plan-vs-actual calibration for the sites')
    .command('set')
    .argument('<file>', 'calibration JSON: {"records": [...]} as `outpost plans calibration --json` or a site report lists them')
    .description('validate the calibration (absurd factors refused by name) and issue its next version')
    .action(async (file: string) => {
      const calibration = readJsonFile(file, 'write the calibration as JSON: {"records": [{gpu, engine, quant, memoryFactor, speedFactor, ...}]}');
      const record = await cli.call('sync.releaseCalibration', { calibration: calibration as never });
      cli.print(record, () => `calibration version ${record.version} issued`);
    });

  const bundle = program.command('bundle').description('signed sync bundles on removable media');
  bundle
    .command('export')
    .description('write a signed bundle for HQ or a site')
    .option('--to <dir>', 'destination directory (created; must not exist or be empty)')
    .option('--drive <mounts...>', 'removable drives by mount point (`outpost drives`), one medium each, in this order')
    .option('--for <peer>', 'address it to this peer and leave out chunks it acknowledged')
    .option('--max-medium-size <size>', 'split across media of this size, e.g. 32G', mediumSize)
    .action(async (opts: { to?: string; drive?: string[]; for?: string; maxMediumSize?: number }) => {
      await runSyncJob(
        cli,
        'the export',
        (jobId, signal) => cli.call('sync.export', { to: opts.to, drives: opts.drive, for: opts.for, maxMediumSize: opts.maxMediumSize, jobId }, signal),
        (result) =>
          [
            `bundle ${result.bundle.sequence} for ${result.bundle.recipient} written to ${result.path}`,
            `${result.bundle.records} records, ${result.bundle.files} files, ${result.bundle.chunks} chunks (${formatBytes(result.bytesWritten)}), ${result.chunksLeftOut} chunks left out (peer has them)`,
            ...(result.mediaPaths.length > 1 ? [`media: ${result.mediaPaths.join(', ')}`] : []),
            ...(result.safeToRemove ? [`flushed to ${result.targets.map((t) => t.label ?? t.path).join(', ')}: safe to remove`] : []),
          ].join('\n'),
      );
    });
  bundle
    .command('verify')
    .argument('<dirs...>', 'the bundle directory, or its medium directories')
    .description('verify a bundle without importing it')
    .action(async (dirs: string[]) => {
      await runSyncJob(
        cli,
        'the check',
        (jobId, signal) => cli.call('sync.verify', { media: dirs, jobId }, signal),
        (result) => `bundle ${result.bundle.sequence} from ${result.bundle.issuer} is valid: signature, trust, expiry (${result.bundle.expiresAt}), recipient, ${result.chunksVerified} chunks and ${result.filesVerified} files checked`,
      );
    });
  bundle
    .command('import')
    .argument('<dirs...>', 'the bundle directory, or one or more of its media (any order)')
    .option('--dry-run', 'verify and preview only', false)
    .description('verify, preview and apply a bundle')
    .action(async (dirs: string[], opts: { dryRun: boolean }) => {
      await runSyncJob(cli, 'the import', (jobId, signal) => cli.call('sync.import', { media: dirs, dryRun: opts.dryRun, jobId }, signal), formatImport);
    });
}

function formatPeer(peer: TrustedPeer): string {
  const retired = peer.retiredFingerprints.length ? ` (retired: ${peer.retiredFingerprints.join(', ')})` : '';
  return `${peer.siteId.padEnd(24)} ${peer.role.padEnd(4)} ${peer.fingerprint}${retired}`;
}

export function formatImport(result: ImportResult): string {
  const head = {
    applied: `imported bundle ${result.bundle.sequence} from ${result.bundle.issuer}`,
    unchanged: `bundle ${result.bundle.sequence} from ${result.bundle.issuer} was imported before; nothing changed`,
    incomplete: `staged what these media carry; still needed: medium ${result.missingMedia.join(', ')} of ${result.bundle.media} — import them (any order) to finish`,
    preview: `preview of bundle ${result.bundle.sequence} from ${result.bundle.issuer} (nothing applied)${result.missingMedia.length ? `; media still needed: ${result.missingMedia.join(', ')}` : ''}`,
  }[result.state];
  const changes = result.changes.map((c) => {
    const what = c.release ? `version ${c.release.version} (${formatBytes(c.release.sizeBytes)}, sha256 ${c.release.digest.slice(0, 12)}…)` : `v${c.incomingVersion}${c.currentVersion !== null ? ` (here: v${c.currentVersion})` : ''}`;
    return `  ${c.change.padEnd(10)} ${c.kind} ${c.key} ${what}${c.resolution ? ` — ${c.resolution}` : ''}`;
  });
  const extra = [
    result.keyRotation ? `  key rotation: ${result.keyRotation.from} → ${result.keyRotation.to}` : '',
    result.acknowledged.length ? `  acknowledged our bundles: ${result.acknowledged.join(', ')}` : '',
    result.state === 'applied' || result.state === 'incomplete' ? `  chunks: ${result.chunksStaged} staged now, ${result.chunksAlreadyStaged} already staged, ${result.chunksHeldLocally} held here; ${result.filesStored} files stored` : '',
  ].filter(Boolean);
  return [head, ...changes, ...extra].join('\n');
}

/** Bytes, rate and time left on a terminal; in a log, a line as each phase begins. */
const syncProgress: ProgressView<'sync.progress'> = {
  event: 'sync.progress',
  jobId: (p) => p.jobId,
  status: (p) => `${p.phase}: ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)} at ${formatBytes(p.bytesPerSecond)}/s${p.etaSeconds === null ? '' : `, ${Math.ceil(p.etaSeconds)} s left`}`,
  line: (p) => `${p.phase}: ${formatBytes(p.bytesTotal)}`,
};

/** Ctrl-C cancels the job cleanly: temp files removed, nothing applied. */
function runSyncJob<T>(cli: CliRuntime, what: string, run: (jobId: string, signal: AbortSignal) => Promise<T>, human: (result: T) => string): Promise<T> {
  const id = `cli-${randomBytes(6).toString('hex')}`;
  return runJob(cli, { id, progress: syncProgress, what, run: (signal) => run(id, signal), human });
}

function readJsonFile(file: string, hint: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new OutpostError('INVALID_INPUT', `${file} is not a readable JSON file (${error instanceof Error ? error.message : String(error)})`, hint);
  }
}
