export { startControlPlane, type ControlPlane, type ControlPlaneOptions } from './control-plane.js';
export {
  type ApiResponse,
  type ClusterAdmin,
  type KubeObject,
  type MintTokenOptions,
  type PolicyRule,
  type Request,
  type RequestOptions,
  type ServiceAccountFolder,
} from './cluster-admin.js';
export { controlPlaneBinariesIn, findControlPlaneBinaries, repositoryRoot, type ControlPlaneBinaries } from './binaries.js';
export { createPki, servingSubjectAltNames, type ControlPlanePki } from './pki.js';
