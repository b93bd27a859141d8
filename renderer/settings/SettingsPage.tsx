import { HealthLimitsSection } from './HealthLimitsSection.js';
import { RouterListenSection } from './RouterListenSection.js';

/** The site's settings, each section saved on its own and read back from the site service. */
export function SettingsPage() {
  return (
    <div className="settings-page" data-testid="page-settings-live">
      <h1>Settings</h1>
      <HealthLimitsSection />
      <RouterListenSection />
    </div>
  );
}
