export interface KeepAliveLink {
    /** Time.ticks of the last byte written, and of the last byte that arrived. */
    readonly lastSend: number;
    readonly lastReceive: number;
    /** Bytes wait unread in the socket: the broker is alive, the client is just not reading. */
    readonly backlog: boolean;
    sendPing(): void;
    dead(silence: number): void;
}
export declare class KeepAlive {
    #private;
    constructor(seconds: number, link: KeepAliveLink);
    stop(): void;
}
