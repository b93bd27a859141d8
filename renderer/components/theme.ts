import { useEffect, useState } from 'react';

const DARK = '(prefers-color-scheme: dark)';

/** The OS's colour scheme now, updated when it changes: what is drawn on a canvas repaints with it. */
export function useColorScheme(): 'light' | 'dark' {
  const [dark, setDark] = useState(() => window.matchMedia(DARK).matches);
  useEffect(() => {
    const query = window.matchMedia(DARK);
    const onChange = () => setDark(query.matches);
    query.addEventListener('change', onChange);
    return () => query.removeEventListener('change', onChange);
  }, []);
  return dark ? 'dark' : 'light';
}

/** A colour variable of styles.css (`--muted` is `themeColor('muted')`) as the current theme sets it. */
export function themeColor(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(`--${name}`).trim();
}
