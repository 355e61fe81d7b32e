/**
 * A minimal loopback venue for the ingest bench, run in a child process so its sending costs no
 * CPU time of the process being measured. It acknowledges Binance and Bybit subscribes, answers
 * Bybit pings, and on `{"send": venue}` over IPC pushes the bench frames to every socket of that
 * venue as separate WebSocket text messages (pre-encoded, written straight to the TCP socket). Prints nothing; reports its port over IPC.
 */
import { WebSocketServer, type WebSocket } from 'ws';
import { framesOf, type BenchVenue } from './frames.ts';

const n = Number(process.argv[2] ?? 200_000);
/**
 * Every frame pre-encoded as a server-to-client WebSocket text frame (FIN, unmasked) in 1 MB
 * chunks, so sending is one socket write per chunk: the sender never limits the measured rate.
 */
function encodeAll(list: string[]): Buffer[] {
  const chunks: Buffer[] = [];
  let parts: Buffer[] = [];
  let size = 0;
  for (const text of list) {
    const body = Buffer.from(text, 'utf8');
    const len = body.length;
    const head = len < 126 ? Buffer.from([0x81, len]) : len < 65_536 ? Buffer.from([0x81, 126, len >> 8, len & 0xff]) : null;
    if (head === null) throw new Error('bench frame too large');
    parts.push(head, body);
    size += head.length + len;
    if (size >= 1 << 20) {
      chunks.push(Buffer.concat(parts));
      parts = [];
      size = 0;
    }
  }
  if (parts.length > 0) chunks.push(Buffer.concat(parts));
  return chunks;
}

const VENUES: BenchVenue[] = ['binance', 'bybit', 'okx', 'hyperliquid'];
const frames = Object.fromEntries(VENUES.map((v) => [v, encodeAll(framesOf(v, n))])) as Record<BenchVenue, Buffer[]>;
const sockets = Object.fromEntries(VENUES.map((v) => [v, new Set<WebSocket>()])) as Record<BenchVenue, Set<WebSocket>>;

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
wss.on('connection', (ws, req) => {
  const url = req.url ?? '';
  const venue: BenchVenue = url.startsWith('/bybit') ? 'bybit' : url.startsWith('/okx') ? 'okx' : url.startsWith('/hyperliquid') ? 'hyperliquid' : 'binance';
  // Binance: only `/market/stream` carries trades; the `/public` socket just gets its acks.
  const trades = venue !== 'binance' || url.startsWith('/market');
  if (trades) sockets[venue].add(ws);
  ws.on('close', () => sockets[venue].delete(ws));
  ws.on('message', (data) => {
    const text = String(data);
    if (venue === 'okx') {
      // OKX: text ping → pong; one ack per subscribed channel, echoing the request id
      if (text === 'ping') return void ws.send('pong');
      const m = JSON.parse(text) as { id?: string; args?: unknown[] };
      for (const arg of m.args ?? []) ws.send(JSON.stringify({ id: m.id, event: 'subscribe', arg, connId: 'bench' }));
      return;
    }
    if (venue === 'hyperliquid') {
      const m = JSON.parse(text) as { method?: string; subscription?: unknown };
      if (m.method === 'ping') ws.send('{"channel":"pong"}');
      else if (m.method === 'subscribe') ws.send(JSON.stringify({ channel: 'subscriptionResponse', data: { method: 'subscribe', subscription: m.subscription } }));
      return;
    }
    const msg = JSON.parse(text) as Record<string, unknown>;
    if (msg.method === 'SUBSCRIBE') ws.send(JSON.stringify({ result: null, id: msg.id }));
    else if (msg.op === 'subscribe') ws.send(JSON.stringify({ success: true, ret_msg: '', conn_id: 'bench', req_id: msg.req_id, op: 'subscribe' }));
    else if (msg.op === 'ping') ws.send(JSON.stringify({ success: true, ret_msg: 'pong', conn_id: 'bench', req_id: msg.req_id, op: 'ping' }));
  });
});

wss.on('listening', () => {
  const addr = wss.address();
  process.send!({ port: typeof addr === 'object' && addr !== null ? addr.port : 0 });
});

process.on('message', (m: { send?: BenchVenue; exit?: boolean }) => {
  if (m.exit) {
    for (const c of wss.clients) c.terminate();
    wss.close(() => process.exit(0));
    return;
  }
  const venue = m.send;
  if (!venue) return;
  const chunks = frames[venue];
  for (const ws of sockets[venue]) {
    if (ws.readyState !== ws.OPEN) continue;
    // The raw TCP socket under ws: the frames are already WebSocket-encoded. Writes respect
    // backpressure so the kernel buffer, not this process's memory, paces the run.
    const socket = (ws as unknown as { _socket: import('node:net').Socket })._socket;
    let i = 0;
    const pump = () => {
      while (i < chunks.length) if (!socket.write(chunks[i++]!)) return void socket.once('drain', pump);
    };
    pump();
  }
});
