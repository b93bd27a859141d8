import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { shellCommand, shellQuote } from './shell-quote.js';

const NASTY = ['plain', "it's", '$(touch /tmp/pwned)', '`id`', 'a"b', 'line1\nline2', ' spaced  ', '', "'; rm -rf / #", '\\', '*', '~/models'];

test('every quoted value reaches a real sh as the exact same bytes, never evaluated', () => {
  for (const value of NASTY) {
    const out = execFileSync('/bin/sh', ['-c', `printf %s ${shellQuote(value)}`], { encoding: 'utf8' });
    assert.equal(out, value);
  }
});

test('a command line keeps each argument whole', () => {
  const out = execFileSync('/bin/sh', ['-c', `${shellCommand('printf', ['%s|', ...NASTY])}`], { encoding: 'utf8' });
  assert.equal(out, NASTY.map((v) => `${v}|`).join(''));
});

test('a NUL byte is refused rather than silently truncated by the shell', () => {
  assert.throws(() => shellQuote('a\0b'), /NUL/);
});
