// Small charts in plain SVG for the dashboard and reports: horizontal bars where people would
// rather look than read, and a load meter. No chart library: a few rectangles scale to any
// screen and follow the theme's colours.

export interface Bar {
  label: string;
  value: number;
  text?: string; // what to print beside the bar (default the value)
  tone?: 'primary' | 'online' | 'break' | 'danger' | 'transfer';
}

/** Labelled horizontal bars, the longest at full width. */
export function HBars({ bars, testId, empty }: { bars: Bar[]; testId: string; empty: string }) {
  if (bars.length === 0) return <p class="muted dash-empty" data-testid={testId}>{empty}</p>;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const row = 26;
  return (
    <svg class="hbars" data-testid={testId} viewBox={`0 0 400 ${bars.length * row}`} preserveAspectRatio="xMinYMin meet" role="img">
      {bars.map((b, i) => {
        const w = Math.max(2, (b.value / max) * 210);
        return (
          <g key={b.label + i} transform={`translate(0 ${i * row})`}>
            <text x="0" y="17" class="hbars-label">
              {b.label.length > 22 ? b.label.slice(0, 21) + '…' : b.label}
            </text>
            <rect x="150" y="5" width={w} height="16" rx="3" class={'hbars-bar tone-' + (b.tone ?? 'primary')} />
            <text x={156 + w} y="17" class="hbars-value">
              {b.text ?? String(b.value)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/** Active / limit as a meter: full at the limit, red past it. */
export function Meter({ active, limit, testId }: { active: number; limit: number; testId?: string }) {
  const cap = Math.max(limit, active, 1);
  const w = (active / cap) * 100;
  const tone = limit > 0 && active > limit ? 'danger' : active >= limit && limit > 0 ? 'break' : 'online';
  return (
    <svg class="meter" viewBox="0 0 100 8" preserveAspectRatio="none" data-testid={testId} role="img" aria-label={`${active}/${limit}`}>
      <rect x="0" y="0" width="100" height="8" rx="4" class="meter-track" />
      <rect x="0" y="0" width={w} height="8" rx="4" class={'meter-fill tone-' + tone} />
    </svg>
  );
}
