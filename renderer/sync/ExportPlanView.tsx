import type { ExportPlan } from '../../shared/domain/drives.js';
import { formatBytes } from '../../shared/units.js';
import { Meter } from '../components/Meter.js';

/** The bundle's size against the free space of where it goes, and what the service advises. */
export function ExportPlanView({ plan }: { plan: ExportPlan }) {
  const free = plan.freeBytes;
  return (
    <div className="export-plan" data-testid="export-plan">
      <Meter used={plan.bundleBytes} total={Math.max(free, 1)} label={`bundle ${formatBytes(plan.bundleBytes)} · ${formatBytes(free)} free`} testId="export-plan-bar" />
      <p className={plan.fits ? 'ok small' : 'warn small'} data-testid="export-plan-advice">
        {plan.advice}
      </p>
    </div>
  );
}
