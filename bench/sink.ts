// The do-nothing subscriber: the rate at which the broker delivers QoS 1 messages to a client that
// only counts them. Prints "ready" once subscribed and "done" when it has EXPECT messages.
import mqtt from 'mqtt';

const expect = Number(process.env.EXPECT);
const client = mqtt.connect(process.env.MQTT_URL!, {
  username: process.env.MQTT_USERNAME,
  password: process.env.MQTT_PASSWORD,
  clientId: `bench-sink-${process.pid}`,
  clean: true,
  reconnectPeriod: 0,
});
let received = 0;
client.on('connect', () => {
  (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  client.subscribe('city/sensors/+/up', { qos: 1 }, (err) => {
    if (err) throw err;
    process.stdout.write('ready\n');
  });
});
client.on('message', () => {
  received += 1;
  if (received === expect) process.stdout.write('done\n');
});
client.on('error', (err) => {
  console.error(`sink: ${err.message}`);
  process.exit(1);
});
