// Results as Markdown: one table per scenario, each metric as median (range)
// over the repetitions, and ours ÷ kubectl with which way is better stated.
// The same figures as JSON (scenarioJson) for tools and for the chart.

export type Column = 'direct' | 'kubectl' | 'bundle' | 'build';

export const columnLabels: Record<Column, string> = {
  direct: 'direct to upstream',
  kubectl: 'kubectl proxy',
  bundle: 'kube-ambassador (bundle)',
  build: 'kube-ambassador (tsc build)',
};

const columnOrder: Column[] = ['direct', 'kubectl', 'bundle', 'build'];

/** What a recorded number is: ms and µs of time, bytes, a rate per second, or a count. */
export type Unit = 'ms' | 'µs' | 'bytes' | 'per-second' | 'count';

/**
 * ratio: ours ÷ kubectl is the comparison (most metrics). difference: the
 * figures are themselves differences that may be near zero or negative (the
 * latency a proxy adds), so ours − kubectl is the comparison and no ratio is given.
 */
export type MetricKind = 'ratio' | 'difference';

export interface Metric {
  /** Stable key for JSON and targets, unique within its scenario. */
  id: string;
  name: string;
  better: 'higher' | 'lower';
  unit: Unit;
  kind: MetricKind;
  values: Partial<Record<Column, number[]>>;
}

export interface Scenario {
  /** Stable key for JSON and targets. */
  id: string;
  title: string;
  /** What was done, one short paragraph. */
  method: string;
  metrics: Metric[];
  notes: string[];
  /** What the "direct" column is in this scenario (nginx, the watch upstream, kube-apiserver). */
  directLabel?: string;
}

export function metric(id: string, name: string, better: 'higher' | 'lower', unit: Unit, kind: MetricKind = 'ratio'): Metric {
  return { id, name, better, unit, kind, values: {} };
}

export function record(m: Metric, column: Column, value: number): void {
  (m.values[column] ??= []).push(value);
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const fmt = {
  int: (n: number) => Math.round(n).toLocaleString('en-US'),
  ms: (n: number) => {
    const a = Math.abs(n);
    return a >= 100 ? `${Math.round(n)} ms` : a >= 10 ? `${n.toFixed(1)} ms` : `${n.toFixed(2)} ms`;
  },
  us: (n: number) => `${Math.round(n)} µs`,
  mb: (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`,
  kb: (n: number) => `${Math.round(n / 1024).toLocaleString('en-US')} KB`,
  rate: (n: number) => (n >= 1000 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1)),
};

const formatters: Record<Unit, (n: number) => string> = {
  'ms': fmt.ms,
  'µs': fmt.us,
  'bytes': fmt.mb,
  'per-second': fmt.rate,
  'count': fmt.int,
};

export function format(m: Metric, value: number): string {
  return value < 0 ? `−${formatters[m.unit](-value)}` : formatters[m.unit](value);
}

/** A difference with its sign: +0.12 ms, −0.30 ms. */
function signed(m: Metric, value: number): string {
  const text = format(m, Math.abs(value));
  return `${value < 0 ? '−' : '+'}${text}`;
}

/** ours (the bundle) ÷ kubectl, on medians; NaN for difference metrics or when either is missing. */
export function ratio(m: Metric, ours: Column = 'bundle'): number {
  if (m.kind !== 'ratio') return Number.NaN;
  const a = m.values[ours];
  const k = m.values.kubectl;
  if (!a?.length || !k?.length) return Number.NaN;
  return median(a) / median(k);
}

/** ours (the bundle) − kubectl, on medians. */
export function difference(m: Metric, ours: Column = 'bundle'): number {
  const a = m.values[ours];
  const k = m.values.kubectl;
  if (!a?.length || !k?.length) return Number.NaN;
  return median(a) - median(k);
}

/** "ours better" or "ours WORSE" in words, for a ratio and the metric's direction. */
export function verdict(r: number, better: 'higher' | 'lower'): string {
  if (!Number.isFinite(r)) return '–';
  const change = Math.abs(r - 1);
  if (change < 0.05) return 'on par (within 5%)';
  const ours = better === 'higher' ? r > 1 : r < 1;
  const amount = r >= 2 || r <= 0.5
    ? (r >= 1 ? `${r.toFixed(1)}×` : `${(1 / r).toFixed(1)}× less`)
    : `${r > 1 ? '+' : '−'}${Math.round(change * 100)}%`;
  return ours ? `ours better (${amount})` : `**ours worse (${amount})**`;
}

/** Differences of less than this (in the metric's unit) count as on par. */
const differenceTolerance: Partial<Record<Unit, number>> = { 'ms': 0.1, 'µs': 100 };

export type Verdict = 'better' | 'worse' | 'on par' | 'unknown';

/** The verdict as a word, for JSON and the chart's colours. */
export function verdictKind(m: Metric): Verdict {
  if (m.kind === 'difference') {
    const d = difference(m);
    if (!Number.isFinite(d)) return 'unknown';
    if (Math.abs(d) < (differenceTolerance[m.unit] ?? 0)) return 'on par';
    return (m.better === 'lower' ? d < 0 : d > 0) ? 'better' : 'worse';
  }
  const r = ratio(m);
  if (!Number.isFinite(r)) return 'unknown';
  if (Math.abs(r - 1) < 0.05) return 'on par';
  return (m.better === 'higher' ? r > 1 : r < 1) ? 'better' : 'worse';
}

/** The verdict in words, for either kind of metric. */
export function metricVerdict(m: Metric): string {
  if (m.kind === 'ratio') return verdict(ratio(m), m.better);
  const d = difference(m);
  switch (verdictKind(m)) {
    case 'unknown': return '–';
    case 'on par': return `on par (within ${format(m, differenceTolerance[m.unit] ?? 0)})`;
    case 'better': return `ours better (${signed(m, d)})`;
    default: return `**ours worse (${signed(m, d)})**`;
  }
}

/** The comparison cell: "0.78×" for ratios, "ours − kubectl +0.12 ms" for differences. */
export function comparison(m: Metric): string {
  if (m.kind === 'difference') {
    const d = difference(m);
    return Number.isFinite(d) ? `${signed(m, d)} (ours − kubectl)` : '–';
  }
  const r = ratio(m);
  return Number.isFinite(r) ? `${r.toFixed(2)}×` : '–';
}

export function cell(m: Metric, column: Column): string {
  const values = m.values[column];
  if (!values?.length) return '–';
  const mid = format(m, median(values));
  if (values.length === 1) return mid;
  const lo = format(m, Math.min(...values));
  const hi = format(m, Math.max(...values));
  return lo === hi ? mid : `${mid} (${lo}–${hi})`;
}

function labelOf(s: Scenario, c: Column): string {
  return c === 'direct' ? (s.directLabel ?? columnLabels.direct) : columnLabels[c];
}

export function renderScenario(s: Scenario): string {
  const present = columnOrder.filter((c) => s.metrics.some((m) => m.values[c]?.length));
  const header = ['metric', ...present.map((c) => labelOf(s, c)), 'ours ÷ kubectl', 'verdict'];
  const rows = s.metrics.map((m) => {
    const arrow = m.better === 'higher' ? '↑ higher is better' : '↓ lower is better';
    return [`${m.name} (${arrow})`, ...present.map((c) => cell(m, c)), comparison(m), metricVerdict(m)];
  });
  const lines = [
    `### ${s.title}`,
    '',
    s.method,
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 || i === header.length - 1 ? '---' : '--:')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
  if (s.notes.length) lines.push('', ...s.notes.map((n) => `- ${n}`));
  return `${lines.join('\n')}\n`;
}

/** The metrics that have both kubectl and the bundle: the summary's rows, and the chart's bars. */
export function summaryRows(scenarios: Scenario[]): Array<{ scenario: Scenario; metric: Metric }> {
  const rows: Array<{ scenario: Scenario; metric: Metric }> = [];
  for (const scenario of scenarios) {
    for (const m of scenario.metrics) {
      if (m.values.kubectl?.length && m.values.bundle?.length) rows.push({ scenario, metric: m });
    }
  }
  return rows;
}

/** One line per metric, for the summary at the top: scenario, metric, kubectl, ours, ratio, verdict. */
export function renderSummary(scenarios: Scenario[]): string {
  const lines = [
    '| scenario | metric | kubectl proxy | kube-ambassador (bundle) | ours ÷ kubectl | verdict |',
    '|---|---|--:|--:|--:|---|',
  ];
  for (const { scenario: s, metric: m } of summaryRows(scenarios)) {
    const arrow = m.better === 'higher' ? '↑' : '↓';
    lines.push(`| ${s.title} | ${m.name} ${arrow} | ${format(m, median(m.values.kubectl!))} | ${format(m, median(m.values.bundle!))} | ${comparison(m)} | ${metricVerdict(m)} |`);
  }
  return `${lines.join('\n')}\n`;
}

// ---- JSON ----

export interface ColumnJson {
  label: string;
  median: number;
  min: number;
  max: number;
  /** Every repetition, in the order measured. */
  values: number[];
}

export interface MetricJson {
  id: string;
  name: string;
  unit: Unit;
  better: 'higher' | 'lower';
  kind: MetricKind;
  columns: Partial<Record<Column, ColumnJson>>;
  /** bundle ÷ kubectl on medians (null for difference metrics or when one is missing). */
  ratio: number | null;
  /** bundle − kubectl on medians, in unit. */
  difference: number | null;
  verdict: Verdict;
  verdictText: string;
}

export interface ScenarioJson {
  id: string;
  title: string;
  method: string;
  notes: string[];
  metrics: MetricJson[];
}

const finiteOrNull = (n: number): number | null => (Number.isFinite(n) ? n : null);

export function scenarioJson(s: Scenario): ScenarioJson {
  return {
    id: s.id,
    title: s.title,
    method: s.method,
    notes: s.notes,
    metrics: s.metrics.map((m) => {
      const columns: Partial<Record<Column, ColumnJson>> = {};
      for (const c of columnOrder) {
        const values = m.values[c];
        if (!values?.length) continue;
        columns[c] = { label: labelOf(s, c), median: median(values), min: Math.min(...values), max: Math.max(...values), values };
      }
      return {
        id: m.id,
        name: m.name,
        unit: m.unit,
        better: m.better,
        kind: m.kind,
        columns,
        ratio: finiteOrNull(ratio(m)),
        difference: finiteOrNull(difference(m)),
        verdict: verdictKind(m),
        verdictText: metricVerdict(m).replace(/\*\*/g, ''),
      };
    }),
  };
}
