import assert from 'node:assert/strict';
import fs from 'node:fs';
import test from 'node:test';
import { fitOnDrives, nextMediumPrompt, removableDrives, type BlockDeviceListing, type FsSizeListing } from './drives.js';

type Listing = { blockDevices: BlockDeviceListing[]; fsSize: FsSizeListing[] };
const listing = (name: string): Listing => JSON.parse(fs.readFileSync(new URL(`../../../../test/fixtures/drives/${name}`, import.meta.url), 'utf8')) as Listing;

test('a field laptop: the removable USB stick, the hot-plugged USB SSD and the SD card are drives; the internal disk, loop devices, the DVD and the unmounted stick are not', () => {
  const { blockDevices, fsSize } = listing('systeminformation-laptop.json');
  const drives = removableDrives(blockDevices, fsSize);
  assert.deepEqual(
    drives.map((d) => [d.label, d.mount, d.device, d.removable, d.hotplug]),
    [
      ['field-ssd', '/media/tech/field-ssd', '/dev/sdb1', false, true],
      ['mmcblk0p1', '/media/tech/SDCARD', '/dev/mmcblk0p1', false, true],
      ['OUTPOST-1', '/media/tech/OUTPOST-1', '/dev/sda1', true, true],
    ],
  );
  const stick = drives.find((d) => d.label === 'OUTPOST-1');
  assert.equal(stick?.free, 47504384 * 1024, 'free space is what df says is available, not size minus used');
  assert.equal(stick?.size, 60087296 * 1024);
});

test('the build machine (one virtio disk and zram) has no drive to carry away', () => {
  const { blockDevices, fsSize } = listing('systeminformation-build-vm.json');
  assert.deepEqual(removableDrives(blockDevices, fsSize), []);
});

test('a drive is named by its label, else by its disk model, else by its device name', () => {
  const disk: BlockDeviceListing = { name: 'sdd', type: 'disk', fsType: '', mount: '', size: 8e9, label: '', model: 'Cruzer Blade ', removable: true, protocol: 'usb' };
  const part: BlockDeviceListing = { ...disk, name: 'sdd1', type: 'part', fsType: 'vfat', mount: '/mnt/stick', model: '', protocol: '', removable: false };
  assert.equal(removableDrives([disk, part], [])[0]?.label, 'Cruzer Blade');
  assert.equal(removableDrives([part], [])[0], undefined, 'a partition alone, without RM or a bus, is not known to be removable');
  assert.equal(removableDrives([{ ...part, removable: true }], [])[0]?.label, 'sdd1');
  assert.equal(removableDrives([disk, { ...part, mount: '/' }], []).length, 0, 'a live USB system mounted at / is not an export target');
});

const MiB = 1024 * 1024;
const chunks: Array<[string, number]> = Array.from({ length: 10 }, (_, i) => [`c${i}`, MiB]);

test('a bundle that fits on the chosen drive is written as one medium', () => {
  const fit = fitOnDrives(chunks, 64 * 1024, [{ label: 'OUTPOST-1', path: '/m/1/b', free: 20 * MiB }]);
  assert.equal(fit.fits, true);
  assert.equal(fit.bundleBytes, 10 * MiB + 64 * 1024);
  assert.match(fit.advice, /fits on OUTPOST-1/);
  if (fit.fits) assert.equal(fit.media.length, 1);
});

test('a drive too small is said before writing, with how many drives of that size a split needs', () => {
  const fit = fitOnDrives(chunks, 64 * 1024, [{ label: 'OUTPOST-1', path: '/m/1/b', free: 4 * MiB }]);
  assert.equal(fit.fits, false);
  if (!fit.fits) assert.equal(fit.mediaNeeded, 4, '3 chunks of 1 MiB beside the manifest on each 4 MiB drive');
  assert.match(fit.advice, /needs 10\.\d MiB and OUTPOST-1 has 4\.0 MiB free: split it across 4 drives/);
});

test('split across drives: media of the smallest free space, one per drive in order; too few drives are refused by count', () => {
  const drives = (n: number) => Array.from({ length: n }, (_, i) => ({ label: `OUTPOST-${i + 1}`, path: `/m/${i + 1}/b`, free: (i === 0 ? 4 : 8) * MiB }));
  const two = fitOnDrives(chunks, 64 * 1024, drives(2));
  assert.equal(two.fits, false);
  assert.match(two.advice, /drives of 4\.0 MiB free, the bundle \(10\.\d MiB\) needs 4 of them and 2 are chosen: add 2 more/);
  const five = fitOnDrives(chunks, 64 * 1024, drives(5));
  assert.equal(five.fits, true);
  if (five.fits) {
    assert.deepEqual(
      five.media.map((m) => m.length),
      [3, 3, 3, 1],
    );
    assert.deepEqual(
      five.targets.map((t) => t.label),
      ['OUTPOST-1', 'OUTPOST-2', 'OUTPOST-3', 'OUTPOST-4'],
      'only the drives the split needs are written',
    );
  }
});

test('a medium smaller than the manifest and the largest chunk is refused with the size needed', () => {
  const fit = fitOnDrives(chunks, 64 * 1024, [{ label: null, path: '/tmp/b', free: 100 * MiB }], 512 * 1024);
  assert.equal(fit.fits, false);
  assert.match(fit.advice, /cannot hold this bundle's manifest and largest chunk: use media of at least 1\.1 MiB/);
});

test('the next medium is asked for by the label of the drive it went to', () => {
  assert.equal(nextMediumPrompt(2, 3, 'OUTPOST-2'), 'Insert the drive labelled OUTPOST-2 (medium 2 of 3).');
  assert.equal(nextMediumPrompt(2, 3, null), 'Insert the drive holding medium 2 of 3.');
});
