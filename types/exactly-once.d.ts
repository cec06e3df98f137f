export declare class ExactlyOnce {
    #private;
    /** A QoS 2 PUBLISH arrived: true when it is one the app has already had. */
    receive(id: number, topic: ArrayBuffer, payload: ArrayBuffer): boolean;
    /** PUBREL: the message is complete. */
    release(id: number): void;
    /** A new connection; without a session, the broker has nothing to resend. */
    connected(sessionPresent: boolean): void;
    clear(): void;
}
