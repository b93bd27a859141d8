import { useState, type FormEvent } from 'react';
import type { CallInput } from '../../shared/contract/index.js';
import { ENGINE_KINDS, type EngineKind, type RpcTransport } from '../../shared/domain/workers.js';
import { useCall } from '../api/hooks.js';
import { ErrorNote } from '../components/ErrorNote.js';

export type LaunchOptions = Omit<CallInput<'workers.launch'>, 'deploymentId' | 'planId'>;

/** The engine options workers.launch takes, and the login the service would use, shown so it can be changed. */
export function LaunchForm({ planId, onLaunch, onClose }: { planId: string; onLaunch: (options: LaunchOptions) => void; onClose: () => void }) {
  const [login] = useCall('workers.launchLogin', { planId });
  const [engine, setEngine] = useState<EngineKind>('llama.cpp');
  const [port, setPort] = useState(8181);
  const [rpcTransport, setRpcTransport] = useState<RpcTransport>('ssh');
  const [threads, setThreads] = useState(1);
  const [template, setTemplate] = useState('');
  const [user, setUser] = useState<string | null>(null);
  const defaultUser = login.status === 'ok' ? login.data.user : null;
  const shownUser = user ?? defaultUser ?? '';
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const typed = shownUser.trim();
    onLaunch({
      engine,
      port,
      rpcTransport,
      threads,
      // Left as the service proposed it, the service applies its own default.
      ...(typed && typed !== defaultUser ? { user: typed } : {}),
      ...(engine === 'custom' ? { template } : {}),
    });
  };
  return (
    <form className="launch-form" onSubmit={submit} data-testid="launch-form">
      <label>
        Engine
        <select value={engine} onChange={(e) => setEngine(e.target.value as EngineKind)} data-testid="launch-engine">
          {ENGINE_KINDS.map((kind) => (
            <option key={kind} value={kind}>
              {kind}
            </option>
          ))}
        </select>
      </label>
      {engine === 'custom' && (
        <label className="launch-template">
          Command template
          <textarea value={template} onChange={(e) => setTemplate(e.target.value)} rows={3} placeholder="my-engine --model {model} --port {port} --layers {firstLayer}-{lastLayer}" data-testid="launch-template" />
          <span className="muted small">placeholders: {'{model} {host} {port} {stage} {firstLayer} {lastLayer} {layers} {node} {head} {headPort} {runDir}'}</span>
        </label>
      )}
      <label>
        Head API port
        <input type="number" min={1024} max={65535} value={port} onChange={(e) => setPort(Number(e.target.value))} data-testid="launch-port" />
      </label>
      <label>
        Threads per process
        <input type="number" min={1} max={1024} value={threads} onChange={(e) => setThreads(Number(e.target.value))} data-testid="launch-threads" />
      </label>
      <fieldset className="launch-transport">
        <legend>Link between the hosts</legend>
        <label>
          <input type="radio" name="rpc-transport" checked={rpcTransport === 'ssh'} onChange={() => setRpcTransport('ssh')} data-testid="launch-transport-ssh" /> SSH tunnels (recommended)
        </label>
        <label>
          <input type="radio" name="rpc-transport" checked={rpcTransport === 'lan'} onChange={() => setRpcTransport('lan')} data-testid="launch-transport-lan" /> Direct on the site network
        </label>
        {rpcTransport === 'lan' && (
          <p className="warn" data-testid="launch-lan-warning">
            Direct links are not encrypted and not authenticated: anyone on the site network can send work to the engine processes and read the prompts and answers passing between hosts. Use it only on a network that nothing else shares.
          </p>
        )}
      </fieldset>
      <label>
        SSH login on the hosts
        <input value={shownUser} onChange={(e) => setUser(e.target.value)} autoComplete="off" data-testid="launch-user" />
      </label>
      {login.status === 'ok' && <LoginNote login={login.data} />}
      {login.status === 'error' && <ErrorNote error={login.error} />}
      <div className="launch-actions">
        <button type="submit" data-testid="launch-submit">
          Launch
        </button>
        <button type="button" className="secondary" onClick={onClose} data-testid="launch-close">
          Close
        </button>
      </div>
    </form>
  );
}

function LoginNote({ login }: { login: { from: 'inventory' | 'workstation' | null; nodes: Array<{ node: string; login: string | null }>; problem: string | null } }) {
  if (login.problem)
    return (
      <p className="warn small" data-testid="launch-login-note">
        {login.problem}: type the login every host accepts.
      </p>
    );
  const hosts = login.nodes.map(({ node, login: kept }) => `${node} (${kept ?? 'no login kept'})`).join(', ');
  return (
    <p className="muted small" data-testid="launch-login-note">
      {login.from === 'inventory' ? 'The login that inventoried the hosts' : "No host kept the login it was inventoried with: this workstation's user"} — {hosts}
    </p>
  );
}
