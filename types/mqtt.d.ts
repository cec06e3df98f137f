export { MQTTClient, type Callback, type StoredDelivery, type ClientOptions, type ServerOptions, type ConnectProperties, type PublishProperties, type ReceivedPublishProperties, type SubscriptionOptions } from "mqtt/client";
export { MQTTException } from "mqtt/errors";
export { type ReconnectOptions } from "mqtt/backoff";
export { type TLSOptions, type DER } from "mqtt/tls-options";
export { type Data, type Bytes } from "mqtt/bytes";
