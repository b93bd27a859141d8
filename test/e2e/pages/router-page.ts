import type { Locator, Page } from 'playwright-core';

/** Page object for the Router page, by data-testid only. */
export class RouterPageObject {
  constructor(readonly page: Page) {}

  byTestId(id: string): Locator {
    return this.page.getByTestId(id);
  }

  endpointRow(name: string): Locator {
    return this.byTestId(`router-endpoint-${name}`);
  }

  async createKey(app: string, models: string): Promise<string> {
    await this.byTestId('router-key-app').fill(app);
    await this.byTestId('router-key-models').fill(models);
    await this.byTestId('router-key-create').click();
    await this.byTestId('router-new-key-value').waitFor();
    return (await this.byTestId('router-new-key-value').textContent()) ?? '';
  }

  async revokeKey(id: string): Promise<void> {
    await this.byTestId(`router-key-revoke-${id}`).click();
    // A revoke asks first: an application using the key is refused at once.
    await this.byTestId(`router-key-revoke-yes-${id}`).click();
    await this.byTestId(`router-key-${id}`).filter({ hasText: 'revoked' }).waitFor();
  }
}
