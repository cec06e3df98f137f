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
    /** A fault of the library's own in a check: the connection closes, saying so. */
    failed(error: Error): void;
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
    /**
     * The next check, on a one-shot timer of its own. One callback for every
     * keep-alive: the timer carries its owner, and no closure is kept per
     * connection. Not a repeating timer rescheduled from its own callback:
     * measured in mcsim (SDK 8.2.3, lin), Timer.schedule there leaves a second
     * glib source behind, which fires later into whatever timer reuses the
     * freed memory (a 5 s connect timeout fired after 19 ms).
     */
    private schedule;
}
