// Whether the identity we run as already has every need: one
// SelfSubjectAccessReview per verb of every need, asked all at once.
import type { KubeClient } from '../client/kube-client.js';
import { describeAccess, type ResolvedNeed } from './resources.js';

export interface AccessCheck {
  need: ResolvedNeed;
  verb: string;
  /** "get pods/log in ns1". */
  access: string;
  allowed: boolean;
  /** The authorizer's words, when it gave any. */
  reason?: string;
  evaluationError?: string;
}

export async function checkNeeds(client: KubeClient, needs: ResolvedNeed[], signal?: AbortSignal): Promise<AccessCheck[]> {
  const questions = needs.flatMap((need) => need.verbs.map((verb) => ({ need, verb })));
  return Promise.all(questions.map(async ({ need, verb }): Promise<AccessCheck> => {
    signal?.throwIfAborted();
    const answer = need.nonResourceURL !== undefined
      ? await client.canI(verb, need.nonResourceURL)
      : await client.canI(verb, need.resource, {
        group: need.group, namespace: need.namespace, subresource: need.subresource, name: need.resourceName,
      });
    return {
      need, verb, access: describeAccess(need, verb), allowed: answer.allowed,
      reason: answer.reason || undefined, evaluationError: answer.evaluationError || undefined,
    };
  }));
}
