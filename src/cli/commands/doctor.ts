// kube-ambassador doctor: why a program cannot reach, trust, authenticate to
// or act on the API server, check by check. The CLI reads the flags and the
// environment and resolves the connection as every other command does; the
// doctor gets them as plain inputs.
import { homedir } from 'node:os';
import type { ClusterConnection } from '../../credentials/cluster-connection.js';
import { serviceAccountDir } from '../../credentials/in-cluster.js';
import { resolveConnection } from '../../credentials/resolve.js';
import { formatReport, reportJson } from '../../doctor/report.js';
import { runDoctor } from '../../doctor/run.js';
import { silentLogger } from '../../logging/logger.js';
import { NeedError, parseNeed } from '../../rbac/needs.js';
import { defaultUserAgent } from '../../version.js';
import { credentialFlags } from '../connection-flags.js';
import { UsageError } from '../flags.js';
import { wantsColor } from '../output.js';
import { parseCommandFlags } from './client-command.js';

const help = {
  usage: 'kube-ambassador doctor [--can VERB:RESOURCE[:NAMESPACE]]… [--ambassador URL] [--json] [options]',
  description: `Find out why a program cannot talk to the Kubernetes API server, check by check:
where the API server is (KUBERNETES_SERVICE_HOST/PORT or kubeconfig, IPv6, edge hubs, HTTPS_PROXY),
the service-account folder, the token's claims (expiry, staleness, what it is bound to), DNS and TCP
(refused, timed out, unreachable), TLS against ca.crt for the name dialled, /livez /readyz /version,
who the API server thinks we are, what we may do (--can, and the namespace's rules), and whether an
ambassador on localhost:8001 answers and as whom.

Each check prints PASS, WARN, FAIL or SKIP, what it saw, and for a problem one line saying what to
change. Exit code 0 when nothing failed. Secrets are never printed: a token shows only its claims.

Examples:
  kube-ambassador doctor
  kube-ambassador doctor --can get,list,watch:pods --can get:configmaps:other-namespace
  kube-ambassador doctor --ambassador=http://127.0.0.1:8001 --json`,
  flags: [
    { name: 'can', type: 'stringArray' as const, default: [], help: 'An access the program needs, VERB[,VERB…]:RESOURCE[/SUBRESOURCE][:NAMESPACE] (* = every namespace); repeatable.' },
    { name: 'ambassador', type: 'string' as const, default: 'http://127.0.0.1:8001', help: 'URL of an ambassador (kube-ambassador or kubectl proxy) to try; empty to skip. Nothing listening is a warning unless given explicitly.' },
    { name: 'json', type: 'bool' as const, default: false, help: 'Print the report as JSON.' },
    { name: 'timeout', type: 'duration' as const, default: 5_000, help: 'Limit on each network step of a check; a check gives up after twice this.' },
  ],
};

export async function runDoctorCommand(argv: string[]): Promise<number> {
  const parsed = parseCommandFlags(argv, help);
  if (!parsed) return 0;
  if (parsed.args.length > 0) throw new UsageError(`unexpected argument "${parsed.args[0]}"`);
  const v = parsed.values;
  const timeoutMs = v.timeout as number;
  if (timeoutMs <= 0) throw new UsageError('--timeout must be positive');
  let needs;
  try {
    needs = (v.can as string[]).map(parseNeed);
  } catch (err) {
    if (err instanceof NeedError) throw new UsageError(err.message);
    throw err;
  }

  const env = process.env;
  const flags = credentialFlags(v);
  let connection: ClusterConnection | undefined;
  let connectionError: string | undefined;
  try {
    connection = resolveConnection({ flags, env, homeDir: homedir(), logger: silentLogger, watchTokenFile: false });
  } catch (err) {
    connectionError = (err as Error).message;
  }

  const report = await runDoctor({
    env,
    serviceAccountDir: serviceAccountDir(flags, env),
    serviceAccountDirGiven: Boolean(flags.serviceAccountDir),
    connection,
    connectionError,
    caFile: flags.certificateAuthority,
    needs,
    namespace: flags.namespace,
    ambassadorUrl: v.ambassador as string,
    ambassadorExplicit: parsed.given.has('ambassador'),
    timeoutMs,
    userAgent: defaultUserAgent('kube-ambassador-doctor'),
  });
  process.stdout.write(v.json ? reportJson(report) : formatReport(report, { color: wantsColor(process.stdout) }));
  const code = report.ok ? 0 : 1;
  // A check cut off by its time limit may leave work behind that cannot be cancelled (a DNS lookup in
  // getaddrinfo, a stuck exec plugin): exit anyway. The timer does not itself keep the process alive.
  setTimeout(() => process.exit(code), 250).unref();
  return code;
}
