// Images drawn on demand for the map: the basemap style has no glyphs (it is offline), so cluster
// counts, district names and camera markers are canvas images made when a layer first asks for them.
import type { Map as MapLibreMap } from 'maplibre-gl';
import type { DeviceState } from '@city/shared/live-events';
import { STATE_COLORS } from '../core/geojson.ts';

const PIXEL_RATIO = 2;
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

type Painter = (ctx: CanvasRenderingContext2D) => void;

function draw(widthPx: number, heightPx: number, paint: Painter): ImageData {
  const canvas = document.createElement('canvas');
  canvas.width = Math.ceil(widthPx * PIXEL_RATIO);
  canvas.height = Math.ceil(heightPx * PIXEL_RATIO);
  const ctx = canvas.getContext('2d')!;
  ctx.scale(PIXEL_RATIO, PIXEL_RATIO);
  paint(ctx);
  return ctx.getImageData(0, 0, canvas.width, canvas.height);
}

function measure(text: string, font: string): number {
  const ctx = document.createElement('canvas').getContext('2d')!;
  ctx.font = font;
  return ctx.measureText(text).width;
}

/** "count:17": the number on a cluster circle. */
function countImage(text: string): ImageData {
  const font = `700 13px ${FONT}`;
  const w = measure(text, font) + 4;
  return draw(w, 16, (ctx) => {
    ctx.font = font;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = '#0b0f14';
    ctx.fillText(text, w / 2, 8.5);
  });
}

/** "district:Near North Side": a spaced, upper-case district name with a dark halo. */
function districtImage(name: string): ImageData {
  const text = name.toUpperCase();
  const font = `600 11px ${FONT}`;
  const spacing = 1.5;
  const w = measure(text, font) + spacing * text.length + 8;
  return draw(w, 18, (ctx) => {
    ctx.font = font;
    (ctx as CanvasRenderingContext2D & { letterSpacing: string }).letterSpacing = `${spacing}px`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.lineWidth = 3;
    ctx.strokeStyle = 'rgba(8, 12, 18, 0.9)';
    ctx.strokeText(text, w / 2, 9);
    ctx.fillStyle = 'rgba(125, 178, 255, 0.95)';
    ctx.fillText(text, w / 2, 9);
  });
}

/** "camera:alarm": a rounded square in the state colour with a camera glyph. */
function cameraImage(state: DeviceState): ImageData {
  const size = 24;
  return draw(size, size, (ctx) => {
    ctx.fillStyle = STATE_COLORS[state];
    ctx.strokeStyle = '#0b0f14';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.roundRect(1.5, 1.5, size - 3, size - 3, 5);
    ctx.fill();
    ctx.stroke();
    // body and lens
    ctx.fillStyle = '#0b0f14';
    ctx.beginPath();
    ctx.roundRect(5, 8, 10, 8, 1.5);
    ctx.fill();
    ctx.beginPath();
    ctx.moveTo(15, 12);
    ctx.lineTo(19.5, 8.5);
    ctx.lineTo(19.5, 15.5);
    ctx.closePath();
    ctx.fill();
  });
}

/** Answers the map's requests for images it does not have yet. */
export function installImageFactory(map: MapLibreMap): void {
  map.setMissingStyleImageResolver((id) => {
    if (map.hasImage(id)) return;
    const sep = id.indexOf(':');
    const kind = id.slice(0, sep);
    const arg = id.slice(sep + 1);
    let image: ImageData | undefined;
    if (kind === 'count') image = countImage(arg);
    else if (kind === 'district') image = districtImage(arg);
    else if (kind === 'camera' && arg in STATE_COLORS) image = cameraImage(arg as DeviceState);
    if (image) map.addImage(id, image, { pixelRatio: PIXEL_RATIO });
  });
}
