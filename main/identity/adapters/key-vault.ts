import { createPrivateKey, createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { encodeEd25519KeyPair, type OpenSshKeyPair } from '../core/openssh-key.js';
import fs from 'node:fs';
import path from 'node:path';
import type { KeyKind } from '../../../shared/domain/identity.js';
import { OutpostError } from '../../../shared/errors.js';

/** A freshly generated key pair, held in memory until it is committed to disk. */
export interface KeyMaterial {
  kind: KeyKind;
  /** The file contents of the private key (PKCS#8 PEM for signing, OpenSSH for ssh). */
  privateKey: string;
  /** signing: base64 of the raw 32-byte key; ssh: the OpenSSH public key line. */
  publicKey: string;
}

const FILES: Record<KeyKind, { privateFile: string; publicFile: string | null }> = {
  signing: { privateFile: 'signing-ed25519.pem', publicFile: null },
  // The names ssh(1) users expect, so `ssh -i <data-dir>/keys/id_ed25519` just works.
  ssh: { privateFile: 'id_ed25519', publicFile: 'id_ed25519.pub' },
};

/** An Ed25519 private key in PKCS#8 DER is this prefix and the 32-byte seed (RFC 8410); its SPKI public key, 12 bytes and the raw key. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX_LENGTH = 12;

/**
 * A new Ed25519 key made from 32 random bytes, not with generateKeyPairSync: on Node 20, exporting a generated
 * key can deadlock the process when a garbage collection during the export frees the job that generated it,
 * whose destructor takes the lock the export holds (seen as a test hung for good: the main thread waiting on
 * that mutex in ~KeyGenJob, called from ExportJWK).
 */
function newEd25519Key(): { seed: Buffer; publicRaw: Buffer; privateKey: KeyObject } {
  const seed = randomBytes(32);
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const publicRaw = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX_LENGTH);
  return { seed, publicRaw, privateKey };
}

/** A fresh Ed25519 key in the OpenSSH format that both ssh2 and `ssh -i` read. */
export function generateSshKeyPair(comment: string): OpenSshKeyPair {
  const { seed, publicRaw } = newEd25519Key();
  return encodeEd25519KeyPair(seed, publicRaw, comment, randomBytes(4).readUInt32BE());
}

/**
 * Private keys live here and nowhere else: files of mode 0600 in a 0700 dir.
 * New keys are staged under temporary names and only replace the live ones on
 * commit, so a failure between generation and the database write leaves the
 * old identity intact.
 */
export class KeyVault {
  constructor(private readonly dir: string) {}

  generate(kind: KeyKind, comment: string): KeyMaterial {
    if (kind === 'signing') {
      const { publicRaw, privateKey } = newEd25519Key();
      return { kind, privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publicKey: publicRaw.toString('base64') };
    }
    const pair = generateSshKeyPair(comment);
    return { kind, privateKey: pair.private, publicKey: `${pair.public}\n` };
  }

  hasAny(): boolean {
    return Object.values(FILES).some((f) => fs.existsSync(path.join(this.dir, f.privateFile)));
  }

  privateKeyPath(kind: KeyKind): string {
    return path.join(this.dir, FILES[kind].privateFile);
  }

  /** Writes the key to a staging name; returns a commit that renames it into place. */
  stage(material: KeyMaterial): StagedKey {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(this.dir, 0o700);
    const files = FILES[material.kind];
    const writes: Array<[string, string, number]> = [[files.privateFile, material.privateKey, 0o600]];
    if (files.publicFile) writes.push([files.publicFile, material.publicKey, 0o600]);
    const staged = writes.map(([name, contents, mode]) => {
      const final = path.join(this.dir, name);
      const temp = `${final}.staged-${process.pid}`;
      writeDurably(temp, contents, mode);
      return { temp, final };
    });
    return {
      commit: () => staged.forEach(({ temp, final }) => fs.renameSync(temp, final)),
      discard: () => staged.forEach(({ temp }) => fs.rmSync(temp, { force: true })),
    };
  }

  /** Signs with the live signing key (Ed25519, no pre-hash). */
  sign(message: Buffer): string {
    let pem: string;
    try {
      pem = fs.readFileSync(this.privateKeyPath('signing'), 'utf8');
    } catch (error) {
      throw new OutpostError('PRECONDITION', `the signing key ${this.privateKeyPath('signing')} cannot be read`, 'restore the keys/ folder from a backup, or create a new identity with `outpost keys init --force`', { cause: error });
    }
    return sign(null, message, createPrivateKey(pem)).toString('base64');
  }
}

export interface StagedKey {
  commit(): void;
  discard(): void;
}

function writeDurably(file: string, contents: string, mode: number): void {
  const fd = fs.openSync(file, 'w', mode);
  try {
    fs.writeFileSync(fd, contents);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  // The umask may have narrowed or widened nothing, but an existing file keeps its old mode: set it explicitly.
  fs.chmodSync(file, mode);
}
