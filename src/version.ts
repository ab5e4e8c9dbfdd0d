// Kept in step with package.json's version (a unit test checks).
export const version = '0.1.0';

const goArch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };

/** Sent when a client gives none, in the shape kubectl's own User-Agent has. */
export function defaultUserAgent(command = 'kube-ambassador'): string {
  return `${command}/v${version} (${process.platform}/${goArch[process.arch] ?? process.arch}) node/${process.version}`;
}
