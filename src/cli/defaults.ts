// The embedded default forest that `forestd start` (npm start) provisions and serves.
export const DEFAULTS = {
  dataDir: 'forestd-data',
  realm: 'forestd.test',
  netbios: 'FORESTD',
  host: '127.0.0.1',
  /** unprivileged stand-ins for 389/636; the global catalog keeps AD's own 3268/3269 */
  ldapPort: 1389,
  ldapsPort: 1636,
  gcPort: 3268,
  gcsPort: 3269,
} as const;
