export * from './reading.ts';
export * from './topics.ts';
export * from './config.ts';
export * from './logger.ts';
export * from './city.ts';
export * from './device-registry.ts';
