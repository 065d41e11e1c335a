// The admin command groups (forestd user|group|computer|ou|dsacl|domain|fsmo), one module each;
// every failure becomes a message on stderr and one of the exit codes of ./common.ts.
import { AdminError, EXIT } from './common.js';

const GROUPS: Record<string, () => Promise<(args: string[]) => Promise<number>>> = {
  user: async () => (await import('./user.js')).userCommand,
  group: async () => (await import('./group.js')).groupCommand,
  computer: async () => (await import('./computer.js')).computerCommand,
  ou: async () => (await import('./ou.js')).ouCommand,
  dsacl: async () => (await import('./dsacl.js')).dsaclCommand,
  domain: async () => (await import('./domain.js')).domainCommand,
  fsmo: async () => (await import('./fsmo.js')).fsmoCommand,
  ldif: async () => (await import('../ldif/command.js')).ldifCommand,
};

export const ADMIN_COMMANDS = Object.keys(GROUPS);

export async function adminCommand(group: string, args: string[]): Promise<number> {
  try {
    return await (await GROUPS[group]!())(args);
  } catch (e) {
    if (e instanceof AdminError) {
      process.stderr.write(`forestd ${group}: ${e.message}\n${e.hint ? `  hint: ${e.hint}\n` : ''}`);
      return e.exit;
    }
    process.stderr.write(`forestd ${group}: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT.refused;
  }
}
