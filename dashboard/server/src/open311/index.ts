// The pure core of the Open311 GeoReport v2 server (wiki.open311.org/GeoReport_v2) with FixMyStreet's
// extensions (servicerequestupdates, extended statuses). No HTTP and no storage here: the HTTP layer
// parses bodies and query strings, calls these functions, stores what validation returns and sends
// what the formatters render.
export * from './catalogue.ts';
export * from './filters.ts';
export * from './format.ts';
export * from './model.ts';
export * from './statuses.ts';
export * from './time.ts';
export * from './validate.ts';
export { escapeXmlText, XML_DECLARATION } from './xml.ts';
