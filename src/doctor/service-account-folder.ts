// 2. The service-account folder: token, ca.crt and namespace present and
// readable, and what their absence usually means
// (automountServiceAccountToken: false).
import type { FolderFile } from '../credentials/service-account-folder.js';
import { readServiceAccountFolder } from '../credentials/service-account-folder.js';
import { type DoctorCheck, fail, pass, skip, warn } from './check.js';
import { describeCertificate, pemCertificates } from './certificates.js';

export const serviceAccountFolderCheck: DoctorCheck = {
  id: 'service-account',
  title: 'The service-account folder',
  async run(ctx) {
    const { connection, serviceAccountDir: dir, serviceAccountDirGiven } = ctx.inputs;
    const used = connection ? connection.source === 'in-cluster' : ctx.facts.inPod;
    const folder = (ctx.facts.folder ??= readServiceAccountFolder(dir));
    if (!used && !serviceAccountDirGiven) {
      if (connection) return skip(`not used: the connection comes from ${connection.description}`);
      if (!folder.exists) return skip(`not in a pod (KUBERNETES_SERVICE_HOST is unset) and no folder at ${dir}`);
    }
    const automount = `the kubelet mounts token, ca.crt and namespace at ${dir} unless automountServiceAccountToken is false on the Pod or its ServiceAccount`;
    if (!folder.exists) {
      return fail(`no service-account folder at ${dir} (${folder.error ?? 'missing'})`,
        `set automountServiceAccountToken: true on the Pod (or its ServiceAccount), or mount a projected serviceAccountToken volume with token, ca.crt and namespace at ${dir}`,
        [automount]);
    }
    if (!folder.isDirectory) return fail(`${dir} is not a folder`, `point --service-account-dir at the folder holding token, ca.crt and namespace`);

    const problem = (file: FolderFile, what: string) => (file.present
      ? `${what} ${file.path} cannot be read: ${file.error}`
      : `${what} ${file.path} is missing`);
    const details: string[] = [];
    if (!folder.token.readable || !folder.token.text) {
      const summary = folder.token.readable ? `the token file ${folder.token.path} is empty` : problem(folder.token, 'the token file');
      const fix = folder.token.error === 'permission denied'
        ? 'let the container user read it: set the pod\'s securityContext.fsGroup, or the projected volume\'s defaultMode'
        : 'mount the service-account token (automountServiceAccountToken: true, or a projected serviceAccountToken volume)';
      return fail(summary, fix, [automount]);
    }
    if (!folder.caCrt.readable) {
      return fail(problem(folder.caCrt, 'ca.crt'), 'mount ca.crt beside the token (the kube-root-ca.crt ConfigMap in a projected volume); without it the API server cannot be verified');
    }
    const certs = pemCertificates(folder.caCrt.text ?? '');
    if (certs.length === 0) return fail(`${folder.caCrt.path} holds no PEM certificate`, 'mount the cluster CA (the kube-root-ca.crt ConfigMap) as ca.crt');
    const now = ctx.now();
    for (const cert of certs) details.push(`ca.crt: ${describeCertificate(cert)}`);
    const expired = certs.filter((c) => new Date(c.validTo).getTime() < now);
    if (expired.length === certs.length) {
      return fail(`every certificate in ${folder.caCrt.path} has expired`, 'the cluster CA was rotated: restart the pod so the kubelet mounts the current kube-root-ca.crt', details);
    }
    details.push(folder.kubeletManaged
      ? 'kept current by the kubelet (a ..data symlink swapped atomically): re-read the files, do not cache them forever'
      : 'not the kubelet\'s atomic-writer layout (no ..data): nothing rotates these files');
    const namespace = folder.namespace.readable && folder.namespace.text ? folder.namespace.text : undefined;
    if (!namespace) {
      return warn(`token and ca.crt in ${dir}, but ${folder.namespace.present ? 'the namespace file is empty or unreadable' : 'no namespace file'}`,
        'mount the namespace file too (or set POD_NAMESPACE from the Downward API); clients fall back to "default"', details);
    }
    return pass(`token, ca.crt and namespace (${namespace}) in ${dir}`, details);
  },
};
