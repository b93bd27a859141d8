import { createContext, useCallback, useContext, useEffect, useState } from 'react';
import type { CallInput, CallName, CallOutput, EventName, EventPayload } from '../../shared/contract/index.js';
import { CallError, type OutpostClient } from './client.js';

export const ClientContext = createContext<OutpostClient | null>(null);

export function useClient(): OutpostClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('useClient outside <ClientContext.Provider>');
  return client;
}

export type CallState<T> = { status: 'loading' } | { status: 'ok'; data: T } | { status: 'error'; error: CallError };

/** Runs a call on mount (and on `reload`), keeping the last answer or error. */
export function useCall<K extends CallName>(name: K, input: CallInput<K>): [CallState<CallOutput<K>>, () => void] {
  const client = useClient();
  const [state, setState] = useState<CallState<CallOutput<K>>>({ status: 'loading' });
  const [generation, setGeneration] = useState(0);
  const key = JSON.stringify(input);
  useEffect(() => {
    let live = true;
    client
      .call(name, JSON.parse(key) as CallInput<K>)
      .then((data) => live && setState({ status: 'ok', data }))
      .catch((error: unknown) => live && setState({ status: 'error', error: asCallError(error) }));
    return () => {
      live = false;
    };
  }, [client, name, key, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  // A restarted site service may hold other state than the page shows (a job ended, a worker re-adopted): fetch again.
  useEffect(() => client.onLink((link) => link === 'restarted' && reload()), [client, reload]);
  return [state, reload];
}

/** Whether the window's link to the site is up, for the status bar. */
export function useLinkState(): 'live' | 'reconnecting' {
  const client = useClient();
  const [link, setLink] = useState(client.linkState());
  useEffect(() => client.onLink(() => setLink(client.linkState())), [client]);
  return link;
}

export function useEvent<K extends EventName>(name: K, listener: (payload: EventPayload<K>) => void): void {
  const client = useClient();
  useEffect(() => client.on(name, listener), [client, name, listener]);
}

export function asCallError(error: unknown): CallError {
  return error instanceof CallError ? error : new CallError('INTERNAL', error instanceof Error ? error.message : String(error), undefined);
}
