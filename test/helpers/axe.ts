import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/** What the checks report of one violated rule; the shape of axe-core's result, only the fields read here. */
interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[] }>;
}

const THEMES = ['light', 'dark'] as const;
const BLOCKING = new Set(['serious', 'critical']);

let axeSource: string | null = null;
/**
 * axe-core's bundle, evaluated through the DevTools protocol: the window's CSP (script-src 'self') refuses the
 * inline <script> that page.addScriptTag would add, and would log that refusal as a console error.
 */
function axeScript(): string {
  axeSource ??= fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  return axeSource;
}

/**
 * Runs axe-core on what `page` shows now, in the light and the dark theme (emulated `prefers-color-scheme`), and
 * fails with one line per serious or critical violation: rule id, impact, the elements, what to do. `label` names
 * the page or the state in the message. The page's colour scheme is left unemulated afterwards.
 */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(axeScript());
  const failures: string[] = [];
  try {
    for (const theme of THEMES) {
      await page.emulateMedia({ colorScheme: theme });
      const violations = await page.evaluate(async () => {
        // In the page, where axe-core is a global; run() with options only checks the whole document.
        const axe = (globalThis as unknown as { axe: { run: (options: object) => Promise<{ violations: AxeViolation[] }> } }).axe;
        // No preload: axe would fetch the stylesheets itself, requests the page never makes (its console reports refused ones).
        const results = await axe.run({ resultTypes: ['violations'], preload: false });
        return results.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
      });
      for (const v of violations.filter((found) => BLOCKING.has(found.impact ?? ''))) {
        const targets = v.nodes.map((n) => n.target.map(String).join(' ')).join(', ');
        failures.push(`  [${theme}] ${v.id} (${v.impact}) at ${targets}: ${v.help}`);
      }
    }
  } finally {
    await page.emulateMedia({ colorScheme: null });
  }
  if (failures.length > 0) throw new Error(`accessibility of ${label}: ${failures.length} serious or critical violation(s)\n${failures.join('\n')}`);
}
