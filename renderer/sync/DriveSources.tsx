import type { Drive } from '../../shared/domain/drives.js';

/** Drives holding a bundle, each an import source; an unfinished export is shown as one that cannot be imported. */
export function DriveSources({ drives, disabled, onPick }: { drives: Drive[]; disabled: boolean; onPick: (path: string) => void }) {
  const found = drives.flatMap((drive) => drive.bundles.map((bundle) => ({ drive, bundle })));
  if (found.length === 0) return <p className="muted small">No mounted drive holds a bundle; type its directory below, or plug the drive in.</p>;
  return (
    <ul className="drive-sources">
      {found.map(({ drive, bundle }) => (
        <li key={bundle.path}>
          {bundle.incomplete ? (
            <span className="warn" data-testid="drive-unfinished">
              {drive.label}: an export being written, or cut short (the drive was removed or the export failed) — it cannot be imported; once cut short, export again.
            </span>
          ) : bundle.fromHere ? (
            <span className="muted small">
              {drive.label}: bundle {bundle.sequence} written here for {bundle.recipient === '*' ? 'all sites' : bundle.recipient} (medium {bundle.medium} of {bundle.count})
            </span>
          ) : (
            <button type="button" disabled={disabled} onClick={() => onPick(bundle.path)} data-testid="import-from-drive" data-label={drive.label}>
              Verify &amp; preview bundle {bundle.sequence ?? '?'} from {bundle.issuer ?? 'an unknown issuer'} on {drive.label} (medium {bundle.medium} of {bundle.count})
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}
