// The offline basemap's maplibre style (v8): the OpenStreetMap vector tiles shipped in
// @mapbox/mvt-fixtures (mapbox-streets-v7 schema, z13 only: maplibre overzooms them) in a dark
// control-room look that lets the device markers stand out. No `glyphs` and no `text-font`: maplibre
// then draws label text with the browser's local sans-serif fonts, nothing is fetched from the Internet.
import { DEMO_CITY } from '@city/shared';

export const BASEMAP_ZOOM = 13;
export const BASEMAP_SOURCE = 'city-basemap';

const colours = {
  background: '#0b1220',
  water: '#0e2438',
  park: '#10231d',
  landuse: '#0f1829',
  building: '#172135',
  buildingOutline: '#1f2b42',
  minor: '#1b2638',
  tertiary: '#25334b',
  secondary: '#2c3c58',
  primary: '#36496b',
  motorway: '#4a5f85',
  rail: '#262d3a',
  roadLabel: '#71819b',
  placeLabel: '#93a4bd',
  halo: '#0b1220',
};

type Layer = Record<string, unknown>;

/** line width by zoom: `w13` at z13 growing to `w18` at z18 */
const width = (w13: number, w18: number) => ['interpolate', ['exponential', 1.5], ['zoom'], 13, w13, 18, w18];

const roadLayer = (id: string, classes: string[], colour: string, w13: number, w18: number, extra: Layer = {}): Layer => ({
  id,
  type: 'line',
  source: BASEMAP_SOURCE,
  'source-layer': 'road',
  filter: ['match', ['get', 'class'], classes, true, false],
  layout: { 'line-cap': 'round', 'line-join': 'round' },
  paint: { 'line-color': colour, 'line-width': width(w13, w18), ...extra },
});

const labelText = ['coalesce', ['get', 'name_en'], ['get', 'name']];

/** The style; `tileUrl` is absolute (maplibre resolves tile URLs itself), e.g. http://host/tiles/{z}/{x}/{y}.mvt */
export function basemapStyle(tileUrl: string): Record<string, unknown> {
  return {
    version: 8,
    name: 'City operations — dark',
    sources: {
      [BASEMAP_SOURCE]: {
        type: 'vector',
        tiles: [tileUrl],
        minzoom: BASEMAP_ZOOM,
        maxzoom: BASEMAP_ZOOM,
        bounds: DEMO_CITY.bounds,
        attribution: '© OpenStreetMap contributors',
      },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': colours.background } },
      {
        id: 'landuse',
        type: 'fill',
        source: BASEMAP_SOURCE,
        'source-layer': 'landuse',
        paint: {
          'fill-color': [
            'match',
            ['get', 'class'],
            ['park', 'grass', 'pitch', 'cemetery', 'wood', 'scrub', 'agriculture', 'golf_course'],
            colours.park,
            colours.landuse,
          ],
        },
      },
      { id: 'landuse-overlay', type: 'fill', source: BASEMAP_SOURCE, 'source-layer': 'landuse_overlay', paint: { 'fill-color': colours.park, 'fill-opacity': 0.6 } },
      { id: 'water', type: 'fill', source: BASEMAP_SOURCE, 'source-layer': 'water', paint: { 'fill-color': colours.water } },
      { id: 'waterway', type: 'line', source: BASEMAP_SOURCE, 'source-layer': 'waterway', paint: { 'line-color': colours.water, 'line-width': width(1, 4) } },
      {
        id: 'building',
        type: 'fill',
        source: BASEMAP_SOURCE,
        'source-layer': 'building',
        paint: { 'fill-color': colours.building, 'fill-outline-color': colours.buildingOutline },
      },
      roadLayer('road-path', ['path', 'pedestrian', 'track'], colours.minor, 0.5, 2, { 'line-dasharray': [2, 2] }),
      roadLayer('road-rail', ['major_rail', 'minor_rail'], colours.rail, 0.8, 2.5, { 'line-dasharray': [3, 2] }),
      roadLayer('road-street', ['street', 'street_limited', 'service', 'link', 'construction'], colours.minor, 0.7, 9),
      roadLayer('road-tertiary', ['tertiary'], colours.tertiary, 1, 12),
      roadLayer('road-secondary', ['secondary'], colours.secondary, 1.3, 14),
      roadLayer('road-primary', ['primary', 'trunk'], colours.primary, 1.6, 16),
      roadLayer('road-motorway', ['motorway', 'motorway_link'], colours.motorway, 2, 18),
      {
        id: 'road-label',
        type: 'symbol',
        source: BASEMAP_SOURCE,
        'source-layer': 'road_label',
        minzoom: 14,
        layout: { 'symbol-placement': 'line', 'text-field': labelText, 'text-size': 11 },
        paint: { 'text-color': colours.roadLabel, 'text-halo-color': colours.halo, 'text-halo-width': 1.2 },
      },
      {
        id: 'place-label',
        type: 'symbol',
        source: BASEMAP_SOURCE,
        'source-layer': 'place_label',
        layout: { 'text-field': labelText, 'text-size': 12, 'text-transform': 'uppercase', 'text-letter-spacing': 0.1, 'text-max-width': 8 },
        paint: { 'text-color': colours.placeLabel, 'text-halo-color': colours.halo, 'text-halo-width': 1.5 },
      },
    ],
  };
}
