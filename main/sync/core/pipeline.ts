/**
 * Reads items ahead into a fixed number of reusable slots (buffers the caller
 * owns, one per slot) and hands each result to `use` in input order. `use` may
 * return the promise of work still using its slot (a write in libuv's pool):
 * that slot is read into again only once it settles. So reading and writing
 * (in the pool, on the second core) overlap hashing and chunking (on this
 * thread), while memory stays at `slots` buffers whatever the size of the data.
 */
export async function pipelined<T, R>(
  items: readonly T[],
  options: { slots: number; signal?: AbortSignal | undefined },
  read: (item: T, slot: number) => Promise<R>,
  use: (result: R, item: T, slot: number) => Promise<unknown> | void | Promise<void>,
): Promise<void> {
  const { slots, signal } = options;
  const held: Array<Promise<unknown>> = Array.from({ length: slots }, () => Promise.resolve());
  const reads: Array<Promise<R> | undefined> = new Array<Promise<R> | undefined>(slots);
  let failure: { error: unknown } | undefined;
  const start = (index: number) => {
    const item = items[index];
    if (item === undefined) return;
    const slot = index % slots;
    const reading = (held[slot] as Promise<unknown>).then(() => read(item, slot));
    reading.catch(() => undefined);
    reads[slot] = reading;
  };
  for (let i = 0; i < Math.min(slots, items.length); i += 1) start(i);
  try {
    for (let index = 0; index < items.length; index += 1) {
      signal?.throwIfAborted();
      const slot = index % slots;
      const result = await (reads[slot] as Promise<R>);
      if (failure) throw failure.error;
      const pending = use(result, items[index] as T, slot);
      const release = Promise.resolve(pending).catch((error: unknown) => {
        failure ??= { error };
      });
      held[slot] = release;
      start(index + slots);
    }
    await Promise.all(held);
    if (failure) throw failure.error;
  } finally {
    // Never hand buffers or file handles back while the pool still reads or writes them.
    await Promise.allSettled([...held, ...reads.filter((r): r is Promise<R> => r !== undefined)]);
  }
}
