import { resolve } from 'node:path';
import type { LibraryModel, ModelReleaseEntry } from '../../shared/domain/models.js';
import type { ModelFile } from '../../shared/domain/discovery.js';
import { existingFile, ggufFilesIn } from './adapters/local-models.js';
import { readGgufHeaderFromFile, modelNameFromPath } from './adapters/gguf-file.js';
import type { NodeGgufHeader } from './adapters/node-gguf.js';
import type { GgufHeader } from './core/gguf-header.js';
import { profileFromGguf } from './core/gguf-profile.js';
import { fileRow, releaseRows, type HeaderFacts } from './core/model-library.js';

export interface LibraryDeps {
  /** Every HQ release that arrived (sync's service). */
  releases: () => ModelReleaseEntry[];
  /** Folders of this workstation whose .gguf files are listed (the data dir's models folder). */
  modelDirs: () => string[];
  /** .gguf paths stored plans were made from. */
  plannedPaths: () => string[];
  nodeNames: () => string[];
  nodeModelFiles: (node: string) => ModelFile[] | null;
  readNodeGguf: (node: string, path: string, signal: AbortSignal | undefined) => Promise<NodeGgufHeader>;
}

function headerFacts(header: GgufHeader, fallbackName: string): HeaderFacts {
  const profile = profileFromGguf(header, fallbackName);
  return { architecture: profile.architecture, quant: profile.quantization, layers: profile.layers };
}

const problemOf = (error: unknown): HeaderFacts => ({ problem: (error as Error).message.slice(0, 300) });

/**
 * Every model the site can run, each with what its GGUF header says. Headers of releases and node files are
 * remembered by digest (the same digest is the same bytes); a workstation file is read each time (cheap, local).
 */
export class ModelLibrary {
  private readonly known = new Map<string, HeaderFacts>();

  constructor(private readonly deps: LibraryDeps) {}

  async list(signal?: AbortSignal): Promise<LibraryModel[]> {
    const releases = this.deps.releases();
    const held = releases.filter((r): r is ModelReleaseEntry & { path: string } => r.path !== null);
    const releaseHeaders = new Map(await Promise.all(held.map(async (r) => [r.digest, await this.remembered(r.digest, () => this.readLocal(r.path, r.name))] as const)));
    const local = new Map<string, { path: string; sizeBytes: number }>();
    for (const file of [...this.deps.modelDirs().flatMap(ggufFilesIn), ...this.deps.plannedPaths().flatMap((p) => existingFile(resolve(p)) ?? [])]) local.set(file.path, file);
    const localRows = await Promise.all([...local.values()].map(async (f) => fileRow({ node: null, path: f.path, sizeBytes: f.sizeBytes, digest: null }, await this.readLocal(f.path, modelNameFromPath(f.path)))));
    const nodeRows = await Promise.all(
      this.deps.nodeNames().flatMap((node) =>
        (this.deps.nodeModelFiles(node) ?? [])
          .filter((f) => f.format === 'gguf')
          .map(async (f) => {
            const read = () => this.deps.readNodeGguf(node, f.path, signal).then((r) => headerFacts(r.header, modelNameFromPath(f.path)), problemOf);
            const header = f.headerDigest ? await this.remembered(`${node}:${f.headerDigest}`, read) : await read();
            return fileRow({ node, path: f.path, sizeBytes: f.sizeBytes, digest: f.headerDigest }, header);
          }),
      ),
    );
    return [...releaseRows(releases, releaseHeaders), ...localRows, ...nodeRows];
  }

  private async readLocal(path: string, fallbackName: string): Promise<HeaderFacts> {
    return readGgufHeaderFromFile(path).then((h) => headerFacts(h, fallbackName), problemOf);
  }

  /** A failed read is not remembered: the node may answer next time. */
  private async remembered(key: string, read: () => Promise<HeaderFacts>): Promise<HeaderFacts> {
    const known = this.known.get(key);
    if (known) return known;
    const facts = await read();
    if (!('problem' in facts)) this.known.set(key, facts);
    return facts;
  }
}
