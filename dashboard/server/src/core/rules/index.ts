// The rules engine's public surface.
export * from './schema.ts';
export * from './signals.ts';
export { RuleEngine, DEFAULT_TIME_ZONE, DEFAULT_UPDATE_EVERY_MS, type RuleEngineOptions, type RuleEngineStats } from './engine.ts';
export type { RestoredIncident } from './book.ts';
export type { DeviceContext } from './silence.ts';
export { silenceLimitMs } from './silence.ts';
export { describeRule, unitOf } from './describe.ts';
export { defaultRules, defaultRuleInputs, CATEGORY_BY_KIND } from './defaults.ts';
export { fuseNearby, haversineM, DEFAULT_FUSION_RADIUS_M, DEFAULT_FUSION_WINDOW_MS, DEFAULT_FUSION_LIMIT, type FusionCandidate, type FusionOptions } from './fusion.ts';
export { MAX_RATE_SAMPLES } from './rate-of-change.ts';
export { MAX_OPEN_EVENTS_PER_CAMERA, MAX_EVIDENCE_KEYS } from './camera.ts';
