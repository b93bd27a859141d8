import fs from 'node:fs';
import ssh2 from 'ssh2';
import { OutpostError } from '../../../shared/errors.js';

/**
 * Reads the key to log in with and checks that ssh2 can use it, so a wrong
 * `--key` is one clear error before the scan starts, not one per host.
 */
export function readPrivateKey(explicitPath: string | undefined, siteKeyPath: string): Buffer {
  const path = explicitPath ?? siteKeyPath;
  let key: Buffer;
  try {
    key = fs.readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!explicitPath && code === 'ENOENT') {
      throw new OutpostError('PRECONDITION', `this site has no SSH key yet (${path})`, 'run `outpost keys init` first, or pass --key <private key file>');
    }
    throw new OutpostError('INVALID_INPUT', `cannot read the SSH key ${path} (${code ?? String(error)})`, 'pass --key with a readable private key file');
  }
  const parsed = ssh2.utils.parseKey(key);
  if (parsed instanceof Error) {
    const encrypted = /encrypted|passphrase/i.test(parsed.message);
    throw new OutpostError(
      'INVALID_INPUT',
      `cannot use the SSH key ${path}: ${encrypted ? 'it is protected by a passphrase' : 'it is not a private key ssh2 can read'}`,
      encrypted ? 'use an unencrypted key made for Outpost (the site key from `outpost keys init` is one)' : 'pass an OpenSSH or PEM private key file',
    );
  }
  return key;
}
