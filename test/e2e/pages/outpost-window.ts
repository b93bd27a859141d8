import type { Locator, Page } from 'playwright-core';

/** Page object for the app frame and the Overview page, by data-testid only. */
export class OutpostWindow {
  constructor(readonly page: Page) {}

  byTestId(id: string): Locator {
    return this.page.getByTestId(id);
  }

  async open(url: string): Promise<void> {
    await this.page.goto(url);
  }

  async goTo(pagePath: string): Promise<void> {
    await this.byTestId(`nav-${pagePath}`).click();
    await this.byTestId(`page-${pagePath}`).waitFor();
  }

  get siteId(): Locator {
    return this.byTestId('site-id');
  }

  get statusSite(): Locator {
    return this.byTestId('status-site');
  }

  get statusOffline(): Locator {
    return this.byTestId('status-offline');
  }

  get workstationCpu(): Locator {
    return this.byTestId('workstation-cpu');
  }

  async createIdentity(siteId: string): Promise<void> {
    await this.byTestId('site-id-input').fill(siteId);
    await this.byTestId('create-identity').click();
  }
}
