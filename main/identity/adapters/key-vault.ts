import { createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
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

/**
 * Private keys live here and nowhere else: files of mode 0600 in a 0700 dir.
 * New keys are staged under temporary names and only replace the live ones on
 * commit, so a failure between generation and the database write leaves the
 * old identity intact.
 */
/** A fresh Ed25519 key in the OpenSSH format that both ssh2 and `ssh -i` read. */
export function generateSshKeyPair(comment: string): OpenSshKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'jwk' }).d;
  const raw = publicKey.export({ format: 'jwk' }).x;
  if (!seed || !raw) throw new Error('node crypto returned an Ed25519 key without its parts');
  return encodeEd25519KeyPair(Buffer.from(seed, 'base64url'), Buffer.from(raw, 'base64url'), comment, randomBytes(4).readUInt32BE());
}

export class KeyVault {
  constructor(private readonly dir: string) {}

  generate(kind: KeyKind, comment: string): KeyMaterial {
    if (kind === 'signing') {
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const raw = publicKey.export({ format: 'jwk' }).x;
      if (!raw) throw new Error('node crypto returned an Ed25519 key without its public part');
      return {
        kind,
        privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
        publicKey: Buffer.from(raw, 'base64url').toString('base64'),
      };
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
    if (files.publicFile) writes.push([files.publicFile, material.publicKey, 0o644]);
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
      throw new OutpostError(
        'PRECONDITION',
        `the signing key ${this.privateKeyPath('signing')} cannot be read`,
        'restore the keys/ folder from a backup, or create a new identity with `outpost keys init --force`',
        { cause: error },
      );
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
