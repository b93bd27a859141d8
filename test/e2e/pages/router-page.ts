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

  /** Creates a key (for every model unless `models` names some) and returns its secret, shown once. */
  async createKey(app: string, models = ''): Promise<string> {
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

  /** The base URL the Connect card shows first. */
  async baseUrl(): Promise<string> {
    return ((await this.byTestId('connect-base-url').textContent()) ?? '').trim();
  }

  /** Clicks a snippet's Copy button, waits for its "copied" state and returns what the clipboard holds (clipboard-read must be granted). */
  async copySnippet(kind: 'curl' | 'openai-python' | 'openai-js'): Promise<string> {
    return this.copy(`connect-snippet-${kind}`);
  }

  /** The text beside a Copy button, as the clipboard holds it after the click. */
  async copy(testId: string): Promise<string> {
    await this.byTestId(`${testId}-copy`).click();
    await this.byTestId(`${testId}-copied`).waitFor();
    return this.page.evaluate<string>('navigator.clipboard.readText()');
  }

  /** Chooses the key the snippets are for, by id; '' for any key (read from $OUTPOST_API_KEY). */
  async chooseKey(id: string): Promise<void> {
    await this.byTestId('connect-key').selectOption(id);
  }
}
