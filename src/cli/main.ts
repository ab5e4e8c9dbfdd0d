#!/usr/bin/env -S node --max-semi-space-size=2 --
// kube-ambassador CLI: finds the command and loads only its module, so a
// proxy start does not pay for the client, doctor or podinfo code.
import { KubeApiError, KubeTransportError } from '../client/errors.js';
import { ConfigError } from '../credentials/cluster-connection.js';
import { FilterRuleError } from '../proxy/filter.js';
import { version } from '../version.js';
import { UsageError } from './flags.js';

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  proxy: { summary: 'Run a proxy to the Kubernetes API server (a drop-in kubectl proxy)', load: async () => (await import('./commands/proxy.js')).runProxy },
  'cluster-info': { summary: 'Display the API server address and cluster services', load: async () => (await import('./commands/cluster-info.js')).runClusterInfo },
  whoami: { summary: 'Show who the API server thinks you are (like kubectl auth whoami)', load: async () => (await import('./commands/whoami.js')).runWhoami },
  'can-i': { summary: 'Check whether an action is allowed (like kubectl auth can-i)', load: async () => (await import('./commands/can-i.js')).runCanI },
  get: { summary: 'Display resources of one type (like kubectl get)', load: async () => (await import('./commands/get.js')).runGet },
  doctor: { summary: 'Diagnose why a program cannot reach, trust or use the API server', load: async () => (await import('./commands/doctor.js')).runDoctorCommand },
  rbac: { summary: 'Print the least-privilege RBAC a program needs (or --check it)', load: async () => (await import('./commands/rbac.js')).runRbac },
  podinfo: { summary: 'Write the pod\'s and its node\'s metadata to files and env (the Downward API, extended)', load: async () => (await import('./commands/podinfo.js')).runPodinfoCommand },
  version: { summary: 'Print the version', load: async () => async () => { process.stdout.write(`kube-ambassador v${version}\n`); return 0; } },
};

function usage(): string {
  const rows = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`).join('\n');
  return `kube-ambassador: talk to the Kubernetes API server from a pod, simply and safely.\n\nCommands:\n${rows}\n\nUse "kube-ambassador <command> --help" for a command's options.\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 1;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command "${name}" for "kube-ambassador"`);
  return (await command.load())(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`${errorLine(err)}\n`);
    process.exitCode = 1;
  },
);

/** One line a person can act on; kubectl's wording for the API server's own errors. */
function errorLine(err: unknown): string {
  if (err instanceof KubeApiError) {
    if (err.reason === 'Unauthorized') return `error: You must be logged in to the server (${err.message})`;
    return `Error from server (${err.reason}): ${err.message}`;
  }
  const known = err instanceof UsageError || err instanceof ConfigError || err instanceof FilterRuleError || err instanceof KubeTransportError;
  return `error: ${known ? (err as Error).message : (err as Error)?.stack ?? String(err)}`;
}
