import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** Where the window was, in screen coordinates (Electron's Rectangle), and whether it was maximised. */
export const WindowBoundsSchema = z
  .object({
    x: z.number().int(),
    y: z.number().int(),
    width: z.number().int().min(400).max(16_384),
    height: z.number().int().min(300).max(16_384),
    maximized: z.boolean().default(false),
  })
  .strict();
export type WindowBounds = z.infer<typeof WindowBoundsSchema>;

export interface Rectangle {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The window's own file in the data dir: a desktop setting, not site state, so not in the database. */
export const windowBoundsPath = (dataDir: string): string => path.join(dataDir, 'window.json');

/** A title bar's worth of the window must lie on one screen's work area, or the window could not be grabbed. */
const GRAB_WIDTH = 100;
const GRAB_HEIGHT = 40;

export function isReachable(bounds: Rectangle, workAreas: readonly Rectangle[]): boolean {
  return workAreas.some((area) => {
    const width = Math.min(bounds.x + bounds.width, area.x + area.width) - Math.max(bounds.x, area.x);
    const height = Math.min(bounds.y + GRAB_HEIGHT, area.y + area.height) - Math.max(bounds.y, area.y);
    return width >= Math.min(GRAB_WIDTH, bounds.width) && height >= GRAB_HEIGHT;
  });
}

/**
 * The remembered bounds, or null when there are none, the file is not what we write, or the
 * window would open off every screen (a monitor unplugged since): then the window opens centred.
 */
export function readWindowBounds(dataDir: string, workAreas: readonly Rectangle[]): WindowBounds | null {
  let text: string;
  try {
    text = fs.readFileSync(windowBoundsPath(dataDir), 'utf8');
  } catch {
    return null;
  }
  let parsed: ReturnType<typeof WindowBoundsSchema.safeParse>;
  try {
    parsed = WindowBoundsSchema.safeParse(JSON.parse(text));
  } catch {
    return null;
  }
  return parsed.success && isReachable(parsed.data, workAreas) ? parsed.data : null;
}

/** Written whole (temp file, then rename) and private to the user like everything in the data dir. */
export function writeWindowBounds(dataDir: string, bounds: WindowBounds): void {
  const file = windowBoundsPath(dataDir);
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(WindowBoundsSchema.parse(bounds))}\n`, { mode: 0o600 });
  fs.renameSync(temp, file);
}
