import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Family name the chart SVG asks for; resvg maps it to the bundled files below. */
export const CHART_FONT_FAMILY = 'DejaVu Sans';

/**
 * The DejaVu Sans files shipped in the `dejavu-fonts-ttf` package. Charts load these explicitly
 * (no system fonts) so labels render the same on a bare server with no fonts installed.
 */
export function chartFontFiles(): string[] {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  const files = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => join(dir, f));
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length) throw new Error(`chart fonts missing: ${missing.join(', ')} (is dejavu-fonts-ttf installed?)`);
  return files;
}
