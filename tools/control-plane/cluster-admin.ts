// Talking to the test API server as its admin: plain HTTPS requests, objects
// created by server-side apply, real service-account tokens, and the folder a
// pod would find them in.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request as undiciRequest, type Agent } from 'undici';

export interface RequestOptions {
  /** Bearer token; defaults to the admin token, null sends none (anonymous). */
  token?: string | null;
  /** Content-Type of the body; defaults to application/json. */
  contentType?: string;
  headers?: Record<string, string>;
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  json: T;
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; uid?: string; [field: string]: unknown };
  [field: string]: any;
}

export interface MintTokenOptions {
  /** TokenRequest lifetime; the API server refuses less than 600. Default 3600. */
  expirationSeconds?: number;
  /** Binds the token to a Secret of this name (created if missing): deleting it revokes the token. */
  boundSecret?: string;
  audiences?: string[];
}

export interface ServiceAccountFolder {
  dir: string;
  env: { KUBERNETES_SERVICE_HOST: string; KUBERNETES_SERVICE_PORT: string };
}

export type Request = <T = any>(method: string, path: string, body?: unknown, options?: RequestOptions) =>
  Promise<ApiResponse<T>>;

/** Admin-side object helpers; each applies server-side, so calling twice is fine and updates rules. */
export interface ClusterAdmin {
  createNamespace(name: string): Promise<KubeObject>;
  createServiceAccount(namespace: string, name: string): Promise<KubeObject>;
  createRole(namespace: string, name: string, rules: PolicyRule[]): Promise<KubeObject>;
  createClusterRole(name: string, rules: PolicyRule[]): Promise<KubeObject>;
  /** The binding is named `<role>:<saNamespace>:<saName>`. */
  bindRole(namespace: string, roleName: string, saNamespace: string, saName: string): Promise<KubeObject>;
  bindClusterRole(clusterRoleName: string, saNamespace: string, saName: string): Promise<KubeObject>;
  /** Namespace, ServiceAccount, Role and RoleBinding, all named after the service account. */
  serviceAccountWithRole(namespace: string, name: string, rules: PolicyRule[]): Promise<KubeObject>;
  /** A real service-account token from the TokenRequest API. */
  mintToken(namespace: string, serviceAccount: string, options?: MintTokenOptions): Promise<string>;
}

const fieldManager = 'kube-ambassador-tests';

/** HTTPS to url through agent, as admin unless options.token says otherwise. */
export function requester(url: string, agent: Agent, adminToken: string): Request {
  return async (method, path, body, options = {}) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = options.token === undefined ? adminToken : options.token;
    if (token) headers['authorization'] = `Bearer ${token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    Object.assign(headers, options.headers);
    const response = await undiciRequest(url + path, { method, headers, body: payload, dispatcher: agent });
    const text = await response.body.text();
    return { status: response.statusCode, headers: response.headers, text, json: parseJson(text) as any };
  };
}

/** Server-side apply throughout: no 409s, and a second call updates the object. */
export function clusterAdmin(request: Request): ClusterAdmin {
  const apply = async (path: string, object: KubeObject): Promise<KubeObject> => {
    const query = `?fieldManager=${fieldManager}&force=true`;
    const response = await request('PATCH', path + query, object, { contentType: 'application/apply-patch+yaml' });
    return expectSuccess(response, `apply ${path}`);
  };
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  const rbacObject = (kind: string, name: string, namespace?: string) =>
    ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name, namespace } });
  const subjects = (namespace: string, name: string) => [{ kind: 'ServiceAccount', namespace, name }];

  const admin: ClusterAdmin = {
    createNamespace: (name) =>
      apply(`/api/v1/namespaces/${name}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
    createServiceAccount: (namespace, name) =>
      apply(`/api/v1/namespaces/${namespace}/serviceaccounts/${name}`,
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } }),
    createRole: (namespace, name, rules) =>
      apply(`${rbac}/namespaces/${namespace}/roles/${name}`, { ...rbacObject('Role', name, namespace), rules }),
    createClusterRole: (name, rules) =>
      apply(`${rbac}/clusterroles/${name}`, { ...rbacObject('ClusterRole', name), rules }),
    bindRole: (namespace, roleName, saNamespace, saName) => {
      const name = `${roleName}:${saNamespace}:${saName}`;
      return apply(`${rbac}/namespaces/${namespace}/rolebindings/${name}`, {
        ...rbacObject('RoleBinding', name, namespace),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
        subjects: subjects(saNamespace, saName),
      });
    },
    bindClusterRole: (clusterRoleName, saNamespace, saName) => {
      const name = `${clusterRoleName}:${saNamespace}:${saName}`;
      return apply(`${rbac}/clusterrolebindings/${name}`, {
        ...rbacObject('ClusterRoleBinding', name),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRoleName },
        subjects: subjects(saNamespace, saName),
      });
    },
    async serviceAccountWithRole(namespace, name, rules) {
      await admin.createNamespace(namespace);
      const serviceAccount = await admin.createServiceAccount(namespace, name);
      await admin.createRole(namespace, name, rules);
      await admin.bindRole(namespace, name, namespace, name);
      return serviceAccount;
    },
    async mintToken(namespace, serviceAccount, { expirationSeconds = 3600, boundSecret, audiences } = {}) {
      const spec: Record<string, unknown> = { expirationSeconds, audiences };
      if (boundSecret) {
        const secret = await apply(`/api/v1/namespaces/${namespace}/secrets/${boundSecret}`,
          { apiVersion: 'v1', kind: 'Secret', metadata: { name: boundSecret, namespace }, type: 'Opaque' });
        spec['boundObjectRef'] = { apiVersion: 'v1', kind: 'Secret', name: boundSecret, uid: secret.metadata.uid };
      }
      const response = await request('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`,
        { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec });
      return expectSuccess(response, `TokenRequest for ${namespace}/${serviceAccount}`).status.token as string;
    },
  };
  return admin;
}

/** The files a pod finds in /var/run/secrets/kubernetes.io/serviceaccount/, and the env that goes with them. */
export function writeServiceAccountFolder(
  dir: string,
  { token, namespace = 'default' }: { token: string; namespace?: string },
  apiServer: { host: string; port: number; caPem: string },
): ServiceAccountFolder {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'token'), token, { mode: 0o600 });
  writeFileSync(join(dir, 'ca.crt'), apiServer.caPem);
  writeFileSync(join(dir, 'namespace'), namespace);
  return { dir, env: { KUBERNETES_SERVICE_HOST: apiServer.host, KUBERNETES_SERVICE_PORT: String(apiServer.port) } };
}

function expectSuccess(response: ApiResponse, what: string): KubeObject {
  if (response.status >= 200 && response.status < 300) return response.json;
  throw new Error(`${what}: HTTP ${response.status} ${response.text}`);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
