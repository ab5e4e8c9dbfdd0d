// Placeholder until the generated interfaces land (tools/gen-types).
import type { KubeObject } from '../objects.js';

/** apiVersion → kind → object interface, for typed client calls. */
export interface KindMap {
  [apiVersion: string]: { [kind: string]: KubeObject };
}
