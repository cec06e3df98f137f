export interface KeepAliveLink {
    /** Time.ticks of the last byte written, and of the last byte that arrived. */
    readonly lastSend: number;
    readonly lastReceive: number;
    /** Bytes wait unread in the socket: the broker is alive, the client is just not reading. */
    readonly backlog: boolean;
}
export interface KeepAliveOwner {
    sendPing(): void;
    dead(silence: number): void;
}
export declare class KeepAlive {
    #private;
    constructor(seconds: number, link: KeepAliveLink, owner: KeepAliveOwner);
    /** Nothing sent, or nothing received, for this long (ms): a PINGREQ goes out. */
    private get quiet();
    /** How long a PINGREQ has to be answered by anything at all (ms). */
    private get grace();
    stop(): void;
    private check;
    private schedule;
}
