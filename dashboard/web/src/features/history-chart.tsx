// One metric's history as a uPlot line chart, sized to its box.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatNumber } from '../core/units.ts';

export interface HistoryChartProps {
  /** epoch ms, ascending */
  times: number[];
  values: (number | null)[];
  unit: string;
  color: string;
}

const AXIS = { stroke: '#8a96a8', grid: { stroke: 'rgba(255,255,255,0.06)', width: 1 }, ticks: { stroke: 'rgba(255,255,255,0.12)', width: 1 }, font: '11px system-ui, sans-serif' };

export function HistoryChart({ times, values, unit, color }: HistoryChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);

  useEffect(() => {
    const el = box.current!;
    const opts: uPlot.Options = {
      width: el.clientWidth || 360,
      height: el.clientHeight || 180,
      legend: { show: false },
      cursor: { points: { size: 6 } },
      scales: { x: { time: true } },
      axes: [
        { ...AXIS },
        { ...AXIS, size: 48, values: (_u, splits) => splits.map((v) => formatNumber(v)) , label: unit, labelSize: 14, labelFont: '11px system-ui, sans-serif' },
      ],
      series: [{}, { stroke: color, width: 2, fill: `${color}22`, points: { show: false }, spanGaps: false }],
    };
    const u = new uPlot(opts, [[], []], el);
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: el.clientWidth, height: el.clientHeight }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = undefined;
    };
  }, [unit, color]);

  useEffect(() => {
    plot.current?.setData([times.map((t) => t / 1000), values]);
  }, [times, values, unit, color]);

  return <div className="history-chart" ref={box} />;
}
