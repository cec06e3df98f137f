/**
 * The address of a host that needs no resolver (an IPv4 literal, or
 * "localhost"), else undefined. Read by hand, not by a RegExp: measured in
 * mcsim with an ESP8266's small chunk heap, a collection during a RegExp
 * match crashed the machine.
 */
export declare function literalAddress(host: string): string | undefined;
/** Asks the SDK's resolver; calls back, in a later turn, with the address, or undefined when the name does not resolve. */
export declare function resolveHost(host: string, callback: (address: string | undefined) => void): void;
