// The per-DC caches' settings as the environment gives them to `forestd serve` and to its read
// workers (which inherit it): FORESTD_NAME_CACHE_ENTRIES (names.ts NameCache, entries per map),
// FORESTD_ENTRY_CACHE_SIZE (search/entry-cache.ts, entries), FORESTD_TOKEN_CACHE (access/token-cache.ts,
// 0 = off). 0 turns a cache off (A/B benchmarks, negative controls); unset keeps the default.
import type { DirectoryOptions } from './directory.js';

export type CacheOptions = Pick<DirectoryOptions, 'nameCacheEntries' | 'entryCacheSize' | 'tokenCache'>;

export function cacheOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): CacheOptions {
  const out: CacheOptions = {};
  const names = entries(env, 'FORESTD_NAME_CACHE_ENTRIES');
  if (names !== undefined) out.nameCacheEntries = names;
  const entriesSize = entries(env, 'FORESTD_ENTRY_CACHE_SIZE');
  if (entriesSize !== undefined) out.entryCacheSize = entriesSize;
  const tokens = env.FORESTD_TOKEN_CACHE;
  if (tokens !== undefined && tokens !== '') {
    if (tokens !== '0' && tokens !== '1') throw usage(`FORESTD_TOKEN_CACHE must be 0 (off) or 1, not ${JSON.stringify(tokens)}`);
    out.tokenCache = tokens === '1';
  }
  return out;
}

function entries(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  if (!/^\d{1,9}$/.test(v)) throw usage(`${name} must be a number of entries (0 = off), not ${JSON.stringify(v)}`);
  return Number(v);
}

function usage(message: string): Error {
  return Object.assign(new Error(message), { code: 'ERR_USAGE' });
}
