// kube-ambassador cluster-info: kubectl cluster-info's lines (the control
// plane, then the services labelled kubernetes.io/cluster-service=true), and
// on stderr where the credentials came from.
import type { KubeClient } from '../../client/kube-client.js';
import type { KubeList, KubeObject } from '../../client/objects.js';
import { UsageError } from '../flags.js';
import { wantsColor } from '../output.js';
import { parseCommandFlags, withClient } from './client-command.js';

const help = {
  usage: 'kube-ambassador cluster-info [options]',
  description: `Display addresses of the control plane and services with label kubernetes.io/cluster-service=true.
To further debug and diagnose cluster problems, use 'kube-ambassador doctor'.`,
  flags: [],
};

/** The fields of a Service that cluster-info reads. */
interface Service extends KubeObject {
  spec?: { ports?: { name?: string; port: number }[] };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

const clusterServiceLabel = 'kubernetes.io/cluster-service=true';

export async function runClusterInfo(argv: string[]): Promise<number> {
  const parsed = parseCommandFlags(argv, help);
  if (!parsed) return 0;
  if (parsed.args.length > 0) throw new UsageError(`unexpected argument "${parsed.args[0]}"`);
  // As kubectl: -n picks where to look for cluster services, not the kubeconfig's namespace.
  const namespace = (parsed.values.namespace as string) || 'kube-system';
  return withClient(parsed.values, async (client) => {
    process.stderr.write(`(credentials: ${client.info.description})\n`);
    const color = wantsColor(process.stdout);
    try {
      const services = await client.requestJson<KubeList<Service>>({
        method: 'GET', path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/services`, query: { labelSelector: clusterServiceLabel },
      });
      let out = runningAt('Kubernetes control plane', client.info.server, color);
      for (const service of services.items) out += runningAt(displayName(service), serviceLink(client, service), color);
      process.stdout.write(out);
    } finally {
      // kubectl prints this even when listing the services failed.
      process.stdout.write("\nTo further debug and diagnose cluster problems, use 'kube-ambassador doctor'.\n");
    }
    return 0;
  });
}

function runningAt(name: string, link: string, color: boolean): string {
  // kubectl's colours: the name green, the link yellow.
  return color ? `\x1b[0;32m${name}\x1b[0m is running at \x1b[0;33m${link}\x1b[0m\n` : `${name} is running at ${link}\n`;
}

function displayName(service: Service): string {
  return service.metadata?.labels?.['kubernetes.io/name'] || service.metadata?.name || '';
}

/** kubectl's link: the load balancer's address per port, else the API server's service proxy path. */
export function serviceLink(client: Pick<KubeClient, 'info'>, service: Service): string {
  const ingress = service.status?.loadBalancer?.ingress?.[0];
  const ports = service.spec?.ports ?? [];
  if (ingress) {
    const ip = ingress.ip || ingress.hostname || '';
    return ports.map((p) => `http://${ip}:${p.port} `).join('');
  }
  let name = service.metadata?.name ?? '';
  const port = ports[0];
  if (port) {
    // utilnet.JoinSchemeNamePort, guessing https from the port's name or number
    const scheme = port.name === 'https' || port.port === 443 ? 'https' : '';
    const portName = port.name ?? '';
    name = scheme ? `${scheme}:${name}:${portName}` : portName ? `${name}:${portName}` : name;
  }
  return `${client.info.server}/api/v1/namespaces/${service.metadata?.namespace ?? ''}/services/${name}/proxy`;
}
