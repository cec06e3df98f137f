// Failover across brokers: the `servers` option, an ordered list of the
// brokers a client may use (the nodes of a cluster), first preferred.
//
// The policy (the README's "Failover"): connect() and every reconnection
// walk the list from the first server, one attempt each, each bounded by the
// connect timeout, the next one in a turn of its own as soon as the last
// failed; the first that accepts is used until its connection is lost. With
// `reconnect`, a walk that found no server is followed by the next after the
// backoff delay, so that each server sees its attempts spaced by the backoff.
// A healthy connection is never dropped for a server earlier in the list:
// the client goes back to the first at its next reconnection.
//
// Small devices: the list is kept flat (server, port, TLS options; server,
// port, ...), one frozen array and no object per server, and a client given
// one server (or none of this option) carries no Failover at all.
import type { TLSOptions } from "mqtt/tls-options";
import { describe } from "mqtt/validate";

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
export const STRIDE = 3;

/** The TLS options argument, checked: an object, or undefined/null for none. */
export function checkSSL(ssl: unknown, what: string): void {
	if (ssl !== undefined && ssl !== null && (typeof ssl !== "object" || Array.isArray(ssl)))
		throw new TypeError(`${what} must be an object ({} for defaults), not ${describe(ssl)}`);
}

/** A port, given or by default (1883, 8883 with TLS), checked. */
export function portOf(port: unknown, ssl: unknown, what: string): number {
	const value = port ?? (ssl ? 8883 : 1883);
	if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 65535)
		throw new RangeError(`${what} must be an integer 1..65535, not ${describe(value)}`);
	return value as number;
}

/** A host name or IPv4 address, checked. */
export function checkServer(server: unknown, what: string): asserts server is string {
	if (typeof server !== "string" || !server)
		throw new TypeError(`${what} must be a host name or IPv4 address, not ${describe(server)}`);
}

/**
 * The `servers` option, checked whole before anything is sent: each
 * server's port and TLS options, its own or else the client's (`port`, `ssl`).
 */
export function serverList(servers: unknown, port: unknown, ssl: unknown): ServerList {
	if (!Array.isArray(servers) || servers.length === 0)
		throw new TypeError(`servers must be a non-empty array of {server, port, ssl}, not ${Array.isArray(servers) ? "an empty array" : describe(servers)}`);
	const list: (string | number | Record<string, unknown> | undefined)[] = [];
	for (let i = 0; i < servers.length; i++) {
		const entry: unknown = servers[i], what = `servers[${i}]`;
		if (typeof entry !== "object" || entry === null || Array.isArray(entry))
			throw new TypeError(`${what} must be an object {server, port, ssl}, not ${describe(entry)}`);
		const given = entry as ServerOptions;
		checkServer(given.server, `${what}.server`);
		const secure = given.ssl === undefined ? ssl : given.ssl;
		checkSSL(secure, `${what}.ssl`);
		list.push(given.server, portOf(given.port ?? port, secure, `${what}.port`), (secure ?? undefined) as Record<string, unknown> | undefined);
	}
	return Object.freeze(list);
}

/** Where a client is in its list: the server in use, or being tried, and what the servers tried said. */
export class Failover {
	readonly list: ServerList;
	/** The server in use or being tried (0: the first). */
	index = 0;
	/** During connect(): what each server tried said, for the rejection if none accepts. */
	failures: string | undefined;

	constructor(list: ServerList) {
		this.list = list;
	}

	/** A walk begins, at the first server. */
	begin(): void {
		this.index = 0;
		this.failures = undefined;
	}

	/** The server being tried failed with `message`, kept for connect()'s rejection; `where` is its server:port. */
	record(where: string, message: string): void {
		const said = message.includes(where) ? message : `${where}: ${message}`;
		this.failures = this.failures === undefined ? said : `${this.failures}; ${said}`;
	}

	/** After a failed attempt: true, on the next server, when the walk has one left; false, back on the first, when not. */
	next(): boolean {
		if (++this.index < this.list.length / STRIDE)
			return true;
		this.index = 0;
		return false;
	}

	/** connect()'s rejection when no server accepted: each one's failure, in order. */
	error(): Error {
		return new Error(`no server accepted the connection (${this.list.length / STRIDE} tried, in order): ${this.failures}`);
	}
}
