// The generated Kubernetes types in src/client/types (tools/gen-types). Most
// checks happen when tsc compiles this file: object literals that must type,
// lines marked with ts-expect-error that must not, and type equalities. At run time:
// the compiled .js files weigh nothing, the sources hold only type
// declarations, and the compiler refuses wrong fields with the right errors.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type { KubeClient, ObjectOf } from '../../src/client/kube-client.js';
import type { KubeList, KubeObject } from '../../src/client/objects.js';
import type {
  ConfigMap,
  Container,
  CoreV1EndpointPort,
  CustomResourceDefinition,
  Deployment,
  DeploymentList,
  DiscoveryV1EndpointPort,
  EndpointSlice,
  IntOrString,
  Job,
  KindMap,
  MicroTime,
  ObjectMeta,
  Pod,
  PodList,
  Quantity,
  Role,
  Scale,
  StorageV1TokenRequest,
  Time,
  TokenRequest,
} from '../../src/client/types/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
/** Compiles only when T is exactly true. */
const assertType = <T extends true>(_: T) => {};

// ---- Compile-time checks -------------------------------------------------

/** A realistic Pod literal types as Pod, enums and all. */
function aPod(): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, annotations: { note: 'x' } },
    spec: {
      containers: [{
        name: 'web',
        image: 'nginx:1.27',
        imagePullPolicy: 'IfNotPresent',
        ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
        env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
        livenessProbe: { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' }, periodSeconds: 10 },
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
      }],
      volumes: [{ name: 'data', emptyDir: { sizeLimit: '1Gi' } }],
      restartPolicy: 'Always',
      tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }],
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    },
  };
}

function aDeployment(): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
    },
  };
}

/** Wrong fields, wrong enum values and missing required fields must not compile. */
function wrongFields(): unknown[] {
  return [
    // @ts-expect-error replicas belongs to a Deployment's spec, not a Pod's
    { spec: { containers: [], replicas: 3 } } satisfies Pod,
    // @ts-expect-error 'Sometimes' is not a restartPolicy
    { spec: { containers: [], restartPolicy: 'Sometimes' } } satisfies Pod,
    // @ts-expect-error a Container needs a name
    { image: 'nginx' } satisfies Container,
    // @ts-expect-error PodSpec.containers is required
    { spec: { restartPolicy: 'Never' } } satisfies Pod,
    // @ts-expect-error a Deployment is apps/v1, not v1
    { apiVersion: 'v1', kind: 'Deployment' } satisfies Deployment,
    // @ts-expect-error and its kind is Deployment
    { apiVersion: 'apps/v1', kind: 'Pod' } satisfies Deployment,
    // @ts-expect-error ObjectMeta (a type alias for KubeObject's sake) still refuses unknown fields
    { metadata: { nmae: 'typo' } } satisfies ConfigMap,
    // @ts-expect-error ConfigMap data values are strings
    { data: { port: 8080 } } satisfies ConfigMap,
    // @ts-expect-error ports are numbers or names, not booleans
    { httpGet: { port: true } } satisfies NonNullable<Container['livenessProbe']>,
  ];
}

// KindMap and ObjectOf give the generated interfaces.
assertType<Equal<KindMap['apps/v1']['Deployment'], Deployment>>(true);
assertType<Equal<KindMap['apps/v1']['DeploymentList'], DeploymentList>>(true);
assertType<Equal<KindMap['v1']['Pod'], Pod>>(true);
assertType<Equal<ObjectOf<'v1', 'Pod'>, Pod>>(true);
assertType<Equal<ObjectOf<'v1', 'PodList'>, PodList>>(true);
assertType<Equal<ObjectOf<'apps/v1', 'Deployment'>, Deployment>>(true);
assertType<Equal<ObjectOf<'batch/v1', 'Job'>, Job>>(true);
assertType<Equal<ObjectOf<'rbac.authorization.k8s.io/v1', 'Role'>, Role>>(true);
assertType<Equal<ObjectOf<'discovery.k8s.io/v1', 'EndpointSlice'>, EndpointSlice>>(true);
assertType<Equal<ObjectOf<'apiextensions.k8s.io/v1', 'CustomResourceDefinition'>, CustomResourceDefinition>>(true);
assertType<Equal<ObjectOf<'autoscaling/v1', 'Scale'>, Scale>>(true);
// Kinds and groups the generator does not know fall back to KubeObject.
assertType<Equal<ObjectOf<'example.com/v1', 'Widget'>, KubeObject>>(true);
assertType<Equal<ObjectOf<'v1', 'Widget'>, KubeObject>>(true);
assertType<Equal<ObjectOf<string, string>, KubeObject>>(true);

// Literal apiVersion and kind on top-level kinds; lists hold their items.
assertType<Equal<Pod['apiVersion'], 'v1' | undefined>>(true);
assertType<Equal<Pod['kind'], 'Pod' | undefined>>(true);
assertType<Equal<Deployment['apiVersion'], 'apps/v1' | undefined>>(true);
assertType<Equal<PodList['items'], Pod[]>>(true);
assertType<Equal<Pod['metadata'], ObjectMeta | undefined>>(true);

// The apimachinery scalars.
assertType<Equal<Quantity, string>>(true);
assertType<Equal<IntOrString, number | string>>(true);
assertType<Equal<Time, string>>(true);
assertType<Equal<MicroTime, string>>(true);

// The clash rule: the one kind keeps its name, the rest get group and version.
assertType<Equal<KindMap['authentication.k8s.io/v1']['TokenRequest'], TokenRequest>>(true);
assertType<Equal<TokenRequest['kind'], 'TokenRequest' | undefined>>(true);
assertType<Equal<StorageV1TokenRequest, { audience: string; expirationSeconds?: number }>>(true);
assertType<Equal<NonNullable<EndpointSlice['ports']>, DiscoveryV1EndpointPort[]>>(true);
assertType<Equal<CoreV1EndpointPort['protocol'], 'SCTP' | 'TCP' | 'UDP' | undefined>>(true);

/** Every apiVersion/kind pair in KindMap is a KubeObject (what ResourceClient<T> asks for). */
type NotKubeObjects = {
  [A in keyof KindMap]: {
    [K in keyof KindMap[A]]: KindMap[A][K] extends KubeObject ? never : `${A & string} ${K & string}`;
  }[keyof KindMap[A]];
}[keyof KindMap];
assertType<Equal<NotKubeObjects, never>>(true);

/** KindMap keys are the kinds' own apiVersion and kind. */
type MisfiledKinds = {
  [A in keyof KindMap]: {
    [K in keyof KindMap[A]]: KindMap[A][K] extends { apiVersion?: A; kind?: K } ? never : `${A & string} ${K & string}`;
  }[keyof KindMap[A]];
}[keyof KindMap];
assertType<Equal<MisfiledKinds, never>>(true);

/** Typed end to end through the client (compiled, never called). */
async function throughTheClient(kube: KubeClient): Promise<void> {
  const pod = await kube.get('v1', 'Pod', 'web', { namespace: 'default' });
  assertType<Equal<typeof pod, Pod>>(true);
  const deployments = await kube.list('apps/v1', 'Deployment');
  assertType<Equal<typeof deployments, KubeList<Deployment>>>(true);
  const replicas: number | undefined = deployments.items[0]?.spec?.replicas;
  const widget = await kube.get('example.com/v1', 'Widget', 'w');
  assertType<Equal<typeof widget, KubeObject>>(true);
  void replicas;
}
void throughTheClient;

// ---- Run-time checks ------------------------------------------------------

// build/test/unit/ → build/src/client/types/ and the repository's src/client/types/.
const compiledDir = fileURLToPath(new URL('../../src/client/types/', import.meta.url));
const sourceDir = fileURLToPath(new URL('../../../src/client/types/', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const header = "// Generated by tools/gen-types from kube-apiserver v1.35.4's /openapi/v3. Do not edit.";
const sources = readdirSync(sourceDir).filter((name) => name.endsWith('.ts')).sort();

describe('generated Kubernetes types', () => {
  test('the literals above type-check (and are what they say)', () => {
    assert.equal(aPod().spec?.containers[0]?.name, 'web');
    assert.equal(aDeployment().spec?.template.spec?.containers.length, 1);
    assert.equal(wrongFields().length, 9);
  });

  test('one file per group-version plus meta-v1 and index', () => {
    for (const name of ['index.ts', 'meta-v1.ts', 'core-v1.ts', 'apps-v1.ts', 'batch-v1.ts', 'rbac-v1.ts',
      'authentication-v1.ts', 'authorization-v1.ts', 'coordination-v1.ts', 'discovery-v1.ts', 'networking-v1.ts',
      'policy-v1.ts', 'autoscaling-v2.ts', 'storage-v1.ts', 'apiextensions-v1.ts']) {
      assert.ok(sources.includes(name), `${name} in ${sources.join(', ')}`);
    }
  });

  test('every source starts with the generated header', () => {
    for (const name of sources) assert.ok(readFileSync(join(sourceDir, name), 'utf8').startsWith(header + '\n'), name);
  });

  test('the sources hold only export interface / export type and type-only imports and re-exports', () => {
    for (const name of sources) {
      const file = ts.createSourceFile(name, readFileSync(join(sourceDir, name), 'utf8'), ts.ScriptTarget.ES2022);
      for (const statement of file.statements) {
        const exported = ts.canHaveModifiers(statement) &&
          (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
        const ok = ((ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) && exported) ||
          (ts.isImportDeclaration(statement) && statement.importClause?.isTypeOnly === true) ||
          (ts.isExportDeclaration(statement) && statement.isTypeOnly);
        assert.ok(ok, `${name}: ${statement.getText(file).slice(0, 80)}`);
      }
    }
  });

  test('no runtime weight: each compiled .js is `export {};` and comments', () => {
    const compiled = readdirSync(compiledDir).filter((name) => name.endsWith('.js')).sort();
    assert.deepEqual(compiled, sources.map((name) => name.replace(/\.ts$/, '.js')));
    for (const name of compiled) {
      const code = readFileSync(join(compiledDir, name), 'utf8')
        .split('\n')
        .filter((line) => !line.startsWith('//'))
        .join('\n')
        .trim();
      assert.equal(code, 'export {};', name);
    }
  });

  test('the compiler refuses wrong fields with the errors one expects', () => {
    const errors = typeCheck(`
      import type { Deployment, Pod, Service } from '../../src/client/types/index.js';
      export const a: Pod = { spec: { containers: [{ name: 'c', image: 'x', imagePullPolicy: 'Sometimes' }] } };
      export const b: Deployment = { spec: { selector: {}, template: {}, replica: 2 } };
      export const c: Pod = { apiVersion: 'apps/v1' };
      export const d: Service = { spec: { type: 'Internal' } };
      export const e: Pod = { metadata: { name: 'ok', labels: { app: 3 } } };
      export const f: Pod = { spec: { containers: [{ image: 'x' }] } };
    `);
    const expected = [
      /^2: Type '"Sometimes"' is not assignable to type '"Always" \| "IfNotPresent" \| "Never"/,
      /^3: Object literal may only specify known properties, but 'replica' does not exist in type 'DeploymentSpec'\. Did you mean to write 'replicas'\?/,
      /^4: Type '"apps\/v1"' is not assignable to type '"v1"'/,
      /^5: Type '"Internal"' is not assignable to type '"ClusterIP" \| "ExternalName" \| "LoadBalancer" \| "NodePort"/,
      /^6: Type 'number' is not assignable to type 'string'/,
      /^7: Property 'name' is missing in type '\{ image: string; \}' but required in type 'Container'/,
    ];
    assert.equal(errors.length, expected.length, errors.join('\n'));
    expected.forEach((pattern, i) => assert.match(errors[i]!, pattern));
  });
});

/** Type-checks `code` as if it were test/unit/snippet.ts; returns "line: message" for each error. */
function typeCheck(code: string): string[] {
  const snippet = join(repoRoot, 'test', 'unit', '__generated-types-snippet__.ts');
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    lib: ['lib.es2023.d.ts'],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (path) => path === snippet || fileExists.call(host, path);
  host.readFile = (path) => (path === snippet ? code : readFile.call(host, path));
  host.getSourceFile = (path, language, ...rest) =>
    path === snippet ? ts.createSourceFile(path, code, language) : getSourceFile.call(host, path, language, ...rest);
  const program = ts.createProgram([snippet], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    const where = d.file && d.file.fileName !== snippet ? `${d.file.fileName}:` : '';
    return `${where}${line}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}
