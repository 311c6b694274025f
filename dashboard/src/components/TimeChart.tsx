import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  color: string;
  values: Array<number | null>;
}

interface TimeChartProps {
  title: string;
  /** Seconds since the epoch, one per sample. */
  times: number[];
  series: ChartSeries[];
  /** How a value is written on the axis and in the legend. */
  format: (value: number) => string;
  /** Stack nothing, but fill under the lines (counts, rates). */
  filled?: boolean;
  /** Whole numbers only on the value axis (messages, events). */
  integer?: boolean;
  /**
   * Join the line across samples without a value (a latency with no downloads in an interval):
   * otherwise a value between two gaps is a lone point, which a line chart does not draw.
   */
  spanGaps?: boolean;
}

/** Tick spacings of the time axis, in seconds: never finer than the one-second samples. */
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];
const WHOLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 50_000, 100_000, 1_000_000];

const pad = (value: number) => String(value).padStart(2, '0');
function clock(seconds: number, withSeconds: boolean): string {
  const date = new Date(seconds * 1000);
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  return withSeconds ? `${time}:${pad(date.getSeconds())}` : time;
}

const HEIGHT = 170;

function optionsOf(props: TimeChartProps, width: number): uPlot.Options {
  const written = (value: number | null | undefined) =>
    value === null || value === undefined ? '–' : props.format(value);
  return {
    width,
    height: HEIGHT,
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (_plot, min, max) => [Math.min(0, min), max > 0 ? max * 1.15 : 1] } },
    axes: [
      {
        stroke: '#5b6472',
        grid: { stroke: '#eef1f5' },
        ticks: { stroke: '#dfe3ea' },
        space: 70,
        incrs: TIME_STEPS,
        values: (_plot, splits, _axis, _space, step) => splits.map((split) => clock(split, step < 60)),
      },
      {
        stroke: '#5b6472',
        grid: { stroke: '#eef1f5' },
        ticks: { stroke: '#dfe3ea' },
        size: 64,
        ...(props.integer ? { incrs: WHOLE_STEPS } : {}),
        values: (_plot, splits) => splits.map((split) => written(split)),
      },
    ],
    series: [
      { label: 'time', value: (_plot: uPlot, value: number | null) => (value === null ? '' : clock(value, true)) },
      ...props.series.map((series) => ({
        label: series.label,
        stroke: series.color,
        width: 2,
        fill: props.filled ? `${series.color}22` : undefined,
        points: { show: false },
        value: (_plot: uPlot, value: number | null) => written(value),
        spanGaps: props.spanGaps ?? false,
      })),
    ],
  };
}

/**
 * A time series chart (uPlot, on a canvas) that fits the width of its card. It is created once per
 * set of series and given new data as samples arrive, so the legend and its cursor stay put.
 */
export function TimeChart(props: TimeChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const shape = props.series.map((series) => series.label).join('|');
  const data = [props.times, ...props.series.map((series) => series.values)] as uPlot.AlignedData;

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    plot.current = new uPlot(optionsOf(props, Math.max(element.clientWidth, 240)), data, element);
    const resize = new ResizeObserver(() =>
      plot.current?.setSize({ width: Math.max(element.clientWidth, 240), height: HEIGHT }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = undefined;
    };
    // Rebuilt only when the series themselves change; new samples go through setData below.
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  return (
    <figure class="chart" aria-label={props.title}>
      <figcaption>{props.title}</figcaption>
      <div ref={container} class="chart-canvas" />
      {props.times.length < 2 && <p class="chart-empty">Collecting samples…</p>}
    </figure>
  );
}
