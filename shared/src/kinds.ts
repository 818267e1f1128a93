// Guessing what a device is from the metrics it sends: for devices not in the registry (anonymous
// dev mode, LoRaWAN devices seen for the first time behind The Things Stack).
import type { SensorKind } from './reading.ts';

/** Word patterns on metric names, per kind. Order breaks ties. */
const KIND_HINTS: ReadonlyArray<readonly [SensorKind, RegExp]> = [
  ['camera', /^detection_score$/],
  ['air_quality', /^(pm1|pm25|pm2_5|pm4|pm10|no|no2|nox|o3|co|co2|so2|nh3|h2s|voc|tvoc|aqi|caqi)(_|$)/],
  ['noise', /(^|_)(noise|sound|laeq|lamax|lamin|la\d+|dba)(_|$)/],
  ['water_level', /(^|_)(water_level|water_depth|river_level|tide|flood)(_|$)/],
  ['traffic', /(^|_)(vehicles?|cars?|trucks?|buses|bikes?|bicycles?|pedestrians?|traffic|avg_speed|speed_kmh)(_|$)/],
  ['parking', /(^|_)(parking|occupied|free_spaces|spaces_free|bay_occupied)(_|$)/],
  ['street_light', /(^|_)(lamp|luminaire|dimming|dim_level|light_on|burn_hours)(_|$)/],
  ['waste_bin', /(^|_)(fill|fill_level|bin|waste)(_|$)/],
];

/** The kind most metric names point to; 'generic' when none does. */
export function inferKind(metricNames: Iterable<string>): SensorKind {
  const votes = new Map<SensorKind, number>();
  for (const name of metricNames) {
    for (const [kind, pattern] of KIND_HINTS) {
      if (pattern.test(name)) votes.set(kind, (votes.get(kind) ?? 0) + 1);
    }
  }
  let best: SensorKind = 'generic';
  let bestVotes = 0;
  for (const [kind] of KIND_HINTS) {
    const n = votes.get(kind) ?? 0;
    if (n > bestVotes) {
      best = kind;
      bestVotes = n;
    }
  }
  return best;
}
