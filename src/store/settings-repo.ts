import type { Kv } from './kv.ts';
import { destinationKey } from './destination.ts';
import { normalizeSettings, SETTING_FIELDS, type AlertSettings } from './settings.ts';
import type { Destination } from './types.ts';

/**
 * Settings are stored one key per field (`<destination>|<field>`), so two processes changing
 * different settings of one destination at once cannot overwrite each other.
 */
export class SettingsRepo {
  constructor(
    private readonly kv: Kv<unknown>,
    private readonly changed: (dest: Destination) => void,
  ) {}

  async get(dest: Destination): Promise<AlertSettings> {
    return (await this.getMany([dest]))[0]!;
  }

  /** Settings for many destinations in one round trip per field batch. */
  async getMany(dests: Destination[]): Promise<AlertSettings[]> {
    const keys = dests.flatMap((d) => SETTING_FIELDS.map((f) => `${destinationKey(d)}|${f}`));
    const values = await this.kv.getMany(keys);
    return dests.map((_, i) => {
      const partial: Record<string, unknown> = {};
      SETTING_FIELDS.forEach((f, j) => {
        const v = values[i * SETTING_FIELDS.length + j];
        if (v !== undefined) partial[f] = v;
      });
      return normalizeSettings(partial);
    });
  }

  async update(dest: Destination, patch: Partial<AlertSettings>): Promise<AlertSettings> {
    const key = destinationKey(dest);
    for (const f of SETTING_FIELDS) if (f in patch) await this.kv.set(`${key}|${f}`, patch[f] as unknown);
    this.changed(dest);
    return this.get(dest);
  }

  /** Deletes every stored setting of a destination (it reads as the defaults afterwards). */
  async forget(dest: Destination): Promise<void> {
    const key = destinationKey(dest);
    await Promise.all(SETTING_FIELDS.map((f) => this.kv.delete(`${key}|${f}`)));
    this.changed(dest);
  }
}
