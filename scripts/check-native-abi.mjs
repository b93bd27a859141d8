#!/usr/bin/env node
// Release check: a V8-API addon (better-sqlite3) loads only into the ABI it was compiled for, and an npm `nodedir`
// setting makes the rebuild for Electron silently compile against Node's headers instead. The addon's ELF dynamic
// symbol `node_register_module_v<N>` names the ABI it was built for; this compares N with Electron's.
//
//   node scripts/check-native-abi.mjs <file.node>... [--electron <version> | --abi <N>]
//
// Without --electron or --abi, the Electron in node_modules is the one the package ships. Also electron-builder's
// afterPack hook (electron-builder.yml): it checks every addon in the packed app before the AppImage and .deb exist.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
// The ABI table @electron/rebuild itself builds by (electron-builder depends on it), taken from Node's and
// Electron's releases.
import * as nodeAbi from 'node-abi';

const SHT_DYNSYM = 11;
const REGISTER = /^node_register_module_v(\d+)$/;

/**
 * The names a shared object exports: the defined symbols of its ELF dynamic symbol table (.dynsym, whose names
 * live in the string table its sh_link points at). 32- and 64-bit, either byte order.
 */
export function exportedSymbols(bytes) {
  if (bytes.length < 52 || bytes.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF shared object');
  const is64 = bytes[4] === 2;
  const little = bytes[5] === 1;
  const u16 = (at) => (little ? bytes.readUInt16LE(at) : bytes.readUInt16BE(at));
  const u32 = (at) => (little ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
  const word = (at) => (is64 ? Number(little ? bytes.readBigUInt64LE(at) : bytes.readBigUInt64BE(at)) : u32(at));
  const sectionTable = word(is64 ? 0x28 : 0x20);
  const sectionSize = u16(is64 ? 0x3a : 0x2e);
  const sectionCount = u16(is64 ? 0x3c : 0x30);
  const section = (index) => {
    const at = sectionTable + index * sectionSize;
    return { type: u32(at + 4), offset: word(at + (is64 ? 0x18 : 0x10)), size: word(at + (is64 ? 0x20 : 0x14)), link: u32(at + (is64 ? 0x28 : 0x18)), entrySize: word(at + (is64 ? 0x38 : 0x24)) };
  };
  const names = [];
  for (let index = 0; index < sectionCount; index += 1) {
    const symbols = section(index);
    if (symbols.type !== SHT_DYNSYM || symbols.entrySize === 0) continue;
    const strings = section(symbols.link);
    for (let at = symbols.offset; at + symbols.entrySize <= symbols.offset + symbols.size; at += symbols.entrySize) {
      const sectionIndex = u16(at + (is64 ? 6 : 14));
      if (sectionIndex === 0) continue; // undefined: imported, not exported
      const start = strings.offset + u32(at);
      const end = bytes.indexOf(0, start);
      names.push(bytes.toString('latin1', start, end));
    }
  }
  return names;
}

/** The NODE_MODULE_VERSION an addon was built for; null for an N-API addon (any ABI) or a file that is no addon. */
export function addonAbi(file) {
  let names;
  try {
    names = exportedSymbols(readFileSync(file));
  } catch (error) {
    throw new Error(`${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  for (const name of names) {
    const match = REGISTER.exec(name);
    if (match) return Number(match[1]);
  }
  return null;
}

/** Who an ABI number belongs to, for the message: "Node 20" or "Electron 45". */
function describeAbi(abi) {
  const owners = nodeAbi.allTargets.filter((target) => target.abi === String(abi)).map((target) => `${target.runtime === 'node' ? 'Node' : 'Electron'} ${target.target.split('.')[0]}`);
  return owners.length > 0 ? `${[...new Set(owners)].join(' / ')} (ABI ${abi})` : `ABI ${abi}`;
}

/** The problems with `files` for Electron `electronVersion` (or the ABI `abi`): one line each, empty when all match. */
export function abiMismatches(files, { electronVersion, abi }) {
  const wanted = abi ?? Number(nodeAbi.getAbi(electronVersion, 'electron'));
  const runtime = abi === undefined ? `Electron ${electronVersion} needs ABI ${wanted}` : `ABI ${wanted} was asked for`;
  return files.flatMap((file) => {
    const built = addonAbi(file);
    if (built === null || built === wanted) return [];
    return [`${file}: built for ${describeAbi(built)}, ${runtime}: rebuild it for Electron with npm's nodedir unset (npm_config_nodedir= npm run dist; README "Packaging")`];
  });
}

/** Every .node file under `dir`. */
function addonsUnder(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.node'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** electron-builder's afterPack hook: the packed app's addons must match the Electron it was packed with. */
export async function afterPack(context) {
  const resources = path.join(context.appOutDir, 'resources');
  const files = addonsUnder(resources);
  const electronVersion = context.packager.info.framework.version;
  if (!files.some((file) => addonAbi(file) !== null)) throw new Error(`no native addon found under ${resources}: better-sqlite3's .node should be there`);
  const problems = abiMismatches(files, { electronVersion });
  if (problems.length > 0) throw new Error(problems.join('\n'));
}

function electronInNodeModules() {
  return JSON.parse(readFileSync(createRequire(import.meta.url).resolve('electron/package.json'), 'utf8')).version;
}

function main(argv) {
  const files = [];
  const options = {};
  for (let index = 0; index < argv.length; index += 1) {
    if (argv[index] === '--electron') options.electronVersion = argv[++index];
    else if (argv[index] === '--abi') options.abi = Number(argv[++index]);
    else files.push(argv[index]);
  }
  if (files.length === 0 || (options.abi !== undefined && !Number.isInteger(options.abi)) || (options.electronVersion === undefined && argv.includes('--electron'))) {
    process.stderr.write('usage: check-native-abi.mjs <file.node>... [--electron <version> | --abi <N>]\n');
    return 2;
  }
  if (options.abi === undefined) options.electronVersion ??= electronInNodeModules();
  const problems = abiMismatches(files, options);
  for (const problem of problems) process.stderr.write(`check-native-abi: ${problem}\n`);
  if (problems.length === 0) process.stdout.write(`check-native-abi: ${files.length} file(s) match ${options.abi === undefined ? `Electron ${options.electronVersion}` : `ABI ${options.abi}`}\n`);
  return problems.length === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`check-native-abi: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  }
}
