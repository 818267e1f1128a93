// Notifications to citizens and operators about citizen reports: messages (pure), channels (SMTP,
// HTTP SMS gateway), the outbox dispatcher and the operators' read-only route.
export { readNotifyConfig, authorizationHeader, NOTIFY_DEFAULTS, type NotifyConfig } from './config.ts';
export { Notifier, channelsFromConfig, retryDelayMs, type NotifierContext } from './notifier.ts';
export { notificationsRouter, type NotificationView } from './routes.ts';
export type { DeliveryChannel, OutgoingMessage } from './channel.ts';
