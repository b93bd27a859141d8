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
    await this.byTestId('export-mode-directory').check();
    await this.byTestId('export-to').fill(dir);
    if (peer) await this.byTestId('export-for').selectOption(peer);
    await this.byTestId('export-start').click();
  }

  /** The drive row once the page lists it (drives are polled every two seconds). */
  drive(label: string): Locator {
    return this.page.locator(`[data-testid="drive-row"][data-label="${label}"]`);
  }

  /** Ticks the drive, waits for the size-against-free-space advice, and returns it (without exporting). */
  async planExportToDrive(label: string): Promise<string> {
    await this.byTestId('export-mode-drives').check();
    const box = this.page.locator(`[data-testid="export-drive"][data-label="${label}"]`);
    await box.check();
    const advice = this.byTestId('export-plan-advice');
    await advice.waitFor();
    return (await advice.textContent()) ?? '';
  }

  /** Exports to the drive labelled `label` and waits for "safe to remove"; returns that line. */
  async exportToDrive(label: string): Promise<string> {
    await this.planExportToDrive(label);
    await this.byTestId('export-start').click();
    const safe = this.byTestId('export-safe');
    await safe.waitFor({ timeout: 120_000 });
    return (await safe.textContent()) ?? '';
  }

  /** Verifies and previews the bundle on the drive labelled `label`; returns the preview's text (versions, sizes, digests as the service gives them). */
  async importFromDrive(label: string, bundle?: number): Promise<string> {
    const button = this.page.locator(`[data-testid="import-from-drive"][data-label="${label}"]`);
    // A drive may hold several bundles; `bundle` picks one by its sequence.
    await (bundle === undefined ? button : button.filter({ hasText: new RegExp(`bundle ${bundle}\\b`) })).click();
    const state = this.byTestId('import-state').filter({ hasText: 'Nothing is applied yet' });
    await state.waitFor({ timeout: 120_000 });
    return (await this.byTestId('import-result').textContent()) ?? '';
  }

  /** Applies the previewed import and waits until it is applied or asks for the next drive; returns what it says. */
  async applyImport(): Promise<string> {
    await this.apply();
    const done = this.byTestId('import-state').filter({ hasText: /Applied in one transaction|insert the remaining media/ });
    await done.waitFor({ timeout: 120_000 });
    return (await done.textContent()) ?? '';
  }
}
