// forestd provision: creates a new forest in a data directory.
import { writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { provision } from '../dsa/provision/provision.js';
import { generatePassword } from '../security/password.js';

export interface ProvisionCommandOptions {
  data: string;
  realm: string;
  netbios: string;
  adminPassword: string | undefined;
  hostname: string | undefined;
}

/** The settings file a provisioned data directory carries (its presence means "provisioned"). */
export const SETTINGS_FILE = 'forestd.json';
export const PASSWORD_FILE = 'admin-password';

export async function provisionCommand(o: ProvisionCommandOptions): Promise<void> {
  if (existsSync(join(o.data, SETTINGS_FILE))) {
    throw Object.assign(new Error(`${o.data} is already provisioned (${SETTINGS_FILE} exists)`), { code: 'ERR_PROVISION_EXISTS' });
  }
  const generated = o.adminPassword === undefined;
  const password = o.adminPassword ?? generatePassword();
  mkdirSync(o.data, { recursive: true, mode: 0o700 });
  const r = await provision({ dataDir: o.data, realm: o.realm, netbios: o.netbios, adminPassword: password, ...(o.hostname ? { hostname: o.hostname } : {}) });
  const f = r.forest;
  await r.directory.close();
  if (generated) writeFileSync(join(o.data, PASSWORD_FILE), password + '\n', { mode: 0o600 });
  writeFileSync(join(o.data, SETTINGS_FILE), JSON.stringify({ realm: f.realm, netbios: f.netbios, hostname: f.hostname, domainDN: f.domainDN, provisioned: new Date().toISOString() }, null, 2) + '\n', { mode: 0o600 });
  console.log(`forestd: provisioned forest ${f.realm} (${f.netbios}) in ${o.data}: ${r.objects} objects in ${r.seconds.toFixed(2)} s`);
  console.log(`  domain NC  ${f.domainDN}`);
  console.log(`  DC         ${f.dnsHostName}`);
  console.log(`  admin      CN=Administrator,CN=Users,${f.domainDN}  (Administrator@${f.realm}, ${f.netbios}\\Administrator)`);
  if (generated) {
    console.log(`  password   ${password}`);
    console.log(`             (generated; shown once, kept in ${join(o.data, PASSWORD_FILE)} with mode 0600)`);
  }
}
