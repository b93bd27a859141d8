import type { Locator, Page } from 'playwright-core';

/** Page object for the Sync page, by data-testid only. */
export class SyncPageObject {
  constructor(readonly page: Page) {}

  byTestId(id: string): Locator {
    return this.page.getByTestId(id);
  }

  async preview(media: string): Promise<void> {
    await this.byTestId('import-media').fill(media);
    await this.byTestId('import-preview').click();
  }

  async apply(): Promise<void> {
    await this.byTestId('import-apply').click();
  }

  async exportTo(dir: string, peer?: string): Promise<void> {
    await this.byTestId('export-to').fill(dir);
    if (peer) await this.byTestId('export-for').selectOption(peer);
    await this.byTestId('export-start').click();
  }
}
