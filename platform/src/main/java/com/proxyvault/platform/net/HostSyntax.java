package com.proxyvault.platform.net;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The host of a URL a customer gives us, judged by its spelling before anything resolves it. Only three
 * spellings are accepted, because software disagrees about every other one and an SSRF check is only as
 * good as the agreement between the checker and the client that connects:
 * <ul>
 *   <li>a DNS name: ASCII labels of letters, digits and {@code -} (1–63 characters, no
 *       leading or trailing {@code -}), at most 253 characters, one optional trailing dot; an
 *       internationalized name is written in its {@code xn--} form;</li>
 *   <li>a canonical dotted-quad IPv4 address: four decimal parts 0–255 without leading zeros
 *       ({@code 127.0.0.1});</li>
 *   <li>an IPv6 address in brackets ({@code [2606:4700::1111]}, RFC 4291 text, no zone id).</li>
 * </ul>
 * A host whose last label is a number (all digits, or {@code 0x} and hex digits) is read as IPv4 by
 * browsers and by the WHATWG URL standard, so it must then be a canonical dotted quad: octal
 * ({@code 0177.0.0.1}, which Java reads as the public 177.0.0.1 and most other software as 127.0.0.1),
 * hex ({@code 0x7f.0.0.1}), integer ({@code 2130706433}) and short ({@code 127.1}) forms are refused.
 */
public final class HostSyntax {

    /** What kind of host a URL names; {@code address} is the literal's bytes (null for a DNS name). */
    public record Host(String name, Kind kind, byte[] address) {
    }

    public enum Kind { DNS_NAME, IPV4, IPV6 }

    private static final Pattern NUMERIC_LABEL = Pattern.compile("[0-9]+|0x[0-9a-f]*");
    private static final Pattern CANONICAL_OCTET = Pattern.compile("0|[1-9][0-9]{0,2}");
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final int MAX_NAME_LENGTH = 253;

    private HostSyntax() {
    }

    /**
     * Classifies the host of a URL, as it appears in the authority (brackets included for IPv6).
     *
     * @return the host, lowercased, without brackets or a DNS name's trailing dot
     * @throws IllegalArgumentException with a sentence fit for a 422 when the spelling is not accepted
     */
    public static Host parse(String rawHost) {
        if (rawHost == null || rawHost.isEmpty()) {
            throw new IllegalArgumentException("url must name a host");
        }
        String host = rawHost.toLowerCase(Locale.ROOT);
        if (host.startsWith("[")) {
            if (!host.endsWith("]")) {
                throw new IllegalArgumentException("url host is not a valid bracketed IPv6 address");
            }
            String inner = host.substring(1, host.length() - 1);
            byte[] bytes = parseIpv6(inner);
            if (bytes == null) {
                throw new IllegalArgumentException("url host is not a valid IPv6 address (zone ids are not accepted)");
            }
            return new Host(inner, Kind.IPV6, bytes);
        }
        String[] labels = host.split("\\.", -1);
        String last = labels[labels.length - 1];
        if (last.isEmpty() && labels.length > 1) {
            last = labels[labels.length - 2];
        }
        if (NUMERIC_LABEL.matcher(last).matches()) {
            byte[] bytes = parseCanonicalIpv4(host);
            if (bytes == null) {
                throw new IllegalArgumentException("url host '" + rawHost + "' is a non-canonical IPv4 address:"
                        + " write it as four decimal numbers 0-255 without leading zeros (e.g. 203.0.113.7)");
            }
            return new Host(host, Kind.IPV4, bytes);
        }
        String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        if (name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("url host must be a DNS name of at most " + MAX_NAME_LENGTH + " characters");
        }
        for (String label : name.split("\\.", -1)) {
            if (!DNS_LABEL.matcher(label).matches()) {
                throw new IllegalArgumentException("url host '" + rawHost + "' is not a valid DNS name"
                        + " (ASCII letters, digits and '-', labels of 1-63 characters; xn-- for international names)");
            }
        }
        return new Host(name, Kind.DNS_NAME, null);
    }

    /** The 4 bytes of a canonical dotted quad ({@code 0|[1-9][0-9]{0,2}} four times, each ≤ 255), else null. */
    public static byte[] parseCanonicalIpv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            if (!CANONICAL_OCTET.matcher(parts[i]).matches()) {
                return null;
            }
            int value = Integer.parseInt(parts[i]);
            if (value > 255) {
                return null;
            }
            bytes[i] = (byte) value;
        }
        return bytes;
    }

    /**
     * The 16 bytes of an IPv6 address in RFC 4291 text form (hex groups of 1–4 digits, at most one
     * {@code ::}, optionally ending in a canonical dotted quad), else null. Zone ids ({@code %eth0}) are
     * not accepted. Unlike {@link java.net.InetAddress}, it keeps IPv4-mapped addresses as IPv6 bytes.
     */
    public static byte[] parseIpv6(String text) {
        if (text.isEmpty() || text.length() > 45 || text.indexOf('%') >= 0) {
            return null;
        }
        int doubleColon = text.indexOf("::");
        if (doubleColon >= 0 && text.indexOf("::", doubleColon + 1) >= 0) {
            return null;
        }
        String head = doubleColon >= 0 ? text.substring(0, doubleColon) : text;
        String tail = doubleColon >= 0 ? text.substring(doubleColon + 2) : "";
        int[] headGroups = groups(head, doubleColon < 0);
        int[] tailGroups = doubleColon >= 0 ? groups(tail, true) : new int[0];
        if (headGroups == null || tailGroups == null) {
            return null;
        }
        int total = headGroups.length + tailGroups.length;
        if (doubleColon >= 0 ? total > 7 : total != 8) {
            return null;
        }
        int[] all = new int[8];
        System.arraycopy(headGroups, 0, all, 0, headGroups.length);
        System.arraycopy(tailGroups, 0, all, 8 - tailGroups.length, tailGroups.length);
        byte[] bytes = new byte[16];
        for (int i = 0; i < 8; i++) {
            bytes[2 * i] = (byte) (all[i] >> 8);
            bytes[2 * i + 1] = (byte) all[i];
        }
        return bytes;
    }

    /** Colon-separated 16-bit groups; the last may be a dotted quad (two groups) when {@code mayEndInIpv4}. */
    private static int[] groups(String part, boolean mayEndInIpv4) {
        if (part.isEmpty()) {
            return new int[0];
        }
        String[] texts = part.split(":", -1);
        int count = texts.length;
        String last = texts[count - 1];
        boolean ipv4Tail = last.contains(".");
        int[] groups = new int[ipv4Tail ? count + 1 : count];
        for (int i = 0; i < count - (ipv4Tail ? 1 : 0); i++) {
            String group = texts[i];
            if (group.isEmpty() || group.length() > 4) {
                return null;
            }
            for (int c = 0; c < group.length(); c++) {
                if (Character.digit(group.charAt(c), 16) < 0) {
                    return null;
                }
            }
            groups[i] = Integer.parseInt(group, 16);
        }
        if (ipv4Tail) {
            byte[] v4 = mayEndInIpv4 ? parseCanonicalIpv4(last) : null;
            if (v4 == null) {
                return null;
            }
            groups[count - 1] = ((v4[0] & 0xff) << 8) | (v4[1] & 0xff);
            groups[count] = ((v4[2] & 0xff) << 8) | (v4[3] & 0xff);
        }
        return groups;
    }
}
