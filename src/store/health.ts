import type { Kv } from './kv.ts';
import { destinationKey } from './destination.ts';
import type { Destination } from './types.ts';

export interface DestinationHealth {
  /** Consecutive permanent failures (bot blocked, kicked, channel gone). */
  consecutiveFailures: number;
  disabled: boolean;
  disabledAt?: number;
  disabledReason?: string;
  lastError?: string;
  lastOkAt?: number;
}

export const HEALTHY: Readonly<DestinationHealth> = Object.freeze({ consecutiveFailures: 0, disabled: false });

/** Delivery health per destination; a disabled destination receives nothing until re-subscribed. */
export class HealthRepo {
  constructor(
    private readonly kv: Kv<DestinationHealth>,
    private readonly changed: (dest: Destination) => void,
  ) {}

  async get(dest: Destination): Promise<DestinationHealth> {
    return (await this.kv.get(destinationKey(dest))) ?? { ...HEALTHY };
  }

  async getMany(dests: Destination[]): Promise<DestinationHealth[]> {
    const values = await this.kv.getMany(dests.map(destinationKey));
    return values.map((v) => v ?? { ...HEALTHY });
  }

  async recordSuccess(dest: Destination, t: number): Promise<DestinationHealth> {
    const h = await this.kv.update(destinationKey(dest), (cur) => ({ ...(cur ?? HEALTHY), consecutiveFailures: 0, lastOkAt: t }));
    return h!;
  }

  /** Counts a permanent failure; disables the destination at `disableAfter` consecutive ones. */
  async recordPermanentFailure(dest: Destination, error: string, t: number, disableAfter: number): Promise<DestinationHealth> {
    const h = await this.kv.update(destinationKey(dest), (cur) => {
      const n = (cur?.consecutiveFailures ?? 0) + 1;
      const disable = n >= disableAfter && !cur?.disabled;
      return {
        ...(cur ?? HEALTHY),
        consecutiveFailures: n,
        lastError: error,
        ...(disable ? { disabled: true, disabledAt: t, disabledReason: error } : {}),
      };
    });
    if (h!.disabled) this.changed(dest);
    return h!;
  }

  /** Re-enables a destination (e.g. when someone subscribes it again). */
  async enable(dest: Destination): Promise<boolean> {
    const cur = await this.kv.get(destinationKey(dest));
    if (!cur?.disabled && !cur?.consecutiveFailures) return false;
    await this.kv.set(destinationKey(dest), { ...cur, consecutiveFailures: 0, disabled: false, disabledAt: undefined, disabledReason: undefined });
    this.changed(dest);
    return true;
  }

  /** Deletes the delivery health record of a destination. */
  async forget(dest: Destination): Promise<void> {
    await this.kv.delete(destinationKey(dest));
  }
}
