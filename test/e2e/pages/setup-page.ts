import type { Locator, Page } from 'playwright-core';

export interface InspectedTrust {
  siteId: string;
  role: string;
  fingerprint: string;
}

/** Page object for the First visit page (`#/setup`), by data-testid only; the field test plays the first visit through it. */
export class SetupPageObject {
  constructor(readonly page: Page) {}

  byTestId(id: string): Locator {
    return this.page.getByTestId(id);
  }

  /** Waits until the service says `step` is the current one (identity, ssh-key, hq-trust, scan, host-keys, inventory). */
  async waitForStep(step: string, timeout = 30_000): Promise<void> {
    await this.page.locator(`[data-testid="setup-page"][data-current="${step}"]`).waitFor({ timeout });
  }

  async currentStep(): Promise<string | null> {
    return this.byTestId('setup-page').getAttribute('data-current');
  }

  /** Opens a step's body from the step list (a done step stays reachable). */
  async openStep(step: string): Promise<void> {
    await this.byTestId(`setup-step-${step}`).getByRole('button').click();
    await this.byTestId(`setup-body-${step}`).waitFor();
  }

  async createIdentity(siteId?: string): Promise<void> {
    if (siteId) await this.byTestId('site-id-input').fill(siteId);
    await this.byTestId('create-identity').click();
    await this.waitForStep('ssh-key');
  }

  /**
   * Copies the authorized_keys line with the Copy button and answers what the clipboard holds (the context
   * must grant clipboard-read), checked against the line shown on the page.
   */
  async copyPublicKey(): Promise<string> {
    const shown = (await this.byTestId('ssh-authorized-line').textContent()) ?? '';
    await this.byTestId('ssh-authorized-line-copy').click();
    await this.byTestId('ssh-authorized-line-copy').filter({ hasText: 'Copied' }).waitFor();
    const copied = String(await this.page.evaluate('navigator.clipboard.readText()'));
    if (copied !== shown) throw new Error(`the clipboard holds ${JSON.stringify(copied)}, the page shows ${JSON.stringify(shown)}`);
    return copied;
  }

  /** "The key is on the hosts": the step's confirmation, after the line is in each host's authorized_keys. */
  async confirmPublicKey(): Promise<void> {
    await this.byTestId('ssh-key-confirm').click();
    await this.waitForStep('hq-trust');
  }

  /** Reads a trust file and answers what the window shows before any confirmation. */
  async inspectTrust(path: string): Promise<InspectedTrust> {
    await this.byTestId('trust-add-path').fill(path);
    await this.byTestId('trust-inspect').click();
    await this.byTestId('trust-inspected').waitFor();
    return {
      siteId: (await this.byTestId('trust-inspected-site').textContent()) ?? '',
      role: (await this.byTestId('trust-inspected-role').textContent()) ?? '',
      fingerprint: (await this.byTestId('trust-inspected-fingerprint').textContent()) ?? '',
    };
  }

  /** A trust file the window refuses: the error it shows. */
  async trustRefusal(path: string): Promise<string> {
    await this.byTestId('trust-add-path').fill(path);
    await this.byTestId('trust-inspect').click();
    const note = this.byTestId('trust-add').getByTestId('error-note');
    await note.waitFor();
    return (await note.textContent()) ?? '';
  }

  /** Inspect HQ's trust file, confirm it, and wait for the scan step; answers what was shown before the confirmation. */
  async addTrust(path: string): Promise<InspectedTrust> {
    const inspected = await this.inspectTrust(path);
    await this.byTestId('trust-add-yes').click();
    await this.waitForStep('scan');
    return inspected;
  }

  /** Fills the scan (targets, user, port), starts it and waits until it has finished and the host keys are up for review. */
  async scan(options: { targets: string; user: string; port?: number }, timeout = 60_000): Promise<void> {
    await this.byTestId('scan-targets').fill(options.targets);
    await this.byTestId('scan-user').fill(options.user);
    if (options.port !== undefined) await this.byTestId('scan-port').fill(String(options.port));
    await this.byTestId('scan-start').click();
    await this.byTestId('setup-body-host-keys').waitFor({ timeout });
  }

  reviewRow(node: string): Locator {
    return this.page.locator(`[data-testid="review-row"][data-node="${node}"]`);
  }

  /** Accepts a changed host key in two steps; answers the old and new fingerprints shown side by side, and the re-probe's line. */
  async acceptChangedKey(node: string): Promise<{ pinned: string; offered: string; reprobe: string }> {
    const row = this.reviewRow(node);
    const pinned = (await row.getByTestId('hostkey-pinned-fingerprint').textContent()) ?? '';
    const offered = (await row.getByTestId('hostkey-offered-fingerprint').textContent()) ?? '';
    await row.getByTestId('hostkey-accept').click();
    await row.getByTestId('hostkey-confirm-yes').click();
    const reprobe = this.page.locator(`[data-testid="review-reprobe"][data-node="${node}"]`);
    await reprobe.waitFor({ timeout: 30_000 });
    return { pinned, offered, reprobe: (await reprobe.textContent()) ?? '' };
  }

  /** "The host keys are right": the review's confirmation; the inventory follows. */
  async confirmHostKeys(): Promise<void> {
    await this.byTestId('review-confirm').click();
    await this.waitForStep('inventory');
  }
}
