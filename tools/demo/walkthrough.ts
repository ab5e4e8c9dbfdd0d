// The brief's walkthrough, typed as a user in the main container would:
// each step prints its curl command line, sends the same request to the
// ambassador with fetch, and shows the answer in a few lines.

export interface ProxyCall {
  method: 'GET' | 'POST';
  /** Starts with "/". */
  path: string;
  body?: unknown;
}

export interface ProxyAnswer {
  status: number;
  statusText: string;
  text: string;
  json: any;
}

export interface WalkthroughResult {
  /** The user the API server saw, from the SelfSubjectReview. */
  identity: string | undefined;
  /** Steps whose answer was not what the demo expects. */
  surprises: string[];
}

interface Step {
  call: ProxyCall;
  /** Lines to print, and whether the answer was the expected one. */
  show(answer: ProxyAnswer): { lines: string[]; expected: boolean; identity?: string };
}

export interface WalkthroughSetup {
  namespace: string;
  serviceAccount: string;
  role: string;
  configMaps: string[];
}

export const pathsShown = 15;

export function walkthroughSteps(setup: WalkthroughSetup): Step[] {
  const { namespace } = setup;
  return [
    {
      call: { method: 'GET', path: '/' },
      show: (answer) => ({ lines: showPaths(answer), expected: answer.status === 200 && Array.isArray(answer.json?.paths) }),
    },
    {
      call: { method: 'GET', path: `/api/v1/namespaces/${namespace}/configmaps` },
      show: (answer) => {
        const names: string[] = (answer.json?.items ?? []).map((item: any) => item.metadata?.name);
        return {
          lines: showConfigMaps(answer),
          expected: answer.status === 200 && setup.configMaps.every((name) => names.includes(name)),
        };
      },
    },
    {
      call: { method: 'GET', path: `/api/v1/namespaces/${namespace}/secrets` },
      show: (answer) => ({ lines: showForbidden(answer, setup), expected: answer.status === 403 }),
    },
    {
      call: {
        method: 'POST',
        path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      },
      show: (answer) => {
        const identity: string | undefined = answer.json?.status?.userInfo?.username;
        return { lines: showSelfSubjectReview(answer), expected: answer.status === 201 && !!identity, identity };
      },
    },
  ];
}

/** What a user would type: `curl localhost:8001/api/v1/...`, with -H and -d for a body. */
export function curlCommand(hostPort: string, call: ProxyCall): string {
  const target = call.path === '/' ? hostPort : hostPort + call.path;
  if (call.body === undefined) return `curl ${target}`;
  return `curl ${target} -H 'Content-Type: application/json' -d '${JSON.stringify(call.body)}'`;
}

export function showPaths(answer: ProxyAnswer, shown = pathsShown): string[] {
  const paths: unknown = answer.json?.paths;
  if (!Array.isArray(paths)) return unexpected(answer);
  const lines = ['{', '  "paths": ['];
  paths.slice(0, shown).forEach((path, i) => lines.push(`    ${JSON.stringify(path)}${i < paths.length - 1 ? ',' : ''}`));
  if (paths.length > shown) lines.push(`    … ${paths.length - shown} more (${paths.length} paths in all)`);
  lines.push('  ]', '}');
  return lines;
}

export function showConfigMaps(answer: ProxyAnswer): string[] {
  const items: any[] | undefined = answer.json?.items;
  if (answer.status !== 200 || !Array.isArray(items)) return unexpected(answer);
  const width = Math.max(4, ...items.map((item) => String(item.metadata?.name).length));
  return [
    `${statusLine(answer)} — a ${answer.json.kind} of ${items.length}; name and data keys of each:`,
    ...items.map((item) => `  ${String(item.metadata?.name).padEnd(width)}  ${Object.keys(item.data ?? {}).join(', ')}`),
  ];
}

export function showForbidden(answer: ProxyAnswer, setup: WalkthroughSetup): string[] {
  if (answer.status !== 403) return unexpected(answer);
  return [
    `${statusLine(answer)} — the API server's Status message, verbatim:`,
    `  ${answer.json?.message ?? answer.text.trim()}`,
    `RBAC denied it: the proxy holds ${setup.namespace}/${setup.serviceAccount}'s token, and the Role ` +
      `${setup.role} grants configmaps and pods, not secrets.`,
  ];
}

export function showSelfSubjectReview(answer: ProxyAnswer): string[] {
  const user = answer.json?.status?.userInfo;
  if (answer.status !== 201 || !user?.username) return unexpected(answer);
  return [
    `${statusLine(answer)} — the API server sees the proxy as ${user.username}`,
    `  groups: ${(user.groups ?? []).join(', ')}`,
  ];
}

function statusLine(answer: ProxyAnswer): string {
  return `${answer.status} ${answer.statusText}`.trim();
}

function unexpected(answer: ProxyAnswer): string[] {
  const body = answer.text.trim().split('\n');
  return [`unexpected answer: ${statusLine(answer)}`, ...body.slice(0, 10).map((line) => `  ${line}`)];
}

/** Runs each step against the proxy at baseUrl, printing as it goes. */
export async function runWalkthrough(
  baseUrl: string,
  hostPort: string,
  setup: WalkthroughSetup,
  print: (line: string) => void,
): Promise<WalkthroughResult> {
  const result: WalkthroughResult = { identity: undefined, surprises: [] };
  for (const step of walkthroughSteps(setup)) {
    print('');
    print(`$ ${curlCommand(hostPort, step.call)}`);
    const answer = await send(baseUrl, step.call);
    const shown = step.show(answer);
    for (const line of shown.lines) print(line);
    if (!shown.expected) result.surprises.push(`${step.call.method} ${step.call.path}: ${answer.status}`);
    result.identity ??= shown.identity;
  }
  return result;
}

async function send(baseUrl: string, call: ProxyCall): Promise<ProxyAnswer> {
  const init: RequestInit = { method: call.method, headers: { accept: 'application/json' } };
  if (call.body !== undefined) {
    init.body = JSON.stringify(call.body);
    init.headers = { ...init.headers, 'content-type': 'application/json' };
  }
  const response = await fetch(baseUrl + call.path, init);
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, statusText: response.statusText, text, json };
}
