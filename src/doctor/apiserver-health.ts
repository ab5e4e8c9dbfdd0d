// 6. The API server itself: /livez, /readyz (with the failing checks) and
// /version. Asked anonymously first — every cluster lets anyone read them
// (system:public-info-viewer) — so a bad token cannot hide a healthy server;
// with our credentials when anonymous requests are turned off.
import { KubeApiError } from '../client/errors.js';
import type { KubeClient } from '../client/kube-client.js';
import { type DoctorCheck, fail, pass, skip, warn } from './check.js';

interface Answer {
  status?: number;
  body: string;
  error?: string;
}

async function get(client: KubeClient, path: string): Promise<Answer> {
  try {
    const res = await client.request({ method: 'GET', path, accept: 'application/json, text/plain, */*' });
    return { status: res.status, body: res.body };
  } catch (err) {
    if (err instanceof KubeApiError) return { status: err.code, body: err.status.message ?? '' };
    return { body: '', error: (err as Error).message };
  }
}

export const apiServerCheck: DoctorCheck = {
  id: 'apiserver',
  title: 'The API server: /livez, /readyz, /version',
  async run(ctx) {
    const target = ctx.facts.target;
    if (!target) return skip('no API server address (see locate)');
    if (!ctx.facts.tcp?.ok) return skip('no TCP connection (see tcp)');
    if (target.https && !ctx.facts.tls?.ok) return skip('no verified TLS connection (see tls)');

    const ask = async (client: KubeClient) => {
      const [livez, readyz, version] = await Promise.all([get(client, '/livez'), get(client, '/readyz?verbose'), get(client, '/version')]);
      return { livez, readyz, version };
    };
    let answers = await ask(ctx.anonymousClient());
    const details: string[] = ['asked anonymously, as any client may'];
    const refused = (a: Answer) => a.status === 401 || a.status === 403;
    if ([answers.livez, answers.readyz, answers.version].every(refused) && target.connection) {
      details[0] = `anonymous requests are refused (${answers.livez.status}); asked with our credentials`;
      answers = await ask(ctx.client());
    }
    const { livez, readyz, version } = answers;
    const transport = [livez, readyz, version].find((a) => a.error);
    if (transport) {
      ctx.facts.apiServerAnswered = false;
      return fail(`no answer: ${transport.error}`, 'the address answers TCP and TLS but not HTTP requests: check that it is the API server, and any proxy in between', details);
    }
    ctx.facts.apiServerAnswered = true;
    let gitVersion: string | undefined;
    if (version.status === 200) {
      try {
        const v = JSON.parse(version.body) as { gitVersion?: string; platform?: string };
        gitVersion = v.gitVersion;
        details.push(`version: ${v.gitVersion ?? '?'} (${v.platform ?? '?'})`);
      } catch {
        return fail('/version is not the Kubernetes API server\'s JSON', 'this address answers HTTP but is not the API server (another service, or a proxy page): check the address', details);
      }
    }
    const show = (name: string, a: Answer) => `${name} ${a.status === 200 ? 'ok' : `HTTP ${a.status}`}`;
    const summary = `${show('livez', livez)}, ${show('readyz', readyz)}${gitVersion ? `, ${gitVersion}` : ''}`;
    if ([livez, readyz, version].every(refused)) {
      return warn(`the server answers but refuses /livez, /readyz and /version (HTTP ${livez.status})`,
        'nothing to change here if authentication below fails too: fix that first; otherwise grant get on /livez, /readyz and /version (system:public-info-viewer)', details);
    }
    if (readyz.status !== 200) {
      const failing = readyz.body.split('\n').filter((l) => l.startsWith('[-]'));
      return fail(summary, 'the API server is not ready: see the failing checks (often etcd, or a webhook or aggregated API it waits for)', [...details, ...failing]);
    }
    if (livez.status !== 200 && !refused(livez)) {
      return fail(summary, 'the API server reports itself unhealthy (/livez): look at its logs', details);
    }
    return pass(summary, details);
  },
};
