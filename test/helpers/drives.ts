import fs from 'node:fs';
import path from 'node:path';

/** The environment variable naming a drive listing file (main/sync/adapters/drive-source.ts). */
export const DRIVES_LISTING_ENV = 'OUTPOST_DRIVES_LISTING';

interface Plugged {
  label: string;
  mount: string;
  free: number;
  size: number;
  letter: string;
}

/**
 * Removable drives where no block device can be made: each one a directory
 * named as its mount point in a listing of systeminformation's shapes (a USB
 * stick: disk with RM=1 and TRAN=usb, its partition mounted, as
 * test/fixtures/drives/systeminformation-laptop.json shows). Plugging and
 * pulling rewrite the listing, which the service reads at every call.
 */
export class DriveBay {
  readonly listing: string;
  private readonly plugged = new Map<string, Plugged>();
  private nextLetter = 0;

  constructor(readonly root: string) {
    fs.mkdirSync(path.join(root, 'media'), { recursive: true });
    this.listing = path.join(root, 'drives.json');
    this.write();
  }

  get env(): Record<string, string> {
    return { [DRIVES_LISTING_ENV]: this.listing };
  }

  /** Mounts a drive labelled `label` (creating its directory the first time) with `free` bytes free; returns its mount point. */
  plug(label: string, free: number, size = Math.max(free, 64 * 1024 ** 3)): string {
    const mount = path.join(this.root, 'media', label);
    fs.mkdirSync(mount, { recursive: true });
    const letter = String.fromCharCode(98 + this.nextLetter++);
    this.plugged.set(label, { label, mount, free, size, letter });
    this.write();
    return mount;
  }

  /** Takes a drive out of the listing; its directory (what is on the drive) stays for a later `plug`. */
  unplug(label: string): void {
    this.plugged.delete(label);
    this.write();
  }

  private write(): void {
    const drives = [...this.plugged.values()];
    const disk = (d: Plugged) => ({
      name: `sd${d.letter}`,
      type: 'disk',
      fsType: '',
      mount: '',
      size: d.size,
      physical: 'HDD',
      uuid: '',
      label: '',
      model: 'Flash Disk',
      serial: `TEST${d.letter}`,
      removable: true,
      protocol: 'usb',
      group: '',
      device: `/dev/sd${d.letter}`,
    });
    const part = (d: Plugged) => ({ ...disk(d), name: `sd${d.letter}1`, type: 'part', fsType: 'vfat', mount: d.mount, physical: '', uuid: `${d.letter.toUpperCase()}1B2-3C4D`, label: d.label, model: '', serial: '', protocol: '' });
    const fsSize = (d: Plugged) => ({ fs: `/dev/sd${d.letter}1`, type: 'vfat', size: d.size, used: d.size - d.free, available: d.free, use: Math.round(((d.size - d.free) / d.size) * 10000) / 100, mount: d.mount, rw: true });
    const listing = { blockDevices: [...drives.map(disk), ...drives.map(part)], fsSize: drives.map(fsSize) };
    const temporary = `${this.listing}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(listing, null, 1));
    fs.renameSync(temporary, this.listing);
  }
}
