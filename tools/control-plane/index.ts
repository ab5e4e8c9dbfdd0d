export {
  startControlPlane,
  type ApiResponse,
  type ClusterAdmin,
  type ControlPlane,
  type ControlPlaneOptions,
  type KubeObject,
  type MintTokenOptions,
  type PolicyRule,
  type Request,
  type RequestOptions,
  type ServiceAccountFolder,
} from './control-plane.js';
export { controlPlaneBinariesIn, findControlPlaneBinaries, repositoryRoot, type ControlPlaneBinaries } from './binaries.js';
export { createPki, servingSubjectAltNames, type ControlPlanePki } from './pki.js';
