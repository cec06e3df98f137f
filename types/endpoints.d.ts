import type { TLSOptions } from "mqtt/tls-options";
/** One broker of the `servers` option. */
export interface ServerOptions {
    /** A host name or an IPv4 address. */
    server: string;
    /** Default: the client's `port`, else 1883, or 8883 with TLS. */
    port?: number;
    /** TLS options for this server; default: the client's `ssl`; `null`: no TLS for this server. */
    ssl?: TLSOptions | null;
}
/** The servers, checked: server, port and TLS options (or undefined) for each, in order. */
export type ServerList = readonly (string | number | Record<string, unknown> | undefined)[];
/** Entries of a ServerList per server. */
export declare const STRIDE = 3;
/** The TLS options argument, checked: an object, or undefined/null for none. */
export declare function checkSSL(ssl: unknown, what: string): void;
/** A port, given or by default (1883, 8883 with TLS), checked. */
export declare function portOf(port: unknown, ssl: unknown, what: string): number;
/** A host name or IPv4 address, checked. */
export declare function checkServer(server: unknown, what: string): asserts server is string;
/**
 * The `servers` option, checked whole before anything is sent: each
 * server's port and TLS options, its own or else the client's (`port`, `ssl`).
 */
export declare function serverList(servers: unknown, port: unknown, ssl: unknown): ServerList;
/** Where a client is in its list: the server in use, or being tried, and what the servers tried said. */
export declare class Failover {
    readonly list: ServerList;
    /** The server in use or being tried (0: the first). */
    index: number;
    /** During connect(): what each server tried said, for the rejection if none accepts. */
    failures: string | undefined;
    constructor(list: ServerList);
    /** A walk begins, at the first server. */
    begin(): void;
    /** The server being tried failed with `message`, kept for connect()'s rejection; `where` is its server:port. */
    record(where: string, message: string): void;
    /** After a failed attempt: true, on the next server, when the walk has one left; false, back on the first, when not. */
    next(): boolean;
    /** connect()'s rejection when no server accepted: each one's failure, in order. */
    error(): Error;
}
