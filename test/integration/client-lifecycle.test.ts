// Closing a client ends what it started: open watches and informers stop at
// once, and close() does not wait for a server-side watch timeout.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect } from '../../src/index.js';
import { type ControlPlane, startControlPlane } from '../../tools/control-plane/index.js';

describe('client lifecycle', () => {
  let cp: ControlPlane;
  before(async () => { cp = await startControlPlane(); });
  after(async () => { await cp?.stop(); });

  it('close() with an informer and a raw watch open returns promptly and stops both', async () => {
    const kube = await connect({ kubeconfig: cp.adminKubeconfig });
    const informer = await kube.informer('v1', 'ConfigMap', { namespace: 'default' });
    const cms = await kube.resource('v1', 'ConfigMap');
    const watch = cms.watch({ namespace: 'default' });
    const consumed = (async () => { try { for await (const _ of watch) { /* drain */ } return 'ended'; } catch { return 'ended'; } })();
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await kube.close();
    assert.ok(Date.now() - started < 3000, `close() took ${Date.now() - started} ms`);
    assert.equal(await Promise.race([consumed, new Promise((r) => setTimeout(() => r('still watching'), 2000))]), 'ended');
    const watches = informer.stats.watches;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(informer.stats.watches, watches, 'the informer made no new watch after close()');
    await assert.rejects(kube.get('v1', 'ConfigMap', 'x'));
  });
});
