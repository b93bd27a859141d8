import type { Locator, Page } from 'playwright-core';

/** Page object for the Workers page, by data-testid only. */
export class WorkersPageObject {
  constructor(readonly page: Page) {}

  byTestId(id: string): Locator {
    return this.page.getByTestId(id);
  }

  deployment(id: string): Locator {
    return this.byTestId(`deployment-${id}`);
  }

  async sendPrompt(deploymentId: string, prompt: string): Promise<void> {
    const card = this.deployment(deploymentId);
    await card.getByTestId('workers-prompt-input').fill(prompt);
    await card.getByTestId('workers-prompt-send').click();
  }

  async stop(deploymentId: string): Promise<void> {
    const card = this.deployment(deploymentId);
    await card.getByTestId('workers-stop').click();
    await card.getByTestId('workers-confirm').waitFor();
    await card.getByTestId('workers-confirm-yes').click();
  }

  /** "Version N available — Roll out", confirmed with Enter (the confirm button has the focus). */
  async rollOut(deploymentId: string): Promise<void> {
    const card = this.deployment(deploymentId);
    await card.getByTestId('rollout-start').click();
    await card.getByTestId('rollout-confirm').waitFor();
    await this.page.keyboard.press('Enter');
  }

  /** "Roll back to version N", confirmed. */
  async rollBack(deploymentId: string): Promise<void> {
    const card = this.deployment(deploymentId);
    await card.getByTestId('rollback-start').click();
    await card.getByTestId('rollback-confirm-yes').click();
  }
}
