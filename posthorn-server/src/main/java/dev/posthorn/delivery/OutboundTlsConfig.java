package dev.posthorn.delivery;

/**
 * {@code [outbound_tls]}: the receiving domains' own TLS policies for mail Posthorn sends to their MX hosts: DANE
 * (RFC 7672, with DNSSEC validated by Posthorn itself), MTA-STS (RFC 8461), and TLS reports (RFC 8460).
 */
public class OutboundTlsConfig {
    /** Use TLSA records of DNSSEC-signed MX hosts. Needs resolvers that pass DNSSEC records through. */
    public boolean dane = true;
    /** Use the MTA-STS policies of receiving domains. */
    public boolean mtaSts = true;
    /** DS or DNSKEY records in zone-file form to validate DNSSEC from; empty: the root's, built in. */
    public String trustAnchorFile = "";
    /** PEM file of the CA certificates that MTA-STS (policy servers and MX hosts) must chain to; empty: the JDK's. */
    public String mtaStsTrustStore = "";
    /** Connect, handshake and per-read time-out of a policy fetch (the whole fetch: twice this). */
    public int mtaStsTimeoutSeconds = 10;
    /** Port of the {@code mta-sts.<domain>} web servers: 443, except in tests. */
    public int mtaStsPort = 443;
    /** Send daily TLS reports to the domains that ask for them ({@code _smtp._tls} TXT). Figures are kept anyway. */
    public boolean tlsRpt = false;
    /** From: of the reports; empty: {@code noreply-tlsrpt@<hostname>}. */
    public String tlsRptFrom = "";
    /** "contact-info" of the reports; empty: {@code postmaster@<hostname>}. */
    public String tlsRptContact = "";
}
