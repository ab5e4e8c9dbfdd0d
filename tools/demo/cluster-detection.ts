// Is a cluster configured? The same rules the proxy itself applies: explicit
// flags, then KUBECONFIG (or ~/.kube/config when KUBECONFIG is unset), then
// in-cluster (KUBERNETES_SERVICE_HOST/PORT and a service-account token).
import { inClusterPossible, serviceAccountDir } from '../../src/credentials/in-cluster.js';
import { kubeconfigFiles } from '../../src/credentials/kubeconfig.js';

/** Flags that point the proxy at a cluster by themselves. */
const clusterFlags = ['--kubeconfig', '--server', '-s'];

/** Where the cluster comes from, in a few words, or undefined when none is configured. */
export function configuredCluster(args: string[], env: NodeJS.ProcessEnv, homeDir: string): string | undefined {
  const flag = args.find((arg) => clusterFlags.some((name) => arg === name || arg.startsWith(`${name}=`)));
  if (flag) return `the cluster named by ${flag.split('=')[0]}`;
  const files = kubeconfigFiles({ env, homeDir });
  if (files.length > 0) return `the kubeconfig ${files.join(':')}`;
  const saDir = serviceAccountDir({ serviceAccountDir: flagValue(args, '--service-account-dir') }, env);
  if (inClusterPossible(env, saDir)) {
    return `the in-cluster service account (${saDir}, https://${env.KUBERNETES_SERVICE_HOST}:${env.KUBERNETES_SERVICE_PORT})`;
  }
  return undefined;
}

/** The value of --name=value or --name value, the last one given. */
function flagValue(args: string[], name: string): string | undefined {
  let value: string | undefined;
  args.forEach((arg, i) => {
    if (arg.startsWith(`${name}=`)) value = arg.slice(name.length + 1);
    else if (arg === name) value = args[i + 1];
  });
  return value || undefined;
}
