// Loaded with `node --import` into the soak's long-lived core (and, through NODE_OPTIONS, the router it starts):
// the workstation's wall clock as these processes see it, stepped by the offset in OUTPOST_SOAK_CLOCK_FILE.
// `Date.now()` and `new Date()` move; timers and performance.now() do not, as with a real clock step. The
// machine's own clock is never touched.
import { readFileSync } from 'node:fs';

const file = process.env.OUTPOST_SOAK_CLOCK_FILE;

if (file) {
  const RealDate = Date;
  const readOffset = (): number => {
    try {
      const offset = Number(readFileSync(file, 'utf8').trim());
      return Number.isFinite(offset) ? offset : 0;
    } catch {
      return 0;
    }
  };
  let offsetMs = readOffset();
  // A step reaches a running process within a fifth of a second.
  setInterval(() => {
    offsetMs = readOffset();
  }, 200).unref();
  const now = (): number => RealDate.now() + offsetMs;
  globalThis.Date = new Proxy(RealDate, {
    construct: (target, args, newTarget) => Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget) as object,
    apply: () => new RealDate(now()).toString(),
    get: (target, property, receiver) => (property === 'now' ? now : (Reflect.get(target, property, receiver) as unknown)),
  });
}
