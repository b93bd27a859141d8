import type { Locator, Page } from 'playwright-core';

/** Page object for the Plan page's planning, saved plans and Launch dialog, by data-testid only. */
export class PlanPageObject {
  constructor(readonly page: Page) {}

  byTestId(id: string): Locator {
    return this.page.getByTestId(id);
  }

  /** Plans a GGUF file on this workstation across the ticked inventory nodes and saves it; resolves to the plan id. */
  async planAndSave(options: { ggufPath: string; nodes: readonly string[]; context?: number; parallel?: number }): Promise<string> {
    await this.byTestId('plan-model').selectOption('__gguf__');
    await this.byTestId('plan-gguf').fill(options.ggufPath);
    for (const node of options.nodes) await this.byTestId(`plan-node-${node}`).check();
    if (options.context !== undefined) await this.byTestId('plan-context').fill(String(options.context));
    if (options.parallel !== undefined) await this.byTestId('plan-parallel').fill(String(options.parallel));
    await this.byTestId('plan-save').click();
    await this.page.locator('[data-testid="plan-id"], [data-testid="plan-infeasible"], .plan-page > [data-testid="error-note"]').first().waitFor();
    if (!(await this.byTestId('plan-id').count())) throw new Error(`the plan was not saved: ${await this.page.locator('.plan-page').innerText()}`);
    return ((await this.byTestId('plan-id').textContent()) ?? '').replace('saved as ', '').trim();
  }

  get dialog(): Locator {
    return this.byTestId('launch-dialog');
  }

  /** The Launch dialog of the plan just made. */
  async openLaunch(): Promise<void> {
    await this.byTestId('plan-launch').click();
    await this.dialog.waitFor();
  }

  savedPlan(planId: string): Locator {
    return this.byTestId(`saved-plan-${planId}`);
  }

  async openLaunchOfSaved(planId: string): Promise<void> {
    await this.byTestId(`saved-plan-launch-${planId}`).click();
    await this.dialog.waitFor();
  }

  /** The login the dialog shows, as workers.launchLogin proposed it (once its note is shown). */
  async proposedLogin(): Promise<string> {
    await this.byTestId('launch-login-note').waitFor();
    return this.byTestId('launch-user').inputValue();
  }

  /** Fills the dialog's options and launches with Enter; the login stays as the service proposed it unless given. */
  async launch(options: { port: number; user?: string; threads?: number }): Promise<string> {
    await this.byTestId('launch-login-note').waitFor();
    if (options.user !== undefined) await this.byTestId('launch-user').fill(options.user);
    if (options.threads !== undefined) await this.byTestId('launch-threads').fill(String(options.threads));
    await this.byTestId('launch-port').fill(String(options.port));
    await this.byTestId('launch-port').press('Enter');
    await this.byTestId('launch-deployment-id').waitFor();
    return ((await this.byTestId('launch-deployment-id').textContent()) ?? '').trim();
  }

  phase(name: 'preflight' | 'model' | 'keys' | 'start' | 'ready' | 'test' | 'register', state?: 'pending' | 'active' | 'done' | 'failed'): Locator {
    return this.page.locator(`[data-testid="launch-phase-${name}"]${state ? `[data-state="${state}"]` : ''}`);
  }

  /** Cancel, then the explicit confirmation. */
  async cancelLaunch(): Promise<void> {
    await this.byTestId('launch-cancel').click();
    await this.byTestId('launch-cancel-confirm').waitFor();
    await this.byTestId('launch-cancel-yes').click();
  }

  /** Delete…, then the explicit confirmation. */
  async deletePlan(planId: string): Promise<void> {
    await this.byTestId(`saved-plan-delete-${planId}`).click();
    await this.byTestId(`saved-plan-confirm-${planId}`).waitFor();
    await this.byTestId(`saved-plan-delete-yes-${planId}`).click();
  }
}
