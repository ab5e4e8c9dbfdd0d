// A podinfo failure a person can act on, in one line: the pod is not there,
// a permission is missing (and which rule grants it), the node never came.
export class PodInfoError extends Error {
  override name = 'PodInfoError';
}
