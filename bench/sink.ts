// The do-nothing subscriber: how fast the broker delivers QoS 1 messages to a client that only counts
// them. Same subscription as ingest (city/sensors/+/up, QoS 1, persistent session, TCP no-delay), so the
// broker does the same work per message for both. Driven by its parent over IPC:
//   -> {type:'ready'} once subscribed
//   <- {type:'expect', count}   -> {type:'reached', received} once `count` messages arrived in total
//   <- {type:'stop'}            unsubscribes (so the broker queues nothing for the session) and exits
import mqtt from 'mqtt';

const send = (m: object) => process.send?.(m);
const client = mqtt.connect(process.env.MQTT_URL!, {
  username: process.env.MQTT_USERNAME,
  password: process.env.MQTT_PASSWORD,
  clientId: process.env.MQTT_CLIENT_ID ?? `bench-sink-${process.pid}`,
  clean: false,
  protocolVersion: 4,
  reconnectPeriod: 0,
});
let received = 0;
let target = Infinity;
client.once('connect', () => {
  (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  client.subscribe('city/sensors/+/up', { qos: 1 }, (err, granted) => {
    if (err || granted?.[0]?.qos !== 1) {
      console.error(`sink: subscribe failed: ${err?.message ?? JSON.stringify(granted)}`);
      process.exit(1);
    }
    send({ type: 'ready' });
  });
});
client.on('message', () => {
  received += 1;
  if (received >= target) {
    target = Infinity;
    send({ type: 'reached', received });
  }
});
client.on('error', (err) => {
  console.error(`sink: ${err.message}`);
  process.exit(1);
});
client.on('close', () => {
  if (!stopping) {
    console.error('sink: connection closed');
    process.exit(1);
  }
});
let stopping = false;
process.on('message', (m: { type: string; count?: number }) => {
  if (m.type === 'expect') {
    target = m.count!;
    if (received >= target) {
      target = Infinity;
      send({ type: 'reached', received });
    }
  } else if (m.type === 'stop') {
    stopping = true;
    void client
      .unsubscribeAsync('city/sensors/+/up')
      .then(() => client.endAsync())
      .finally(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
