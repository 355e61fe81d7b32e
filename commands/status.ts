import type { CommandDef } from '../src/bot/command.ts';

function age(ms: number | null): string {
  if (ms === null) return 'never';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

export const status: CommandDef = {
  name: 'status',
  description: 'Feed health: connections, stream ages, symbols live and skipped, REST budget',
  usage: '/status',
  examples: ['/status'],
  options: [],
  early: true,
  run({ services }) {
    const report = services.status();
    const lines: string[] = [`Mode: ${report.mode} · up ${age(report.now - report.startedAt)}`];
    if (report.venues.length === 0 && report.mode !== 'replay') lines.push('', 'Venues: starting — loading their symbol listings, then connecting. Zones and signals are not ready until market data is in.');
    const loading = report.venues.filter((v) => v.historyLoading);
    if (loading.length > 0) {
      lines.push(
        '',
        `Start-up history still loading: ${loading.map((v) => `${v.venue} ${v.historyLoading!.done}/${v.historyLoading!.total} requests`).join(', ')}. Zones and signals are partial until it is in.`,
      );
    }
    for (const v of report.venues) {
      lines.push('', `${v.venue}: ${v.connections.map((c) => `${c.name} ${c.state}${c.reconnects ? ` (${c.reconnects} reconnects)` : ''}`).join(', ') || 'no connections'}`);
      const silent = v.streams.filter((s) => s.silent);
      const ages = v.streams.map((s) => s.lastMessageAgeMs).filter((a): a is number => a !== null);
      const newest = ages.length ? Math.min(...ages) : null;
      const oldest = ages.length ? Math.max(...ages) : null;
      lines.push(`  streams: ${v.streams.length} (${ages.length === 0 ? 'none delivering yet' : `${ages.length} delivering; newest ${age(newest)} ago, oldest ${age(oldest)} ago`})`);
      if (silent.length) lines.push(`  SILENT: ${silent.map((s) => s.name).slice(0, 8).join(', ')}${silent.length > 8 ? ` +${silent.length - 8} more` : ''}`);
      lines.push(`  symbols live: ${v.symbolsLive.length}${v.symbolsLive.length ? ` (${v.symbolsLive.join(' ')})` : ''}`);
      if (v.skipped.length) lines.push(`  skipped: ${v.skipped.map((s) => `${s.symbol} (${s.reason})`).join(', ')}`);
      const per = v.rest.windowMs === undefined || v.rest.windowMs === 60_000 ? 'minute' : `${v.rest.windowMs / 1000} s`;
      lines.push(`  REST: ${v.rest.weightUsed}/${v.rest.weightLimit} weight per ${per}${v.rest.bannedUntil ? `, banned until ${new Date(v.rest.bannedUntil).toISOString()}` : ''}${v.rest.note ? `, ${v.rest.note}` : ''}`);
      if (v.malformedFrames) lines.push(`  malformed frames skipped: ${v.malformedFrames}`);
      if (v.degraded) lines.push(`  degraded: ${v.degraded}`);
      for (const q of v.quarantined ?? []) lines.push(`  QUARANTINED for ${q.symbol}: ${q.reason}`);
      if (v.duplicateTrades) lines.push(`  duplicate trades dropped: ${v.duplicateTrades}`);
      if (v.futureTimestamps) lines.push(`  future timestamps clamped: ${v.futureTimestamps}`);
      if (v.observed) {
        const o = v.observed;
        lines.push(
          `  observed positions: ${o.addresses}/${o.maxAddresses} accounts tracked, ${o.polls} polls (${o.lastPollAgeMs === undefined ? 'none answered yet' : `last ${age(o.lastPollAgeMs)} ago`})` +
            `${o.failures ? `, ${o.failures} failed${o.rateLimited ? ` (${o.rateLimited} rate-limited, backing off)` : ''}` : ''}` +
            `${o.inferredLiquidations ? `, ${o.inferredLiquidations} liquidations seen` : ''}${o.lastError ? `; last error: ${o.lastError}` : ''}`,
        );
      }
    }
    if (report.mode === 'live' && report.venues.length > 0 && report.venues.every((v) => !v.connections.some((c) => c.state === 'open'))) {
      lines.push('', 'No venue is reachable yet: liqzone keeps retrying with backoff. Check the network or region (Binance answers 451 and Bybit 403 in restricted regions). To see liqzone without network: npm run demo');
    }
    if (report.store && !report.store.ok) {
      lines.push('', `STORE FAILING (${report.store.store}) since ${report.store.failingSince ? age(report.now - report.store.failingSince) : '?'} ago: ${report.store.lastError ?? 'unknown error'}. Commands that save answer with an error until it recovers; alerts wait.`);
    }
    for (const p of report.chat ?? []) {
      if (p.state !== 'ready') {
        const what = p.state === 'retrying' ? `not connected, retrying${p.lastError ? ` (${p.lastError})` : ''}` : p.state === 'failed' ? `STOPPED: ${p.lastError ?? 'the platform refused the token'} — not retrying; set a valid token and restart` : p.state;
        lines.push('', `${p.name}: ${what}`);
      }
    }
    const unhealthy = (report.store !== undefined && !report.store.ok) || (report.chat ?? []).some((p) => p.state === 'retrying' || p.state === 'failed') || report.venues.some((v) => v.connections.some((c) => c.state !== 'open') || v.streams.some((s) => s.silent) || (v.quarantined?.length ?? 0) > 0);
    return { ok: true, title: 'liqzone status', text: lines.join('\n'), tone: unhealthy ? 'warning' : 'neutral', data: report };
  },
};
