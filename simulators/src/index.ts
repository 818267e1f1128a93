// The simulators' public API, for `npm start` (the all-in-one process), benchmarks and tests.
export { createFleet, DEFAULT_DEVICE_INTERVAL_S, type Fleet, type FleetContext, type FleetStats } from './app.ts';
export { parseSimulatorArgs, helpText, type ReportsOptions, type SimulatorConfig } from './config.ts';
export { provisionFleet, SIM_ACCOUNTS, CONNECTION_MODES, type ConnectionMode, type Credentials, type FleetCredentials } from './adapters/provision.ts';
export { MqttPool, ConnectError, type ConnectionSpec } from './adapters/mqtt-pool.ts';
export { planFleet, ownLogin, TRANSPORTS, type FleetPlan, type FleetPlanOptions, type PlannedDevice, type Transport } from './core/fleet-plan.ts';
export { FleetGenerator, MESSAGE_TYPES, type MessageType, type SimMessage } from './core/fleet-generator.ts';
export { FAULT_KINDS, FaultPicker, parseBurst, pickSilent, messagesDue, type Burst, type FaultKind, type FaultOptions } from './core/faults.ts';
export { SIMULATED_KINDS, METRICS_BY_KIND, metricsAt, localTime, type SimulatedKind } from './core/patterns.ts';
export { nativeReading, senmlPack, ttsUplink, nativeCameraEvent, frigateEvent, SNAPSHOT_JPEG, type Detection } from './core/payloads.ts';
export { mulberry32, hashSeed } from './core/prng.ts';
export { createReportSubmitter, type ReportSubmitter, type ReportSubmitterContext, type ReportSubmitterStats } from './report-submitter.ts';
export { planReport, offsetPosition, positionInDistricts, retryAfterMs, nextGapMs, REPORT_TEMPLATES, CATEGORY_OF_KIND, NEAR_HOTSPOT_M, type Hotspot, type PlannedReport } from './core/citizen-reports.ts';
export { Open311Client, type SubmitResult } from './adapters/open311-client.ts';
export { alarmedDevices } from './adapters/hotspots.ts';
