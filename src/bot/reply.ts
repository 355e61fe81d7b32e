/**
 * The platform-neutral reply. Commands and the notifier produce it; platform adapters
 * (Discord, Telegram, console) only render it. Text is plain: adapters escape it.
 */

export type ReplyTone = 'up' | 'down' | 'neutral' | 'warning' | 'error';

export interface ReplyField {
  name: string;
  value: string;
  inline?: boolean;
}

export interface ReplyButton {
  /**
   * What the button does, as a command line, e.g. `/subscribe ETH` or `/zones ETH`.
   * Kept under 64 bytes (Telegram callback_data limit).
   */
  action: string;
  label: string;
}

export interface ReplyImage {
  /** Renders the PNG on demand (charts are cached by the renderer). */
  render(): Promise<Buffer>;
  /** File name, e.g. `zones-ETH.png`. */
  name: string;
  alt: string;
}

export interface Reply {
  ok: boolean;
  /** Short title (embed title on Discord, bold first line elsewhere). */
  title?: string;
  /** Plain text body. */
  text: string;
  fields?: ReplyField[];
  image?: ReplyImage;
  buttons?: ReplyButton[];
  /** Only the caller should see it (Discord ephemeral; Telegram: answer in the private chat). */
  ephemeral?: boolean;
  tone?: ReplyTone;
  /** Structured payload behind the reply (console --json `data`). */
  data?: unknown;
}

export function errorReply(message: string, usage?: string): Reply {
  return {
    ok: false,
    text: usage ? `${message}\nUsage: ${usage}` : message,
    tone: 'error',
    ephemeral: true,
  };
}

export function unavailableReply(feature: string): Reply {
  return {
    ok: false,
    text: `${feature} is not available yet in this liqzone build.`,
    tone: 'warning',
    ephemeral: true,
  };
}
