import type { Reply } from '../../bot/reply.ts';

/** Plain-text rendering of a Reply (console, logs). */
export function renderText(reply: Reply, imagePath?: string): string {
  const lines: string[] = [];
  if (reply.title) lines.push(reply.title);
  if (reply.text) lines.push(reply.text);
  if (reply.fields?.length) {
    for (const f of reply.fields) lines.push(`${f.name}: ${f.value}`);
  }
  if (imagePath) lines.push(`[chart: ${imagePath}]`);
  if (reply.buttons?.length) lines.push(`[buttons: ${reply.buttons.map((b) => `${b.label} → ${b.action}`).join(' | ')}]`);
  return lines.join('\n');
}

/** One console `--json` line: the stable protocol of DESIGN.md. */
export interface ConsoleJsonLine {
  command: string | null;
  ok: boolean;
  text: string;
  fields: { name: string; value: string }[];
  image: string | null;
  data: unknown;
  /** Present on alert lines pushed by the notifier. */
  alert?: { kind: string; destination: string };
}

export function toJsonLine(command: string | null, reply: Reply, imagePath: string | null): ConsoleJsonLine {
  return {
    command,
    ok: reply.ok,
    text: reply.title ? `${reply.title}\n${reply.text}` : reply.text,
    fields: (reply.fields ?? []).map((f) => ({ name: f.name, value: f.value })),
    image: imagePath,
    data: reply.data ?? null,
  };
}
