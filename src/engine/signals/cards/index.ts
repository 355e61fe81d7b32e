import { approachDeceleration } from './approach.ts';
import { bookImbalance } from './book-imbalance.ts';
import type { Card } from './card.ts';
import { fundingExtremes } from './funding.ts';
import { liquidationFlow } from './liquidation-flow.ts';
import { openInterestPrice } from './open-interest.ts';
import { takerFlow } from './taker-flow.ts';
import { venueDivergence } from './venue-divergence.ts';
import { zoneMagnet } from './zone-magnet.ts';

export type { Card, CardOutput } from './card.ts';
export {
  approachDeceleration,
  bookImbalance,
  fundingExtremes,
  liquidationFlow,
  openInterestPrice,
  takerFlow,
  venueDivergence,
  zoneMagnet,
};

/** Every card the engine runs by default. */
export const DEFAULT_CARDS: readonly Card[] = [
  zoneMagnet,
  liquidationFlow,
  openInterestPrice,
  fundingExtremes,
  takerFlow,
  bookImbalance,
  venueDivergence,
  approachDeceleration,
];

/** Display name of a card id (falls back to the id with spaces for cards not in the default set). */
export function cardLabel(id: string): string {
  return DEFAULT_CARDS.find((c) => c.id === id)?.label ?? id.replace(/-/g, ' ');
}
