// Who the API server thinks we are, and what it lets us do:
// SelfSubjectReview, SelfSubjectAccessReview, SelfSubjectRulesReview.
import type { ApiTransport } from './api-transport.js';

export interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface AccessQuestion {
  verb: string;
  /** Plural resource name, e.g. "pods"; omit for a non-resource URL. */
  resource?: string;
  group?: string;
  subresource?: string;
  name?: string;
  namespace?: string;
  /** For non-resource requests such as "/healthz". */
  nonResourceURL?: string;
}

export interface AccessAnswer {
  allowed: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

export interface RulesAnswer {
  resourceRules: { verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[] }[];
  nonResourceRules: { verbs: string[]; nonResourceURLs?: string[] }[];
  incomplete: boolean;
  evaluationError?: string;
}

export async function whoami(transport: ApiTransport): Promise<UserInfo> {
  const review = await transport.requestJson<{ status?: { userInfo?: UserInfo } }>({
    method: 'POST', path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
  });
  return review.status?.userInfo ?? {};
}

export async function canI(transport: ApiTransport, q: AccessQuestion): Promise<AccessAnswer> {
  const spec = q.nonResourceURL
    ? { nonResourceAttributes: { path: q.nonResourceURL, verb: q.verb } }
    : { resourceAttributes: { verb: q.verb, resource: q.resource, group: q.group ?? '', subresource: q.subresource, name: q.name, namespace: q.namespace } };
  const review = await transport.requestJson<{ status?: AccessAnswer }>({
    method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec },
  });
  return { allowed: review.status?.allowed === true, denied: review.status?.denied, reason: review.status?.reason, evaluationError: review.status?.evaluationError };
}

export async function rulesReview(transport: ApiTransport, namespace: string): Promise<RulesAnswer> {
  const review = await transport.requestJson<{ status?: Partial<RulesAnswer> }>({
    method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace } },
  });
  return {
    resourceRules: review.status?.resourceRules ?? [], nonResourceRules: review.status?.nonResourceRules ?? [],
    incomplete: review.status?.incomplete === true, evaluationError: review.status?.evaluationError,
  };
}
