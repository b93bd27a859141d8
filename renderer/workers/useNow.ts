import { useEffect, useState } from 'react';

/** The wall clock, re-read every `intervalMs`, so ages and uptimes shown on a card keep counting. */
export function useNow(intervalMs: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
