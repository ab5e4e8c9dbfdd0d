// The client a program holds: resources by apiVersion and kind (or by the
// names kubectl accepts), informers, and who-am-I questions, over one shared
// connection pool per cluster and identity.
import type { ApiRequest, ApiResponse, ApiTransport } from './api-transport.js';
import type { ApiResource, Discovery } from './discovery.js';
import { Informer, type InformerOptions } from './informer.js';
import type { KubeList, KubeObject } from './objects.js';
import { type DeleteOptions, type ListOptions, type PatchOptions, ResourceClient, type Scope, type WriteOptions } from './resource-client.js';
import { type AccessAnswer, type AccessQuestion, canI, type RulesAnswer, rulesReview, type UserInfo, whoami } from './self-review.js';
import type { KindMap } from './types/index.js';

/** The interface for apiVersion A and kind K when the generated types know it, else KubeObject. */
export type ObjectOf<A extends string, K extends string> =
  A extends keyof KindMap ? K extends keyof KindMap[A] ? KindMap[A][K] : KubeObject : KubeObject;

export interface ClientInfo {
  /** Where requests go, e.g. https://10.96.0.1:443 or http://localhost:8001. */
  server: string;
  namespace: string;
  source: string;
  description: string;
}

export class KubeClient {
  readonly info: ClientInfo;
  readonly discovery: Discovery;
  readonly #transport: ApiTransport;
  readonly #release: () => Promise<void>;
  readonly #informers = new Set<Informer<KubeObject>>();

  constructor(transport: ApiTransport, discovery: Discovery, info: ClientInfo, release: () => Promise<void>) {
    this.#transport = transport;
    this.discovery = discovery;
    this.info = info;
    this.#release = release;
  }

  get namespace(): string {
    return this.info.namespace;
  }

  /** A raw request to any path; the body comes back as text. Errors throw KubeApiError. */
  request(req: ApiRequest): Promise<ApiResponse> {
    return this.#transport.request(req);
  }

  requestJson<T>(req: ApiRequest): Promise<T> {
    return this.#transport.requestJson<T>(req);
  }

  /** Requests for one kind, found through discovery: `await kube.resource('apps/v1', 'Deployment')`. */
  async resource<A extends string, K extends string>(apiVersion: A, kind: K): Promise<ResourceClient<ObjectOf<A, K>>> {
    return this.resourceFor<ObjectOf<A, K>>(await this.discovery.forKind(apiVersion, kind));
  }

  /** By the names kubectl accepts: "pods", "po", "deployments.apps". */
  async resourceNamed<T extends KubeObject = KubeObject>(name: string): Promise<ResourceClient<T>> {
    return this.resourceFor<T>(await this.discovery.find(name));
  }

  resourceFor<T extends KubeObject = KubeObject>(resource: ApiResource): ResourceClient<T> {
    return new ResourceClient<T>(this.#transport, resource, this.info.namespace);
  }

  async get<A extends string, K extends string>(apiVersion: A, kind: K, name: string, scope: Scope = {}): Promise<ObjectOf<A, K>> {
    return (await this.resource(apiVersion, kind)).get(name, scope);
  }

  async list<A extends string, K extends string>(apiVersion: A, kind: K, options: ListOptions = {}): Promise<KubeList<ObjectOf<A, K>>> {
    return (await this.resource(apiVersion, kind)).list(options);
  }

  async *listAll<A extends string, K extends string>(apiVersion: A, kind: K, options: ListOptions = {}): AsyncGenerator<ObjectOf<A, K>> {
    yield* (await this.resource(apiVersion, kind)).listAll(options);
  }

  /** Creates an object; its apiVersion and kind say which resource. */
  async create<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    return (await this.#resourceOf(object)).create(object, options) as Promise<T>;
  }

  async replace<T extends KubeObject>(object: T, options: WriteOptions = {}): Promise<T> {
    return (await this.#resourceOf(object)).replace(object, options) as Promise<T>;
  }

  async patch<A extends string, K extends string>(apiVersion: A, kind: K, name: string, patch: unknown, options: PatchOptions = {}): Promise<ObjectOf<A, K>> {
    return (await this.resource(apiVersion, kind)).patch(name, patch, options);
  }

  /** Server-side apply. */
  async apply<T extends KubeObject>(object: T, options: PatchOptions & { fieldManager: string }): Promise<T> {
    return (await this.#resourceOf(object)).apply(object, options) as Promise<T>;
  }

  #resourceOf(object: KubeObject): Promise<ResourceClient<KubeObject>> {
    if (!object.apiVersion || !object.kind) throw new TypeError('the object needs apiVersion and kind to find its resource');
    return this.resource(object.apiVersion, object.kind);
  }

  async delete(apiVersion: string, kind: string, name: string, options: DeleteOptions = {}): Promise<KubeObject> {
    return (await this.resource(apiVersion, kind)).delete(name, options);
  }

  /** A started informer (its first list is in the cache when this resolves). */
  async informer<A extends string, K extends string>(apiVersion: A, kind: K, options: InformerOptions = {}): Promise<Informer<ObjectOf<A, K>>> {
    const informer = new Informer(await this.resource(apiVersion, kind), options);
    this.#informers.add(informer as Informer<KubeObject>);
    try {
      await informer.start();
    } catch (err) {
      await informer.stop();
      this.#informers.delete(informer as Informer<KubeObject>);
      throw err;
    }
    return informer;
  }

  whoami(): Promise<UserInfo> {
    return whoami(this.#transport);
  }

  /** `canI('list', 'pods', { namespace })`, `canI('get', '/healthz')` for a non-resource URL. */
  canI(verb: string, resource: string, options: Omit<AccessQuestion, 'verb' | 'resource' | 'nonResourceURL'> = {}): Promise<AccessAnswer> {
    if (resource.startsWith('/')) return canI(this.#transport, { verb, nonResourceURL: resource });
    const [plural, ...group] = resource.split('.');
    return canI(this.#transport, {
      ...options, verb, resource: plural, group: options.group ?? group.join('.'), namespace: options.namespace ?? this.info.namespace,
    });
  }

  rules(namespace = this.info.namespace): Promise<RulesAnswer> {
    return rulesReview(this.#transport, namespace);
  }

  /** Ends this client's requests, watches and informers, and releases the shared pool when no other client uses it. */
  async close(): Promise<void> {
    if (this.#transport.closed) return;
    this.#transport.close();
    await Promise.all([...this.#informers].map((i) => i.stop()));
    await this.#release();
  }
}
