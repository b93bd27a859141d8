import type { Locator, Page } from 'playwright-core';

/** Page object for the Settings page, by data-testid only. */
export class SettingsPageObject {
  constructor(readonly page: Page) {}

  byTestId(id: string): Locator {
    return this.page.getByTestId(id);
  }

  field(name: string): Locator {
    return this.byTestId(`setting-${name}`);
  }

  fieldError(name: string): Locator {
    return this.byTestId(`setting-${name}-error`);
  }

  /** Fills the fields given and saves their section ('health' or 'router'); waits for "saved" or an error. */
  async save(section: 'health' | 'router', values: Record<string, string>): Promise<'saved' | 'refused'> {
    for (const [name, value] of Object.entries(values)) await this.field(name).fill(value);
    await this.byTestId(`settings-${section}-save`).click();
    const saved = this.byTestId(`settings-${section}-saved`);
    const refused = this.page.locator(`[data-testid="settings-${section}"] [data-testid$="-error"], [data-testid="settings-${section}"] [data-testid="error-note"]`).first();
    await saved.or(refused).waitFor();
    return (await saved.isVisible()) ? 'saved' : 'refused';
  }

  async value(name: string): Promise<string> {
    return this.field(name).inputValue();
  }
}
