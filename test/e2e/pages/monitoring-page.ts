import type { Locator, Page } from 'playwright-core';

/** Page object for the Monitoring page, by data-testid only. */
export class MonitoringPageObject {
  constructor(readonly page: Page) {}

  byTestId(id: string): Locator {
    return this.page.getByTestId(id);
  }

  /** A chart once it draws exactly `lines` lines with data (the page's CSP allows no evaluated script, so attribute selectors). */
  async chartWithLines(testId: string, lines: number): Promise<Locator> {
    await this.page.locator(`[data-testid="${testId}"][data-lines="${lines}"]:not([data-points="0"]) canvas`).first().waitFor({ timeout: 30_000 });
    return this.byTestId(testId);
  }

  healthItem(check: string): Locator {
    return this.byTestId(`monitoring-health-${check}`);
  }

  alert(key: string): Locator {
    return this.byTestId(`monitoring-alert-${key}`);
  }
}
