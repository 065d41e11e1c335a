/**
 * Observability of the LDAP layer: a small logger interface and the
 * diagnostics_channel events (modelled on undici's `undici:*` channels).
 * Publishing is guarded by `hasSubscribers`, so with nobody listening an
 * event costs one property read and builds no object.
 */
import diagnosticsChannel from 'node:diagnostics_channel';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LEVELS;

/** A logger that writes one line per record to stderr at or above `level`. */
export function stderrLogger(level: LogLevel = 'info'): Logger {
  const min = LEVELS[level];
  const emit = (lvl: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>): void => {
    if (LEVELS[lvl] < min) return;
    let line = `${new Date().toISOString()} ${lvl} ldap: ${message}`;
    if (fields) {
      for (const [k, v] of Object.entries(fields)) {
        line += ` ${k}=${v instanceof Error ? (v.stack ?? v.message) : typeof v === 'string' ? JSON.stringify(v) : String(v)}`;
      }
    }
    process.stderr.write(line + '\n');
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

const noop = (): void => {};
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/** stderr at `info`, or silent when running under `node --test` (NODE_TEST_CONTEXT is set in its workers). */
export function defaultLogger(): Logger {
  return process.env['NODE_TEST_CONTEXT'] ? silentLogger : stderrLogger('info');
}

// ---------------------------------------------------------------- diagnostics_channel

/** `{ event: 'open' | 'close' | 'refused' | 'tls', connectionId, remoteAddress, ... }` */
export const connectionChannel = diagnosticsChannel.channel('forestd:ldap:connection');
/** `{ connectionId, messageID, op, durationMs, resultCode, abandoned }` once per finished operation. */
export const operationChannel = diagnosticsChannel.channel('forestd:ldap:operation');
/** `{ connectionId, direction: 'in' | 'out', bytes }` per chunk read from or written to a socket (after TLS, before SASL unwrapping). */
export const bytesChannel = diagnosticsChannel.channel('forestd:ldap:bytes');
/** `{ connectionId, error, kind: 'protocol' | 'internal' | 'socket' }` */
export const errorChannel = diagnosticsChannel.channel('forestd:ldap:error');
/** `{ connectionId, bufferedBytes }` when the socket is full and responses wait for 'drain'. */
export const backpressureChannel = diagnosticsChannel.channel('forestd:ldap:backpressure');

export interface ConnectionEvent {
  event: 'open' | 'close' | 'refused' | 'tls';
  connectionId: number;
  remoteAddress: string;
  localPort?: number;
  globalCatalog?: boolean;
  encrypted?: boolean;
  reason?: string;
}

export interface OperationEvent {
  connectionId: number;
  messageID: number;
  /** protocolOp type of the request, e.g. 'searchRequest' */
  op: string;
  durationMs: number;
  /** resultCode sent, or -1 when no response was sent (abandoned, connection gone) */
  resultCode: number;
  abandoned: boolean;
}

export interface BytesEvent {
  connectionId: number;
  direction: 'in' | 'out';
  bytes: number;
}

export interface ErrorEvent {
  connectionId: number;
  kind: 'protocol' | 'internal' | 'socket';
  error: unknown;
  messageID?: number;
}
