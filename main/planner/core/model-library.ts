import type { LibraryModel, ModelReleaseEntry, ReleaseRef } from '../../../shared/domain/models.js';
import { OutpostError } from '../../../shared/errors.js';
import { nearestNames } from './names.js';

/**
 * The model library's rules: which release a `name` or `name@version` means, and how each model the site can
 * run is listed. Pure: the service reads the files and headers and hands the facts in.
 */

/** `outpost-tiny@2` → name and version; a name alone (or a path) has no version. */
export function parseModelRef(ref: string): { name: string; version: string | null } {
  const at = ref.lastIndexOf('@');
  if (at <= 0 || ref.includes('/')) return { name: ref, version: null };
  return { name: ref.slice(0, at), version: ref.slice(at + 1) };
}

/** `name@version`, what `--model` takes for a release. */
export const releaseRefText = (release: { name: string; version: string }): string => `${release.name}@${release.version}`;

/** Newest first: the higher HQ's record sequence, the newer the release. */
export function newestFirst(releases: readonly ModelReleaseEntry[]): ModelReleaseEntry[] {
  return [...releases].sort((a, b) => b.recordVersion - a.recordVersion);
}

/**
 * The release `ref` names: `name@version` that version, `name` alone the newest. Null when no release has that
 * name (a catalog model or a file path); a known name with an unknown version, or a release whose file is not a
 * single file held here, is refused by name with what exists.
 */
export function resolveRelease(ref: string, releases: readonly ModelReleaseEntry[]): ModelReleaseEntry | null {
  const { name, version } = parseModelRef(ref);
  const ofName = newestFirst(releases.filter((r) => r.name === name));
  if (!ofName.length) return null;
  const release = version === null ? ofName[0] : ofName.find((r) => r.version === version);
  const versions = ofName.map((r) => r.version).join(', ');
  if (!release) throw new OutpostError('NOT_FOUND', `${name} has no version ${JSON.stringify(version)}; HQ released ${versions}`, `plan with --model ${name}@<version>, one of: ${versions} (\`outpost models\` lists them)`);
  if (release.path === null) {
    const why = release.fileCount > 1 ? `a directory of ${release.fileCount} files, not one GGUF file` : 'its file is not in this data dir (import the bundle that carries it)';
    throw new OutpostError('PRECONDITION', `${releaseRefText(release)} cannot be planned: ${why}`, 'ask HQ for a GGUF release of it, or pick another model (`outpost models`)');
  }
  return release;
}

export const releaseRefOf = (release: ModelReleaseEntry): ReleaseRef => ({ name: release.name, version: release.version, digest: release.digest });

/** The refusal for a model nobody has: what was asked and every name that would work. */
export function unknownModelError(ref: string, library: { releases: readonly ModelReleaseEntry[]; catalog: readonly string[] }): OutpostError {
  const releases = [...new Set(newestFirst(library.releases).map((r) => releaseRefText(r)))];
  const known = [...(releases.length ? [`HQ releases: ${releases.join(', ')}`] : ['no HQ releases yet']), `catalog: ${library.catalog.join(', ')}`];
  const nearest = nearestNames(ref, [...new Set(library.releases.map((r) => r.name)), ...library.catalog]);
  return new OutpostError('NOT_FOUND', `Unknown model "${ref}": not an HQ release, a catalog model or a .gguf file`, `Did you mean ${nearest.map((n) => `"${n}"`).join(', ')}? ${known.join('; ')}. \`outpost models\` lists every model the site can run.`);
}

/** What a GGUF header says, or why it could not be read. */
export type HeaderFacts = { architecture: string; quant: string; layers: number } | { problem: string };

const facts = (header: HeaderFacts | undefined): Pick<LibraryModel, 'architecture' | 'quant' | 'layers' | 'problem'> =>
  header === undefined ? { architecture: null, quant: null, layers: null, problem: 'not read' } : 'problem' in header ? { architecture: null, quant: null, layers: null, problem: header.problem } : { ...header, problem: null };

/** One row per release, newest version of each name first, then the older ones. */
export function releaseRows(releases: readonly ModelReleaseEntry[], headers: ReadonlyMap<string, HeaderFacts>): LibraryModel[] {
  const newestOf = new Map<string, number>();
  for (const r of releases) newestOf.set(r.name, Math.max(newestOf.get(r.name) ?? 0, r.recordVersion));
  return newestFirst(releases)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((r) => {
      const missing = r.path === null ? (r.fileCount > 1 ? `a directory of ${r.fileCount} files, not one GGUF file` : 'its file is not in this data dir') : null;
      return {
        name: r.name,
        version: r.version,
        source: 'release',
        ref: releaseRefText(r),
        node: null,
        path: r.path,
        location: r.path === null ? 'not held here' : `data dir: models/${r.digest}`,
        sizeBytes: r.sizeBytes,
        ...(missing ? { architecture: null, quant: null, layers: null, problem: missing } : facts(headers.get(r.digest))),
        digest: r.digest,
        signer: r.signer,
        releasedAt: r.releasedAt,
        newest: newestOf.get(r.name) === r.recordVersion,
      };
    });
}

/** A plain GGUF file on this workstation (node null) or on a node. */
export function fileRow(file: { node: string | null; path: string; sizeBytes: number; digest: string | null }, header: HeaderFacts | undefined): LibraryModel {
  const base = file.path.split('/').pop() ?? file.path;
  return {
    name: base.replace(/\.gguf$/i, ''),
    version: null,
    source: file.node === null ? 'workstation' : 'node',
    ref: file.node === null ? file.path : null,
    node: file.node,
    path: file.path,
    location: `${file.node ?? 'workstation'}: ${file.path}`,
    sizeBytes: file.sizeBytes,
    ...facts(header),
    digest: file.digest,
    signer: null,
    releasedAt: null,
    newest: true,
  };
}
