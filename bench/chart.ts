// The summary as a picture: one horizontal bar per metric, kube-ambassador
// (bundle) ÷ kubectl proxy on a log scale around a line at 1.0, green where
// ours is better, red where it is worse, grey within 5%; a black mark where
// the issue sets a target for that metric. Hand-written SVG, no dependencies.
import { metricVerdict, ratio, type Scenario, summaryRows, verdictKind } from './report.js';
import type { TargetResult } from './targets.js';

const colours = { better: '#2e7d32', worse: '#c62828', 'on par': '#9e9e9e', unknown: '#9e9e9e' } as const;

const width = 1100;
const labelWidth = 330;
const plotLeft = labelWidth + 10;
const plotRight = width - 190;
const rowHeight = 22;
const groupHeight = 26;
const top = 78;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** 1-2-5 ticks covering [lo, hi]. */
function ticks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)) + 1; e++) {
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** e;
      if (t >= lo * 0.999 && t <= hi * 1.001) out.push(Number(t.toPrecision(3)));
    }
  }
  return out;
}

function tickLabel(t: number): string {
  return `${t}×`;
}

export function renderChart(scenarios: Scenario[], targets: TargetResult[], subtitle: string): string {
  const rows = summaryRows(scenarios).filter(({ metric }) => metric.kind === 'ratio' && Number.isFinite(ratio(metric)) && ratio(metric) > 0);
  const ratios = rows.map(({ metric }) => ratio(metric));
  const targetRatios = targets.filter((t) => t.compare === 'ratio' && rows.some((r) => r.scenario.id === t.scenario && r.metric.id === t.metric)).map((t) => t.limit);
  const all = [...ratios, ...targetRatios];
  // A domain from the nearest 1-2-5 step below the smallest bar to the one above the largest, never narrower than ½× to 2×.
  const snapDown = (v: number) => ticks(v / 10, v).filter((t) => t <= v).pop() ?? v;
  const snapUp = (v: number) => ticks(v, v * 10).find((t) => t >= v) ?? v;
  const lo = snapDown(Math.min(0.5, ...all.map((r) => r / 1.1)));
  const hi = snapUp(Math.max(2, ...all.map((r) => r * 1.1)));
  const x = (r: number) => plotLeft + ((Math.log10(r) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (plotRight - plotLeft);

  const groups: Array<{ title: string; rows: typeof rows }> = [];
  for (const row of rows) {
    const last = groups[groups.length - 1];
    if (last?.title === row.scenario.title) last.rows.push(row);
    else groups.push({ title: row.scenario.title, rows: [row] });
  }
  const differences = summaryRows(scenarios).filter(({ metric }) => metric.kind === 'difference');
  const plotBottom = top + groups.length * groupHeight + rows.length * rowHeight + 20;
  const height = plotBottom + (differences.length ? 70 : 50);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="bold">kube-ambassador ÷ kubectl proxy, same run (log scale)</text>`,
    `<text x="16" y="44" fill="#444">${escapeXml(subtitle)}</text>`,
  );
  // Legend.
  const legend: Array<[string, string]> = [[colours.better, 'ours better'], [colours.worse, 'ours worse'], [colours['on par'], 'on par (within 5%)']];
  let lx = 16;
  for (const [colour, text] of legend) {
    out.push(`<rect x="${lx}" y="54" width="12" height="12" fill="${colour}"/>`, `<text x="${lx + 17}" y="64">${text}</text>`);
    lx += 30 + text.length * 6.5;
  }
  out.push(`<line x1="${lx}" y1="53" x2="${lx}" y2="67" stroke="#000" stroke-width="3"/>`, `<text x="${lx + 8}" y="64">target set by the issue (≥ or ≤ that ratio)</text>`);
  lx += 280;
  out.push(`<text x="${lx}" y="64" fill="#444">↑ higher is better · ↓ lower is better</text>`);

  const plotTop = top;
  for (const t of ticks(lo, hi)) {
    const tx = x(t).toFixed(1);
    const one = Math.abs(t - 1) < 1e-9;
    out.push(`<line x1="${tx}" y1="${plotTop}" x2="${tx}" y2="${plotBottom}" stroke="${one ? '#000' : '#e0e0e0'}" stroke-width="${one ? 1.5 : 1}"/>`);
    out.push(`<text x="${tx}" y="${plotBottom + 16}" text-anchor="middle" fill="${one ? '#000' : '#666'}">${tickLabel(t)}</text>`);
  }
  out.push(`<text x="${((plotLeft + plotRight) / 2).toFixed(1)}" y="${plotBottom + 34}" text-anchor="middle" fill="#444">kube-ambassador (bundle) median ÷ kubectl proxy median</text>`);

  let y = plotTop;
  for (const group of groups) {
    y += groupHeight;
    // A white halo keeps the title legible where it crosses the grid.
    out.push(`<text x="16" y="${y - 8}" font-weight="bold" stroke="#ffffff" stroke-width="4" paint-order="stroke">${escapeXml(group.title)}</text>`);
    for (const { scenario, metric } of group.rows) {
      const r = ratio(metric);
      const kind = verdictKind(metric);
      const barTop = y + 4;
      const x1 = x(1);
      const x2 = x(r);
      const arrow = metric.better === 'higher' ? '↑' : '↓';
      out.push(`<text x="${labelWidth}" y="${y + 15}" text-anchor="end">${escapeXml(`${metric.name} ${arrow}`)}</text>`);
      out.push(`<rect x="${Math.min(x1, x2).toFixed(1)}" y="${barTop}" width="${Math.max(1, Math.abs(x2 - x1)).toFixed(1)}" height="${rowHeight - 8}" fill="${colours[kind]}"><title>${escapeXml(`${scenario.title}: ${metric.name}: ${r.toFixed(2)}× (${metricVerdict(metric).replace(/\*\*/g, '')})`)}</title></rect>`);
      const target = targets.find((t) => t.compare === 'ratio' && t.scenario === scenario.id && t.metric === metric.id);
      if (target) {
        const tx = x(target.limit).toFixed(1);
        out.push(`<line x1="${tx}" y1="${barTop - 3}" x2="${tx}" y2="${barTop + rowHeight - 5}" stroke="#000" stroke-width="3"><title>target ${target.operator} ${target.limit}×</title></line>`);
      }
      const verdictText = metricVerdict(metric).replace(/\*\*/g, '').replace(/^ours /, '').replace(/ \(within 5%\)$/, '');
      out.push(`<text x="${plotRight + 10}" y="${y + 15}" fill="${colours[kind]}">${escapeXml(`${r >= 10 ? r.toFixed(0) : r.toFixed(2)}× ${verdictText}`)}</text>`);
      y += rowHeight;
    }
  }
  if (differences.length) {
    const names = [...new Set(differences.map(({ metric }) => metric.name.replace(/ \(.*\)$/, '')))].join('; ');
    out.push(`<text x="16" y="${height - 10}" fill="#444">Not drawn (differences, not ratios; see the report's Targets and Summary): ${escapeXml(names)}.</text>`);
  }
  out.push('</svg>', '');
  return out.join('\n');
}
