// Which pod am I (src/podinfo/locate.ts podIdentity): flags, then the
// Downward API's environment, then the hostname and the client's namespace.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { podIdentity } from '../../src/podinfo/locate.js';

describe('podIdentity', () => {
  const base = { env: {}, hostname: 'host-1', clientNamespace: 'sa-ns' };

  it('the hostname and the client\'s namespace when nothing else is given', () => {
    assert.deepEqual(podIdentity(base), { namespace: 'sa-ns', name: 'host-1', nameFrom: 'hostname' });
  });

  it('POD_NAME and POD_NAMESPACE from the Downward API come next', () => {
    assert.deepEqual(podIdentity({ ...base, env: { POD_NAME: 'web-0', POD_NAMESPACE: 'shop' } }), { namespace: 'shop', name: 'web-0', nameFrom: 'POD_NAME' });
  });

  it('--pod-name and -n win', () => {
    assert.deepEqual(podIdentity({ ...base, podNameFlag: 'web-1', namespaceFlag: 'other', env: { POD_NAME: 'web-0', POD_NAMESPACE: 'shop' } }),
      { namespace: 'other', name: 'web-1', nameFrom: '--pod-name' });
  });

  it('empty variables count as not set', () => {
    assert.deepEqual(podIdentity({ ...base, env: { POD_NAME: '', POD_NAMESPACE: '' } }), { namespace: 'sa-ns', name: 'host-1', nameFrom: 'hostname' });
  });
});
