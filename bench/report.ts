// Results as Markdown: one table per scenario, each metric as median (range)
// over the repetitions, and ours ÷ kubectl with which way is better stated.

export type Column = 'nginx' | 'direct' | 'kubectl' | 'bundle' | 'build';

export const columnLabels: Record<Column, string> = {
  nginx: 'nginx directly (ceiling)',
  direct: 'direct to upstream',
  kubectl: 'kubectl proxy',
  bundle: 'kube-ambassador (bundle)',
  build: 'kube-ambassador (tsc build)',
};

const columnOrder: Column[] = ['nginx', 'direct', 'kubectl', 'bundle', 'build'];

export interface Metric {
  name: string;
  better: 'higher' | 'lower';
  format: (value: number) => string;
  values: Partial<Record<Column, number[]>>;
}

export interface Scenario {
  id: string;
  title: string;
  /** What was done, one short paragraph. */
  method: string;
  metrics: Metric[];
  notes: string[];
}

export function metric(name: string, better: 'higher' | 'lower', format: (value: number) => string): Metric {
  return { name, better, format, values: {} };
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

/** ours (the bundle) ÷ kubectl, on medians. */
export function ratio(m: Metric, ours: Column = 'bundle'): number {
  const a = m.values[ours];
  const k = m.values.kubectl;
  if (!a?.length || !k?.length) return Number.NaN;
  return median(a) / median(k);
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

export function cell(m: Metric, column: Column): string {
  const values = m.values[column];
  if (!values?.length) return '–';
  const mid = m.format(median(values));
  if (values.length === 1) return mid;
  const lo = m.format(Math.min(...values));
  const hi = m.format(Math.max(...values));
  return lo === hi ? mid : `${mid} (${lo}–${hi})`;
}

export function renderScenario(s: Scenario): string {
  const present = columnOrder.filter((c) => s.metrics.some((m) => m.values[c]?.length));
  const header = ['metric', ...present.map((c) => columnLabels[c]), 'ours ÷ kubectl', 'verdict'];
  const rows = s.metrics.map((m) => {
    const r = ratio(m);
    const arrow = m.better === 'higher' ? '↑ higher is better' : '↓ lower is better';
    return [`${m.name} (${arrow})`, ...present.map((c) => cell(m, c)), Number.isFinite(r) ? `${r.toFixed(2)}×` : '–', verdict(r, m.better)];
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

/** One line per metric, for the summary at the top: scenario, metric, kubectl, ours, ratio, verdict. */
export function renderSummary(scenarios: Scenario[]): string {
  const lines = [
    '| scenario | metric | kubectl proxy | kube-ambassador (bundle) | ours ÷ kubectl | verdict |',
    '|---|---|--:|--:|--:|---|',
  ];
  for (const s of scenarios) {
    for (const m of s.metrics) {
      if (!m.values.kubectl?.length || !m.values.bundle?.length) continue;
      const arrow = m.better === 'higher' ? '↑' : '↓';
      const r = ratio(m);
      lines.push(`| ${s.title} | ${m.name} ${arrow} | ${m.format(median(m.values.kubectl))} | ${m.format(median(m.values.bundle))} | ${r.toFixed(2)}× | ${verdict(r, m.better)} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export const fmt = {
  int: (n: number) => Math.round(n).toLocaleString('en-US'),
  ms: (n: number) => (n >= 100 ? `${Math.round(n)} ms` : n >= 10 ? `${n.toFixed(1)} ms` : `${n.toFixed(2)} ms`),
  us: (n: number) => `${Math.round(n)} µs`,
  mb: (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`,
  rate: (n: number) => (n >= 1000 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1)),
};
