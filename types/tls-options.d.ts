/** DER bytes, as a Resource (`new Resource("ca.der")`), an ArrayBuffer or a Uint8Array. */
export type DER = ArrayBufferLike | Uint8Array;
/** The TLS options of the SDK's TLS socket: `{}` for its defaults. */
export type TLSOptions = {
    /**
     * A CA certificate to trust (DER), besides the CAs an app carries as
     * resources. The broker's certificate chain must lead to a trusted CA.
     */
    certificate?: DER;
    /**
     * Check the broker's certificate: its chain, dates and name (default
     * `true`). `false` accepts any certificate: for tests, never in the field.
     */
    verify?: boolean;
    /**
     * The name sent in SNI and checked against the certificate's
     * subjectAltName (default: the `server` the client was given).
     */
    serverName?: string;
    /**
     * The TLS version, `0x0301` (1.0) to `0x0303` (1.2). The SDK's ECMA-419 TLS
     * socket (8.2.3) speaks 1.2 (`0x0303`) whatever is given here.
     */
    protocolVersion?: number;
    /**
     * For client authentication: the client's certificate chain (DER), its
     * own certificate first. Build with the library's manifest_tls_client.json:
     * under the DHE-RSA key exchange, which manifest_tls.json leaves on, the
     * SDK cannot sign CertificateVerify ("certificateVerify: unimplemented").
     */
    clientCertificates?: DER[];
    /** For client authentication: the private key of `clientCertificates[0]`, PKCS#8 DER. */
    clientKey?: DER;
    /**
     * ALPN (RFC 7301): the protocol name(s) offered in the handshake, for a
     * broker that wants one (the name registered for MQTT is `"mqtt"`; AWS IoT
     * on port 443 wants `"x-amzn-mqtt-ca"` with a client certificate). The SDK
     * does not report which one the broker chose.
     */
    applicationLayerProtocolNegotiation?: string | ArrayBuffer | (string | ArrayBuffer)[];
    /** Resume a session with a broker seen before (default `true`): a shorter handshake. */
    cache?: boolean;
    /** Trace the TLS records (a debugging aid of the SDK). */
    trace?: boolean;
};
