export declare function isAddress(host: string): boolean;
/** Calls back with the address, or with undefined when the name does not resolve. */
export declare function resolveHost(host: string, callback: (address: string | undefined) => void): void;
