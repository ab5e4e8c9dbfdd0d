// --can VERB[,VERB…]:RESOURCE[/SUBRESOURCE][:NAMESPACE] (src/rbac/needs.ts),
// the syntax doctor and rbac share.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NeedError, parseNeed, sortVerbs } from '../../src/rbac/needs.js';

describe('parseNeed', () => {
  const rows: { text: string; want: Record<string, unknown> }[] = [
    { text: 'get:pods', want: { verbs: ['get'], resource: 'pods', subresource: undefined, namespace: undefined } },
    { text: 'get,list,watch:pods:ns1', want: { verbs: ['get', 'list', 'watch'], resource: 'pods', namespace: 'ns1' } },
    { text: 'GET,List:Pods', want: { verbs: ['get', 'list'], resource: 'pods' } },
    { text: 'get:pods/log:ns1', want: { resource: 'pods', subresource: 'log', namespace: 'ns1' } },
    { text: 'list:deployments.apps:*', want: { resource: 'deployments.apps', namespace: '*' } },
    { text: 'get,get:cm', want: { verbs: ['get'], resource: 'cm' } },
    { text: 'get:pods:', want: { namespace: undefined } },
    { text: 'get:/healthz', want: { verbs: ['get'], resource: '', nonResourceURL: '/healthz' } },
    { text: 'post:/metrics/reset', want: { verbs: ['post'], nonResourceURL: '/metrics/reset' } },
  ];
  for (const row of rows) {
    test(row.text, () => {
      const need = parseNeed(row.text);
      for (const [key, value] of Object.entries(row.want)) assert.deepEqual(need[key as keyof typeof need], value, key);
      assert.equal(need.origin, `--can ${row.text}`);
    });
  }

  const bad: { text: string; message: RegExp }[] = [
    { text: 'pods', message: /no verb/ },
    { text: ':pods', message: /no verb/ },
    { text: 'get:', message: /no resource/ },
    { text: 'get,:pods', message: /empty verb/ },
    { text: 'read:pods', message: /"read" is not a Kubernetes API verb/ },
    { text: 'list:/healthz', message: /not a verb for a non-resource URL/ },
    { text: 'get:pods:ns1:extra', message: /too many ":"/ },
    { text: 'get:pods/log/x', message: /is not RESOURCE or RESOURCE\/SUBRESOURCE/ },
    { text: 'get:pods/', message: /is not RESOURCE or RESOURCE\/SUBRESOURCE/ },
    { text: 'get:pods:Bad_NS', message: /not a namespace name/ },
  ];
  for (const row of bad) {
    test(`refuses ${row.text}`, () => assert.throws(() => parseNeed(row.text), (err: Error) => err instanceof NeedError && row.message.test(err.message)));
  }

  test('an error shows the syntax with an example', () => {
    assert.throws(() => parseNeed('pods'), /VERB\[,VERB…\]:RESOURCE\[\/SUBRESOURCE\]\[:NAMESPACE\], e\.g\. get,list,watch:pods:my-namespace/);
  });
});

describe('sortVerbs', () => {
  test('reading order, duplicates dropped, unknown ones last', () => {
    assert.deepEqual(sortVerbs(['delete', 'watch', 'get', 'custom', 'list', 'get', 'create']), ['get', 'list', 'watch', 'create', 'delete', 'custom']);
  });
});
