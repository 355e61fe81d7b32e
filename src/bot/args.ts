/**
 * Typed command arguments: each command states the shape of its validated args as a zod schema
 * and reads them through `typedArgs`, so no command casts `args` (the registry has already turned
 * text into numbers and choices; the schema states which ones a command relies on).
 */
import type { z } from 'zod';
import type { Args } from './command.ts';

export type TypedArgs<S extends z.ZodType> = { ok: true; value: z.output<S> } | { ok: false; error: string };

/** The args as the schema's type, or the first issue's message (schemas carry user-facing messages). */
export function typedArgs<S extends z.ZodType>(schema: S, args: Args): TypedArgs<S> {
  const r = schema.safeParse(args);
  return r.success ? { ok: true, value: r.data } : { ok: false, error: r.error.issues[0]?.message ?? 'Those arguments do not fit this command.' };
}
