/**
 * Resolves on Ctrl-C, SIGTERM or SIGHUP. Ctrl-C reaches the whole process group (the router child ignores it
 * and stops with us). The listeners stay until the process ends: a second signal while the caller closes the
 * core (its router child, its SSH sessions), say from a wrapper passing Ctrl-C on, must not cut that short.
 */
export function untilStopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => resolve());
  });
}
