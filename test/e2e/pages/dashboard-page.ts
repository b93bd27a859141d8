import type { Locator, Page } from 'playwright-core';

/** Page object for the site dashboard (the home page, #/overview), by data-testid only. */
export class DashboardPageObject {
  constructor(readonly page: Page) {}

  byTestId(id: string): Locator {
    return this.page.getByTestId(id);
  }

  tile(name: 'offline' | 'alerts' | 'nodes' | 'deployments' | 'router' | 'gpus'): Locator {
    return this.byTestId(`dashboard-${name}`);
  }

  alert(key: string): Locator {
    return this.page.locator(`[data-testid="dashboard-alert"][data-key="${key}"]`);
  }

  gpu(node: string): Locator {
    return this.page.locator(`[data-testid="dashboard-gpu"][data-node="${node}"]`);
  }

  /** The count of nodes in a state (`up`, `silent`, `key-changed`) once it reads `count`. */
  async nodesCount(state: 'up' | 'silent' | 'key-changed', count: number, timeout = 30_000): Promise<void> {
    await this.byTestId(`dashboard-nodes-${state}`)
      .filter({ hasText: new RegExp(`^${count}$`) })
      .waitFor({ timeout });
  }
}
