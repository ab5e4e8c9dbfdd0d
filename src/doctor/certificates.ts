// Reading certificates for people: the certificates in a PEM bundle, a
// subject on one line, the names a serving certificate is valid for. Pure.
import { X509Certificate } from 'node:crypto';

export function pemCertificates(pem: string | Buffer): X509Certificate[] {
  const text = typeof pem === 'string' ? pem : pem.toString('latin1');
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const out: X509Certificate[] = [];
  for (const block of blocks) {
    try {
      out.push(new X509Certificate(block));
    } catch {
      // a damaged block: left out, the caller sees fewer certificates
    }
  }
  return out;
}

/** "CN=kube-apiserver\nO=x" → "CN=kube-apiserver, O=x". */
export function oneLine(distinguishedName: string | undefined): string {
  return (distinguishedName ?? '').split('\n').filter(Boolean).join(', ');
}

/** The subjectAltName extension as "DNS:x" and "IP:y" entries. */
export function subjectAltNames(extension: string | undefined): string[] {
  if (!extension) return [];
  return extension.split(/,\s*/).filter(Boolean).map((n) => n.replace(/^IP Address:/, 'IP:'));
}

export function describeCertificate(cert: X509Certificate): string {
  return `${oneLine(cert.subject)} (valid until ${new Date(cert.validTo).toISOString().replace(/\.\d{3}Z$/, 'Z')})`;
}
