// What the commands that talk to the API server through the client share:
// a client made from kubectl's connection flags (closed when the command is
// done, so the process ends at once), kubectl's resource-argument lookup,
// and kubectl's wording when the server has no such resource type.
import { connect } from '../../client/connect.js';
import { type ApiResource, resolveResourceName } from '../../client/discovery.js';
import type { KubeClient } from '../../client/kube-client.js';
import { defaultUserAgent } from '../../version.js';
import { connectionFlagSpecs, credentialFlags, loggerFromFlags } from '../connection-flags.js';
import { type FlagSpec, type FlagValues, formatHelp, parseFlags, type ParsedFlags, UsageError } from '../flags.js';

export interface CommandHelp {
  usage: string;
  description: string;
  /** The command's own flags; the connection flags are added after them. */
  flags: FlagSpec[];
}

/** Parses argv with the command's flags plus the connection flags; undefined when --help was printed. */
export function parseCommandFlags(argv: string[], help: CommandHelp): ParsedFlags | undefined {
  const specs = [...help.flags, ...connectionFlagSpecs];
  const parsed = parseFlags(argv, specs);
  if (parsed.help) {
    process.stdout.write(formatHelp(help.usage, help.description, specs));
    return undefined;
  }
  return parsed;
}

/** Runs fn with a client made from the flags and always closes the client afterwards. */
export async function withClient<T>(values: FlagValues, fn: (client: KubeClient) => Promise<T>): Promise<T> {
  const client = await connect({
    ...credentialFlags(values),
    logger: loggerFromFlags(values),
    userAgent: defaultUserAgent('kube-ambassador'),
  });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** The resource a kubectl-style argument names ("po", "deployments.apps", "deploy.v1.apps"), rereading discovery once on a miss. */
export async function lookupResource(client: KubeClient, arg: string): Promise<ApiResource | undefined> {
  const found = resolveResourceName(await client.discovery.resources(), arg);
  if (found) return found;
  client.discovery.invalidate();
  return resolveResourceName(await client.discovery.resources(), arg);
}

/** The parts of a resource argument: "deploy.v1.apps" → deploy, v1, apps; "deployments.apps" → deployments, apps. */
export function parseResourceArg(arg: string): { resource: string; version: string; group: string } {
  const [first, ...qualifier] = arg.toLowerCase().split('.');
  if (qualifier.length >= 2 && /^v\d/.test(qualifier[0]!)) return { resource: first!, version: qualifier[0]!, group: qualifier.slice(1).join('.') };
  return { resource: first!, version: '', group: qualifier.join('.') };
}

/** kubectl's message for a resource type discovery does not know: it names the type without group or version, as typed. */
export function noSuchResourceType(arg: string): string {
  return `the server doesn't have a resource type "${arg.split('.')[0]}"`;
}

/** For a command's own failure that is not a usage mistake: `error: <msg>` on stderr, exit code 1. */
export function fail(message: string): number {
  process.stderr.write(`error: ${message}\n`);
  return 1;
}

export function warn(message: string): void {
  process.stderr.write(`Warning: ${message}\n`);
}

/** -o values a command accepts; anything else is a usage error in kubectl's words. */
export function outputFormat<T extends string>(value: unknown, allowed: readonly T[]): T | '' {
  const format = (value as string | undefined) ?? '';
  if (format === '' || (allowed as readonly string[]).includes(format)) return format as T | '';
  throw new UsageError(`unable to match a printer suitable for the output format "${format}", allowed formats are: ${[...allowed].sort().join(',')}`);
}
