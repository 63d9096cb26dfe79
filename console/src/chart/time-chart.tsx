/**
 * A live time-series chart (uPlot, loaded on first use). The box has its final size before the
 * library arrives and new points replace the data in place, so refreshing never moves the page.
 * The canvas is hidden from assistive technology; the figure's caption and label carry the
 * latest values, and `data-points` tells how many points are drawn.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type uPlotType from 'uplot';

export interface Series { label: string; values: (number | null)[]; color: string }

export interface TimeChartProps {
  title: string;
  unit: string;
  /** Unix seconds, ascending. */
  times: number[];
  series: Series[];
  format(v: number | null | undefined): string;
  /** The window shown, so an empty or sparse chart still spans it. */
  fromSec: number;
  toSec: number;
}

type ChartModule = { uPlot: typeof uPlotType };
let loading: Promise<ChartModule> | undefined;
function loadChartLibrary(): Promise<ChartModule> {
  return loading ??= import(/* the chart entry, served beside app.js */ new URL('chart.js', import.meta.url).href) as Promise<ChartModule>;
}

const HEIGHT = 180;

export function TimeChart({ title, unit, times, series, format, fromSec, toSec }: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlotType | null>(null);
  const [failed, setFailed] = useState<string>();
  const fromRef = useRef<[number, number]>([fromSec, toSec]);
  fromRef.current = [fromSec, toSec];
  const data = [times, ...series.map((s) => s.values)] as uPlotType.AlignedData;

  useEffect(() => {
    let disposed = false;
    let observer: ResizeObserver | undefined;
    loadChartLibrary().then(({ uPlot }) => {
      if (disposed || !box.current) return;
      const el = box.current;
      plot.current = new uPlot({
        width: Math.max(200, el.clientWidth),
        height: HEIGHT,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true, range: () => [fromRef.current[0], fromRef.current[1]] }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        axes: [{ stroke: '#555' }, { stroke: '#555', size: 60, values: (_u, ticks) => ticks.map((t) => format(t)) }],
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, points: { show: false }, spanGaps: false }))],
      }, data, el);
      observer = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }));
      observer.observe(el);
    }, (err) => setFailed(String(err)));
    return () => { disposed = true; observer?.disconnect(); plot.current?.destroy(); plot.current = null; };
  }, [series.length]);

  useEffect(() => { plot.current?.setData(data); }, [times, ...series.map((s) => s.values), fromSec, toSec]);

  const latest = series.map((s) => `${s.label} ${format(lastValue(s.values))}`).join(', ');
  return (
    <figure class="chart" data-points={times.length} aria-label={`${title} (${unit}): ${times.length} points; latest ${latest}`}>
      <figcaption>
        <span class="chart-title">{title}</span>
        <span class="chart-legend">
          {series.map((s) => <span key={s.label} class="legend-item"><span class="swatch" style={{ background: s.color }} />{s.label}: <strong>{format(lastValue(s.values))}</strong></span>)}
        </span>
      </figcaption>
      <div class="chart-box" ref={box} aria-hidden="true" />
      {failed ? <p class="note note-error">The chart could not be drawn: {failed}</p> : null}
    </figure>
  );
}

function lastValue(values: (number | null)[]): number | null {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i];
  return null;
}
