import { CALIBRATION_MAX_RATIO, calibrationName, factorProblem, type AppliedCalibration, type CalibrationKey, type CalibrationRecord, type CalibrationSample, type CalibrationVerdict, type StoredCalibration } from '../../../shared/domain/calibration.js';

/** The newest samples a record names; its factors are means over every accepted sample. */
const PROVENANCE_KEPT = 20;

export const keyOf = (key: CalibrationKey): string => `${key.gpu.toUpperCase()}\u0000${key.engine}\u0000${key.quant.toUpperCase()}`;

/**
 * Why a measured/estimated pair cannot calibrate anything, or null when it can: a figure that is
 * not a positive finite number, or a ratio more than CALIBRATION_MAX_RATIO off either way (a
 * misread log or a stalled prompt, not the cost model's error).
 */
export function ratioProblem(actual: number, estimated: number, unit: string): string | null {
  if (!Number.isFinite(actual) || actual <= 0) return `the measured ${unit} is ${actual}, not a positive finite number`;
  if (!Number.isFinite(estimated) || estimated <= 0) return `the estimated ${unit} is ${estimated}, not a positive finite number`;
  const ratio = actual / estimated;
  if (ratio > CALIBRATION_MAX_RATIO || ratio < 1 / CALIBRATION_MAX_RATIO) {
    return `the measured ${unit} (${actual.toPrecision(4)}) is ${ratio >= 1 ? ratio.toFixed(1) : (1 / ratio).toFixed(1)}× ${ratio >= 1 ? 'above' : 'below'} the estimate (${estimated.toPrecision(4)}); more than ${CALIBRATION_MAX_RATIO}× off is taken for a bad measurement`;
  }
  return null;
}

const mean = (old: number | null, count: number, next: number): number => (old === null || count === 0 ? next : (old * count + next) / (count + 1));

/**
 * Folds samples into the site's records: each sample's memory and speed pair is checked on its own
 * (one bad figure does not discard the other), an accepted one moves the key's mean, a rejected one
 * is returned with its reason and changes nothing.
 */
export function foldSamples(records: ReadonlyMap<string, CalibrationRecord>, samples: readonly CalibrationSample[]): { records: Map<string, CalibrationRecord>; verdict: CalibrationVerdict } {
  const next = new Map(records);
  const verdict: CalibrationVerdict = { accepted: [], rejected: [] };
  for (const sample of samples) {
    const key: CalibrationKey = { gpu: sample.gpu, engine: sample.engine, quant: sample.quant };
    const memoryProblem = sample.memory && ratioProblem(sample.memory.actualBytes, sample.memory.estimatedBytes, 'stage memory (bytes)');
    const speedProblem = sample.speed && ratioProblem(sample.speed.actualTokensPerSecond, sample.speed.estimatedTokensPerSecond, 'tokens/s');
    if (memoryProblem) verdict.rejected.push({ ...key, what: 'memory', reason: memoryProblem });
    if (speedProblem) verdict.rejected.push({ ...key, what: 'speed', reason: speedProblem });
    const memoryRatio = sample.memory && !memoryProblem ? sample.memory.actualBytes / sample.memory.estimatedBytes : null;
    const speedRatio = sample.speed && !speedProblem ? sample.speed.actualTokensPerSecond / sample.speed.estimatedTokensPerSecond : null;
    if (memoryRatio === null && speedRatio === null) continue;
    if (memoryRatio !== null) verdict.accepted.push({ ...key, what: 'memory', ratio: memoryRatio });
    if (speedRatio !== null) verdict.accepted.push({ ...key, what: 'speed', ratio: speedRatio });
    const id = keyOf(key);
    const old = next.get(id);
    next.set(id, {
      ...key,
      memoryFactor: memoryRatio === null ? (old?.memoryFactor ?? null) : mean(old?.memoryFactor ?? null, old?.memorySamples ?? 0, memoryRatio),
      memorySamples: (old?.memorySamples ?? 0) + (memoryRatio === null ? 0 : 1),
      speedFactor: speedRatio === null ? (old?.speedFactor ?? null) : mean(old?.speedFactor ?? null, old?.speedSamples ?? 0, speedRatio),
      speedSamples: (old?.speedSamples ?? 0) + (speedRatio === null ? 0 : 1),
      measuredAt: old && old.measuredAt > sample.at ? old.measuredAt : sample.at,
      provenance: [{ deploymentId: sample.deploymentId, site: sample.site, at: sample.at, memoryRatio, speedRatio }, ...(old?.provenance ?? [])].slice(0, PROVENANCE_KEPT),
    });
  }
  return { records: next, verdict };
}

/**
 * Which record a plan uses for a key when the site holds its own and HQ's: the newer measurement
 * (its newest sample); on a tie the site's own. So HQ's merged figures fill keys the site never
 * measured, and replace a site's own only when they rest on something measured later.
 */
export function effectiveRecords(stored: readonly StoredCalibration[]): Map<string, StoredCalibration> {
  const chosen = new Map<string, StoredCalibration>();
  for (const record of stored) {
    if (factorProblem(record) !== null) continue;
    const id = keyOf(record);
    const other = chosen.get(id);
    if (!other || record.measuredAt > other.measuredAt || (record.measuredAt === other.measuredAt && record.origin === 'site')) chosen.set(id, record);
  }
  return chosen;
}

/** The factors a device of this kind plans with, or null when no record with an accepted sample exists. */
export function appliedFor(records: ReadonlyMap<string, StoredCalibration>, key: CalibrationKey): AppliedCalibration | null {
  const record = records.get(keyOf(key));
  if (!record || record.memorySamples + record.speedSamples < 1) return null;
  const newest = record.provenance[0];
  return {
    gpu: record.gpu,
    engine: record.engine,
    quant: record.quant,
    memoryFactor: record.memoryFactor ?? 1,
    speedFactor: record.speedFactor ?? 1,
    samples: Math.max(record.memorySamples, record.speedSamples),
    origin: record.origin,
    measuredAt: record.measuredAt,
    from: newest ? `${newest.deploymentId} at ${newest.site}` : record.origin === 'hq' ? "HQ's release" : 'this site',
  };
}

/** The calibration a plan reads: the records in force, for the engine the plan is meant for. */
export interface PlanCalibration {
  readonly engine: string;
  readonly records: ReadonlyMap<string, StoredCalibration>;
}

/** One line per applied record, for the plan's explanation. */
export function calibrationLines(applied: readonly AppliedCalibration[]): string[] {
  return applied.map(
    (a) =>
      `Calibrated: ${calibrationName(a)} plans with memory ×${a.memoryFactor.toFixed(2)} and speed ×${a.speedFactor.toFixed(2)} ` +
      `(${a.samples} measured sample${a.samples === 1 ? '' : 's'}, ${a.origin === 'site' ? "this site's own" : "HQ's release"}, newest ${a.measuredAt} from ${a.from}).`,
  );
}
