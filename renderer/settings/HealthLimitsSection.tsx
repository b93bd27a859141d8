import { useEffect, useState, type FormEvent } from 'react';
import type { TelemetrySettings } from '../../shared/domain/telemetry.js';
import { useCall, useClient } from '../api/hooks.js';
import { ErrorNote } from '../components/ErrorNote.js';
import { SettingField, asNumber } from './SettingField.js';
import { SaveBar, useSectionSave } from './section-save.js';

const FIELDS: ReadonlyArray<{ name: keyof TelemetrySettings; label: string; unit: string }> = [
  { name: 'offlineLimitHours', label: 'Offline limit: time without an exchange with HQ before health is critical', unit: 'hours' },
  { name: 'nodeUnseenHours', label: 'A node is reported unseen after', unit: 'hours' },
  { name: 'staleAfterSeconds', label: 'A telemetry source is stale after', unit: 'seconds' },
  { name: 'modelStaleDays', label: "HQ's newest model release is stale after", unit: 'days' },
  { name: 'keyMaxAgeDays', label: 'Rotate the signing and SSH keys after', unit: 'days' },
  { name: 'rawRetentionHours', label: 'Keep raw telemetry samples for', unit: 'hours' },
  { name: 'rollupRetentionDays', label: 'Keep telemetry rollups for', unit: 'days' },
];

type Form = Record<keyof TelemetrySettings, string>;
const toForm = (settings: TelemetrySettings): Form => Object.fromEntries(FIELDS.map((f) => [f.name, String(settings[f.name])])) as Form;

/** The limits the health report and retention use (`telemetry.settings.*`), saved together and read back. */
export function HealthLimitsSection() {
  const client = useClient();
  const [settings, reload] = useCall('telemetry.settings.show', {});
  const [form, setForm] = useState<Form | null>(null);
  const saving = useSectionSave(reload);
  useEffect(() => {
    if (settings.status === 'ok') setForm(toForm(settings.data));
  }, [settings]);

  const save = (event: FormEvent) => {
    event.preventDefault();
    if (!form) return;
    const patch = Object.fromEntries(FIELDS.map((f) => [f.name, asNumber(form[f.name])]));
    saving.save(() => client.call('telemetry.settings.set', patch));
  };

  return (
    <section className="card" data-testid="settings-health">
      <h2>Health limits</h2>
      <p className="muted">When the health report (and the dashboard) warns, and how long telemetry is kept.</p>
      {settings.status === 'error' && <ErrorNote error={settings.error} />}
      {form && (
        <form onSubmit={save} noValidate>
          <div className="settings-grid">
            {FIELDS.map((f) => (
              <SettingField key={f.name} name={f.name} label={f.label} unit={f.unit} value={form[f.name]} onChange={(value) => setForm({ ...form, [f.name]: value })} error={saving.error?.fields[f.name]} />
            ))}
          </div>
          <SaveBar section="health" state={saving} label="Save health limits" busyLabel="Saving…" savedText="Saved; the values above are read back from the site service." />
        </form>
      )}
    </section>
  );
}
