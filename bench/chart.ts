/**
 * results.svg, hand-written SVG (no dependency): Sesam's throughput as a ratio to bare
 * oidc-provider for each protocol request (PG+Redis and embedded, the goals marked), the
 * throughput at 1, 2 and 4 worker processes, and a sign-in's server CPU against one argon2id
 * verification's.
 */
import { CPU_GOAL, RATIO_GOALS, type Results } from './results.js';
import { SCENARIOS } from './token-requests.js';

interface Bar {
  value: number;
  color: string;
  /** A goal mark on this bar (a short line at that value). */
  goal?: number;
}
interface Group {
  label: string;
  bars: Bar[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const finite = (v: number) => (Number.isFinite(v) ? v : 0);

/** One bar chart in the box (x, y, w, h): groups of bars from 0, a dashed reference line. */
function barChart(x: number, y: number, w: number, h: number, title: string, groups: Group[], reference?: { value: number; label: string }): string {
  const top = y + 28;
  const bottom = y + h - 34;
  const left = x + 10;
  const right = x + w - 10;
  const max = Math.max(reference?.value ?? 0, ...groups.flatMap((g) => g.bars.flatMap((b) => [finite(b.value), b.goal ?? 0]))) * 1.15 || 1;
  const yOf = (v: number) => bottom - ((bottom - top) * finite(v)) / max;
  const groupW = (right - left) / Math.max(groups.length, 1);
  const parts = [`<text x="${x + w / 2}" y="${y + 16}" text-anchor="middle" font-weight="bold">${esc(title)}</text>`];
  parts.push(`<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#333"/>`);
  if (reference) {
    parts.push(`<line x1="${left}" y1="${yOf(reference.value)}" x2="${right}" y2="${yOf(reference.value)}" stroke="#888" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${right}" y="${yOf(reference.value) - 3}" text-anchor="end" font-size="10" fill="#555">${esc(reference.label)}</text>`);
  }
  groups.forEach((g, gi) => {
    const gx = left + gi * groupW;
    const barW = Math.min(36, (groupW - 12) / Math.max(g.bars.length, 1));
    const start = gx + (groupW - barW * g.bars.length) / 2;
    g.bars.forEach((b, bi) => {
      const bx = start + bi * barW;
      const by = yOf(b.value);
      parts.push(`<rect x="${bx + 1}" y="${by}" width="${barW - 2}" height="${Math.max(0, bottom - by)}" fill="${b.color}"/>`);
      parts.push(`<text x="${bx + barW / 2}" y="${by - 3}" text-anchor="middle" font-size="10">${num(b.value)}</text>`);
      if (b.goal !== undefined) parts.push(`<line x1="${bx - 2}" y1="${yOf(b.goal)}" x2="${bx + barW + 2}" y2="${yOf(b.goal)}" stroke="#c00" stroke-width="2"/>`);
    });
    parts.push(`<text x="${gx + groupW / 2}" y="${bottom + 14}" text-anchor="middle" font-size="11">${esc(g.label)}</text>`);
  });
  return parts.join('\n');
}

function legend(x: number, y: number, items: [string, string][]): string {
  return items.map(([color, label], i) => `<rect x="${x + i * 170}" y="${y - 9}" width="10" height="10" fill="${color}"/><text x="${x + i * 170 + 14}" y="${y}" font-size="11">${esc(label)}</text>`).join('\n');
}

const PG = '#3b6fb6';
const EMB = '#e39b2d';
const CC = '#5a9e5a';

export function renderChart(r: Results): string {
  const W = 980;
  const H = 640;
  const ratios = SCENARIOS.map((sc) => ({
    label: sc.replace('client_credentials', 'client_cred.').replace('refresh_token', 'refresh'),
    bars: [
      { value: r.protocol[sc].sesamRedis.ratio, color: PG, goal: RATIO_GOALS[sc]?.sesamRedis },
      { value: r.protocol[sc].embedded.ratio, color: EMB, goal: RATIO_GOALS[sc]?.embedded },
    ],
  }));
  const signInsByWorkers = r.workers.map((w) => ({ label: `${w.workers} worker${w.workers > 1 ? 's' : ''}${w.processes === 1 && w.workers > 1 ? ' (1 process)' : ''}`, bars: [{ value: w.signInsPerSecond, color: PG }] }));
  const ccByWorkers = r.workers.map((w) => ({ label: `${w.workers} worker${w.workers > 1 ? 's' : ''}`, bars: [{ value: w.clientCredentialsPerSecond, color: CC }] }));
  const cpu = r.signIn.cpuVsArgon2;
  const cpuGroups = [
    { label: 'argon2id verification', bars: [{ value: cpu.argon2CpuMsPerVerification, color: '#999' }] },
    { label: 'sign-in, server', bars: [{ value: cpu.serverCpuMsPerSignIn, color: PG, goal: cpu.argon2CpuMsPerVerification * CPU_GOAL }] },
    { label: 'sign-in, server + stores', bars: [{ value: cpu.serverCpuMsPerSignIn + (cpu.storesCpuMsPerSignIn ?? 0), color: '#7d9cc9' }] },
  ];
  const m = r.machine;
  const short = (r.settings as { short?: boolean }).short ? ' — SHORT run, not a measure' : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="20" y="24" font-size="16" font-weight="bold">Sesam benchmark${esc(short)}</text>
<text x="20" y="42" font-size="11" fill="#555">${esc(`${r.date.slice(0, 10)} · ${m.cores} CPUs ${m.cpuModel} · ${m.ramGB} GiB · Node ${m.node} · oidc-provider ${m.oidcProvider}`)}</text>
${legend(20, 66, [
  [PG, 'Sesam, PostgreSQL + Redis'],
  [EMB, 'Sesam, embedded (PGlite)'],
  [CC, 'client_credentials'],
  ['#c00', 'goal'],
])}
${barChart(10, 80, 600, 270, 'Requests/s as a ratio to bare oidc-provider', ratios, { value: 1, label: 'bare = 1' })}
${barChart(620, 80, 350, 270, 'Sign-in CPU (ms) vs one argon2id verification', cpuGroups)}
${barChart(10, 360, 480, 270, `Password sign-ins/s by worker processes (${r.signIn.concurrentJourneys.virtualUsers} journeys)`, signInsByWorkers)}
${barChart(490, 360, 480, 270, 'client_credentials grants/s by worker processes', ccByWorkers)}
</svg>
`;
}
