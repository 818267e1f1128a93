// MQTT 5 shared subscriptions (section 4.8.2): a filter `$share/{group}/{filter}` makes the broker hand
// each matching message to one subscriber of the group instead of to all of them. Mosquitto 2 offers it to
// MQTT 3.1.1 clients too; aedes 1.x takes it as a literal topic that no device publishes to.

/** The filters to subscribe to: as given, or each in the shared group. */
export function subscriptionFilters(filters: readonly string[], sharedGroup?: string): string[] {
  return sharedGroup === undefined ? [...filters] : filters.map((f) => `$share/${sharedGroup}/${f}`);
}

/** Whether a filter is a shared subscription. */
export function isSharedFilter(filter: string): boolean {
  return filter.startsWith('$share/');
}
