// gen-types: TypeScript interfaces for the built-in Kubernetes objects, from
// the API server's own OpenAPI v3, into src/client/types/ (checked in).
//
//   npx tsc -p . && node build/tools/gen-types/main.js [--out src/client/types]
//       [--server URL [--token T] [--ca FILE]] [--check]
//
// Without --server it starts a throwaway kube-apiserver + etcd
// (tools/control-plane) and stops it afterwards. It reads /version and
// /openapi/v3, then /openapi/v3/<path>?hash=… for each group-version in
// `groupVersions` below, and writes one file per schema package
// (io.k8s.api.apps.v1.* → apps-v1.ts; io.k8s.apimachinery.* → meta-v1.ts)
// plus index.ts (re-exports and KindMap). --check writes nothing and exits 1
// when the files on disk differ from what would be written.
//
// What the files hold: only `export interface` / `export type` (their .js is
// `export {};`); doc comments from the first sentence or two of each
// description, with @see for the "More info" link, @deprecated and non-zero
// @default; optional unless listed in the schema's `required`; `enum` as
// string-literal unions; for schemas with exactly one
// x-kubernetes-group-version-kind, literal `apiVersion?: 'apps/v1'` and
// `kind?: 'Deployment'`.
//
// Naming rule: a type is named by the last segment of its schema name
// (io.k8s.api.core.v1.Pod → Pod). When schemas from different packages share
// that segment, a top-level kind (one with x-kubernetes-group-version-kind)
// keeps the bare name if it is the only kind among them, and every other one
// is prefixed with its group and version in PascalCase, `Core` for the legacy
// group: in v1.35.4 that gives TokenRequest (authentication.k8s.io/v1) and
// StorageV1TokenRequest (CSIDriver's spec.tokenRequests[]), CoreV1EndpointPort
// (Endpoints) and DiscoveryV1EndpointPort (EndpointSlice). A new clash in a later
// release renames both sides the same way, so read the notes this prints.
//
// Special cases (see specialTypes in generate.ts): Quantity → string,
// IntOrString → number | string, Time/MicroTime → string (their schema says
// so), RawExtension and apiextensions JSON → unknown, FieldsV1 → a JSON object,
// JSONSchemaPropsOr{Array,Bool,StringArray} → the unions their names promise
// (the OpenAPI gives them no type at all), CustomResourceSubresourceStatus →
// the empty object. ObjectMeta and ListMeta are object-literal type aliases
// rather than interfaces so that they are assignable to src/client/objects.ts's
// ObjectMeta, which has an index signature; that keeps every generated kind
// assignable to KubeObject.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request as undiciRequest } from 'undici';
import { repositoryRoot } from '../control-plane/binaries.js';
import { startControlPlane } from '../control-plane/index.js';
import { generate, headerLine, type GeneratedFile, type OpenApiDocument } from './generate.js';

/** Paths under /openapi/v3 whose schemas become types. */
const groupVersions = [
  'api/v1',
  'apis/apps/v1',
  'apis/batch/v1',
  'apis/rbac.authorization.k8s.io/v1',
  'apis/authentication.k8s.io/v1',
  'apis/authorization.k8s.io/v1',
  'apis/coordination.k8s.io/v1',
  'apis/discovery.k8s.io/v1',
  'apis/networking.k8s.io/v1',
  'apis/policy/v1',
  'apis/autoscaling/v2',
  'apis/storage.k8s.io/v1',
  'apis/apiextensions.k8s.io/v1',
];

const regenerate = 'npx tsc -p . && node build/tools/gen-types/main.js --out src/client/types';

type Get = (path: string) => Promise<{ status: number; text: string }>;

const usage = `usage: node build/tools/gen-types/main.js [--out DIR] [--server URL [--token T] [--ca FILE]] [--check]
  --out DIR     where the .ts files go (default: src/client/types in the repository)
  --server URL  read this API server instead of starting a local control plane
  --token T     bearer token for --server
  --ca FILE     CA bundle (PEM) that signed --server's certificate
  --check       write nothing; exit 1 if the files on disk are not what would be written`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      server: { type: 'string' },
      token: { type: 'string' },
      ca: { type: 'string' },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if ((values.token || values.ca) && !values.server) throw new Error('--token and --ca go with --server');
  const out = values.out ? resolve(values.out) : join(repositoryRoot(), 'src', 'client', 'types');

  const files = values.server
    ? await fromServer(values.server, values.token, values.ca)
    : await fromControlPlane();

  return values.check ? check(out, files) : write(out, files);
}

async function fromServer(server: string, token: string | undefined, caFile: string | undefined): Promise<GeneratedFile[]> {
  const agent = new Agent(caFile ? { connect: { ca: readFileSync(caFile, 'utf8') } } : {});
  const base = server.replace(/\/+$/, '');
  const get: Get = async (path) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers['authorization'] = `Bearer ${token}`;
    const response = await undiciRequest(base + path, { headers, dispatcher: agent });
    return { status: response.statusCode, text: await response.body.text() };
  };
  try {
    return await generateFrom(get);
  } finally {
    await agent.close();
  }
}

async function fromControlPlane(): Promise<GeneratedFile[]> {
  console.error('gen-types: starting a local control plane (tools/control-plane)…');
  const controlPlane = await startControlPlane();
  try {
    return await generateFrom(async (path) => {
      const response = await controlPlane.request('GET', path);
      return { status: response.status, text: response.text };
    });
  } finally {
    await controlPlane.stop();
  }
}

async function generateFrom(get: Get): Promise<GeneratedFile[]> {
  const getJson = async <T>(path: string): Promise<T> => {
    const { status, text } = await get(path);
    if (status !== 200) throw new Error(`GET ${path}: HTTP ${status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  };
  const version = await getJson<{ gitVersion: string }>('/version');
  const index = await getJson<{ paths: Record<string, { serverRelativeURL: string }> }>('/openapi/v3');
  const documents: { path: string; document: OpenApiDocument }[] = [];
  for (const path of groupVersions) {
    const entry = index.paths[path];
    if (!entry) {
      throw new Error(`/openapi/v3 does not list ${path}; it lists ${Object.keys(index.paths).join(', ')}`);
    }
    documents.push({ path, document: await getJson<OpenApiDocument>(entry.serverRelativeURL) });
  }
  console.error(`gen-types: kube-apiserver ${version.gitVersion}, ${documents.length} OpenAPI documents`);
  const { files, notes } = generate({ serverVersion: version.gitVersion, documents, regenerate });
  for (const note of notes) console.error(`gen-types: note: ${note}`);
  return files;
}

/** Generated files from an earlier run that this one no longer writes. */
function staleFiles(out: string, files: GeneratedFile[]): string[] {
  if (!existsSync(out)) return [];
  const written = new Set(files.map((f) => f.name));
  const marker = headerLine('').split(' from ')[0]!;
  return readdirSync(out)
    .filter((name) => name.endsWith('.ts') && !written.has(name))
    .filter((name) => readFileSync(join(out, name), 'utf8').startsWith(marker));
}

function write(out: string, files: GeneratedFile[]): number {
  mkdirSync(out, { recursive: true });
  for (const name of staleFiles(out, files)) {
    rmSync(join(out, name));
    console.error(`gen-types: removed ${display(join(out, name))}`);
  }
  for (const file of files) {
    const path = join(out, file.name);
    const before = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (before === file.text) continue;
    writeFileSync(path, file.text);
  }
  const bytes = files.reduce((sum, f) => sum + Buffer.byteLength(f.text), 0);
  console.log(`gen-types: ${files.length} files, ${bytes} bytes in ${display(out)}`);
  return 0;
}

function check(out: string, files: GeneratedFile[]): number {
  const differing = files
    .filter((file) => {
      const path = join(out, file.name);
      return !existsSync(path) || readFileSync(path, 'utf8') !== file.text;
    })
    .map((f) => f.name);
  const stale = staleFiles(out, files);
  if (differing.length === 0 && stale.length === 0) {
    console.log(`gen-types: ${display(out)} is up to date`);
    return 0;
  }
  console.log(`gen-types: out of date in ${display(out)}: ${[...differing, ...stale.map((s) => `${s} (stale)`)].join(', ')}`);
  return 1;
}

function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(`gen-types: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
