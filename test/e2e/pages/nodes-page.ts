import type { Locator, Page } from 'playwright-core';

/** Page object for the Nodes page (Discovery), by data-testid only. */
export class NodesPageObject {
  constructor(readonly page: Page) {}

  byTestId(id: string): Locator {
    return this.page.getByTestId(id);
  }

  async scan(targets: string, user: string, concurrency?: number): Promise<void> {
    await this.byTestId('scan-targets').fill(targets);
    await this.byTestId('scan-user').fill(user);
    if (concurrency !== undefined) await this.byTestId('scan-concurrency').fill(String(concurrency));
    await this.byTestId('scan-start').click();
  }

  row(node: string): Locator {
    return this.page.locator(`[data-testid="node-row"][data-node="${node}"]`);
  }

  get rows(): Locator {
    return this.byTestId('node-row');
  }
}
