// The issue's targets, checked against the figures of the same run: most as a
// ratio of kube-ambassador (bundle) to kubectl proxy on medians, the latency a
// proxy adds to a watch event as an absolute figure.
import { format, median, type Metric, ratio, type Scenario, type Unit } from './report.js';

export interface TargetSpec {
  id: string;
  /** What the issue asks, in words. */
  text: string;
  scenario: string;
  metric: string;
  /** ratio: bundle ÷ kubectl; absolute: the bundle's median itself, in the metric's unit. */
  compare: 'ratio' | 'absolute';
  operator: '≤' | '≥';
  limit: number;
}

export type TargetStatus = 'met' | 'missed' | 'not measured';

export interface TargetResult extends TargetSpec {
  scenarioTitle: string | null;
  metricName: string | null;
  unit: Unit | null;
  kubectl: number | null;
  ours: number | null;
  /** The ratio, or the absolute figure, that is compared with limit. */
  reached: number | null;
  status: TargetStatus;
}

/** The targets, with a row per small-GET connection count that ran (16 and 64 when none did). */
export function targetSpecs(scenarios: Scenario[], watches: number): TargetSpec[] {
  const n = watches.toLocaleString('en-US');
  const ran = scenarios.map((s) => /^small-get-c(\d+)$/.exec(s.id)?.[1]).filter((c): c is string => c !== undefined);
  const connections = ran.length ? ran : ['16', '64'];
  const specs: TargetSpec[] = [];
  for (const c of connections) {
    specs.push({ id: `small-get-c${c}-cpu`, text: `CPU per small GET (${c} connections) ≤ 0.7× kubectl`, scenario: `small-get-c${c}`, metric: 'cpu-per-request', compare: 'ratio', operator: '≤', limit: 0.7 });
  }
  for (const c of connections) {
    specs.push({ id: `small-get-c${c}-throughput`, text: `small-GET throughput (${c} connections) ≥ 1.3× kubectl`, scenario: `small-get-c${c}`, metric: 'throughput', compare: 'ratio', operator: '≥', limit: 1.3 });
  }
  specs.push(
    { id: 'large-list-throughput', text: 'large-LIST throughput (uncompressed upstream) ≥ 1.0× kubectl', scenario: 'large-list', metric: 'throughput', compare: 'ratio', operator: '≥', limit: 1.0 },
    { id: 'gzip-list-throughput', text: 'large-LIST throughput (gzip from upstream) ≥ 1.0× kubectl', scenario: 'gzip-list', metric: 'throughput', compare: 'ratio', operator: '≥', limit: 1.0 },
    { id: 'watch-added-p99', text: 'proxy-added watch latency p99 ≤ 1 ms (1 watch)', scenario: 'watch-latency', metric: 'added-p99', compare: 'absolute', operator: '≤', limit: 1 },
    { id: 'watch-added-p99-loaded', text: `proxy-added watch latency p99 ≤ 1 ms (${n} other watches open)`, scenario: 'watch-latency-loaded', metric: 'added-p99', compare: 'absolute', operator: '≤', limit: 1 },
    { id: 'open-watches-rss', text: `RSS with ${n} open watches ≤ 1.0× kubectl`, scenario: 'open-watches', metric: 'rss-open-watches', compare: 'ratio', operator: '≤', limit: 1.0 },
    { id: 'idle-rss', text: 'idle RSS ≤ 1.0× kubectl', scenario: 'startup', metric: 'idle-rss', compare: 'ratio', operator: '≤', limit: 1.0 },
    { id: 'startup-first-200', text: 'start-up to first 200 ≤ 1.0× kubectl', scenario: 'startup', metric: 'first-200', compare: 'ratio', operator: '≤', limit: 1.0 },
  );
  // The same small-GET and LIST targets against the real API server, when that scenario ran.
  if (scenarios.some((s) => s.id.startsWith('apiserver-'))) {
    specs.push(
      { id: 'apiserver-get-cpu', text: 'kube-apiserver: CPU per small GET ≤ 0.7× kubectl', scenario: 'apiserver-get', metric: 'cpu-per-request', compare: 'ratio', operator: '≤', limit: 0.7 },
      { id: 'apiserver-get-throughput', text: 'kube-apiserver: small-GET throughput ≥ 1.3× kubectl', scenario: 'apiserver-get', metric: 'throughput', compare: 'ratio', operator: '≥', limit: 1.3 },
      { id: 'apiserver-list-throughput', text: 'kube-apiserver: LIST throughput ≥ 1.0× kubectl', scenario: 'apiserver-list', metric: 'throughput', compare: 'ratio', operator: '≥', limit: 1.0 },
    );
  }
  return specs;
}

/** watches: how many watches the open-watches and loaded watch-latency scenarios held (--watches). */
export function evaluateTargets(scenarios: Scenario[], watches: number): TargetResult[] {
  return targetSpecs(scenarios, watches).map((spec) => {
    const scenario = scenarios.find((s) => s.id === spec.scenario);
    const m: Metric | undefined = scenario?.metrics.find((x) => x.id === spec.metric);
    const med = (values: number[] | undefined) => (values?.length ? median(values) : null);
    const kubectl = med(m?.values.kubectl);
    const ours = med(m?.values.bundle);
    let reached: number | null = null;
    if (m && spec.compare === 'ratio') {
      const r = m.kind === 'ratio' ? ratio(m) : Number.NaN;
      reached = Number.isFinite(r) ? r : null;
    } else if (m) {
      reached = ours;
    }
    const status: TargetStatus = reached === null ? 'not measured'
      : (spec.operator === '≤' ? reached <= spec.limit : reached >= spec.limit) ? 'met' : 'missed';
    return { ...spec, scenarioTitle: scenario?.title ?? null, metricName: m?.name ?? null, unit: m?.unit ?? null, kubectl, ours, reached, status };
  });
}

export function renderTargets(results: TargetResult[], metricOf: (t: TargetResult) => Metric | undefined): string {
  const lines = [
    '| target | reached | kubectl proxy | kube-ambassador (bundle) | status |',
    '|---|--:|--:|--:|---|',
  ];
  for (const t of results) {
    const m = metricOf(t);
    const value = (n: number | null) => (n === null || !m ? '–' : format(m, n));
    const reached = t.reached === null ? '–' : t.compare === 'ratio' ? `${t.reached.toFixed(2)}×` : value(t.reached);
    const status = t.status === 'met' ? 'met' : t.status === 'missed' ? '**missed**' : 'not measured';
    lines.push(`| ${t.text} | ${reached} | ${value(t.kubectl)} | ${value(t.ours)} | ${status} |`);
  }
  const met = results.filter((t) => t.status === 'met').length;
  const measured = results.filter((t) => t.status !== 'not measured').length;
  lines.push('', `${met} of ${measured} measured targets met${measured < results.length ? ` (${results.length - measured} not measured in this run)` : ''}. Ratios are kube-ambassador (bundle) ÷ kubectl proxy on the medians of this run; the watch targets are the bundle's own added latency (proxied − direct in the same window).`);
  return `${lines.join('\n')}\n`;
}

/** The metric a target reads, for formatting. */
export function targetMetric(scenarios: Scenario[], t: TargetSpec): Metric | undefined {
  return scenarios.find((s) => s.id === t.scenario)?.metrics.find((m) => m.id === t.metric);
}
