export declare class PacketIds {
    #private;
    /** The next id not in `inFlight`; throws when all 65,535 are taken. */
    next(inFlight: {
        has(id: number): boolean;
        readonly size: number;
    }): number;
}
