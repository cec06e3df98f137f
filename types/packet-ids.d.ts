/** The id after `last` that is not in `inFlight`; throws when all 65,535 are taken. */
export declare function nextPacketId(last: number, inFlight: {
    has(id: number): boolean;
    readonly size: number;
} | undefined): number;
