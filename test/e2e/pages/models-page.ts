import type { Locator, Page } from 'playwright-core';

/** Page object for the Models page (the model library), by data-testid only. */
export class ModelsPageObject {
  constructor(readonly page: Page) {}

  byTestId(id: string): Locator {
    return this.page.getByTestId(id);
  }

  /** The library row of a release (`outpost-tiny@2`) or a workstation file (its path). */
  row(ref: string): Locator {
    return this.page.locator(`[data-testid="models-row"][data-ref="${ref}"]`);
  }

  /** "Plan this model": the Plan page opens with it chosen. */
  async plan(ref: string): Promise<void> {
    await this.row(ref).getByTestId('models-plan').click();
    await this.byTestId('page-plan').waitFor();
  }
}
