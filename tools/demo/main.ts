// npm start: with a cluster configured (KUBECONFIG, ~/.kube/config or
// in-cluster), `kube-ambassador proxy` against it with the given flags;
// otherwise, or with --demo, the demo against a throwaway control plane.
//   node build/tools/demo/main.js [--demo] [--port N] [--exit-after-walkthrough]
import { homedir } from 'node:os';
import { parseFlags, UsageError, type FlagSpec } from '../../src/cli/flags.js';
import { configuredCluster } from './cluster-detection.js';
import { runDemo } from './demo.js';
import { runRealProxy } from './real-proxy.js';

const demoFlags: FlagSpec[] = [
  { name: 'demo', type: 'bool', default: false, help: 'Run the demo even when a cluster is configured.' },
  { name: 'port', short: 'p', type: 'int', default: 8001, help: 'Port of the ambassador on 127.0.0.1; 0 picks a free one.' },
  { name: 'exit-after-walkthrough', type: 'bool', default: false, help: 'Clean up and exit after the walkthrough instead of serving.' },
];

const usage = `Usage: npm start [-- proxy flags]   (npm run demo [-- --port N] for the demo)

With a cluster configured (KUBECONFIG, ~/.kube/config, or in a pod), runs
kube-ambassador proxy against it. Otherwise, or with --demo, starts a throwaway
kube-apiserver and etcd, a least-privilege service account, and kube-ambassador
as an ambassador sidecar would run it, then walks through the brief's curl calls.

Demo flags:
  --demo                     run the demo even when a cluster is configured
  -p, --port N               the ambassador's port on 127.0.0.1 (default 8001; 0 picks a free one)
  --exit-after-walkthrough   clean up and exit after the walkthrough instead of serving
`;

const print = (line: string) => process.stdout.write(line + '\n');
const diagnose = (line: string) => process.stderr.write(line + '\n');

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage);
    return 0;
  }
  if (!argv.includes('--demo')) {
    const cluster = configuredCluster(argv, process.env, homedir());
    if (cluster) {
      diagnose(`kube-ambassador: proxying to ${cluster} (npm run demo for the demo instead)`);
      return runRealProxy(argv);
    }
  }
  const flags = parseDemoFlags(argv);
  return runDemo({ ...flags, print, diagnose });
}

function parseDemoFlags(argv: string[]): { port: number; exitAfterWalkthrough: boolean } {
  const parsed = parseFlagsForDemo(argv);
  const port = parsed.values.port as number;
  if (port < 0 || port > 65535) throw new UsageError(`invalid port ${port}`);
  return { port, exitAfterWalkthrough: parsed.values['exit-after-walkthrough'] === true };
}

function parseFlagsForDemo(argv: string[]): ReturnType<typeof parseFlags> {
  try {
    const parsed = parseFlags(argv, demoFlags);
    if (parsed.args.length > 0) throw new UsageError(`unexpected argument "${parsed.args[0]}"`);
    return parsed;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const why = argv.includes('--demo') ? 'the demo ' : 'no cluster is configured, so this runs the demo, which ';
    throw new UsageError(`${error.message} (${why}takes only --demo, --port and --exit-after-walkthrough; see --help)`);
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    diagnose(`error: ${error instanceof UsageError ? error.message : (error as Error)?.stack ?? String(error)}`);
    process.exitCode = 1;
  },
);
