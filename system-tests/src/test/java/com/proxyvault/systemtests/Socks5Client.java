package com.proxyvault.systemtests;

import javax.net.ssl.SSLContext;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A SOCKS5 client written out byte by byte (RFC 1928 CONNECT with RFC 1929 username/password), so a test
 * sees every status the proxy answers instead of a library's summary of it. Java's own SOCKS support is of no
 * use here: it cannot be made to show the RFC 1929 status or the CONNECT reply code.
 */
final class Socks5Client {

    /** RFC 1928 section 3: the username/password method (RFC 1929). */
    static final int METHOD_USERNAME_PASSWORD = 0x02;
    /** RFC 1928 section 3: no authentication. */
    static final int METHOD_NO_AUTH = 0x00;
    /** RFC 1928 section 3: none of the offered methods is acceptable. */
    static final int NO_ACCEPTABLE_METHODS = 0xFF;

    private Socks5Client() {
    }

    /**
     * What one SOCKS5 conversation came to: the method the server chose, the RFC 1929 status (-1 when the
     * conversation ended before it), the CONNECT reply code (-1 likewise), what the origin answered through
     * the tunnel (null without a tunnel) and whether the server closed the connection after a refusal.
     */
    record Outcome(int method, int authStatus, int replyCode, String response, boolean closedAfterRefusal) {
    }

    /**
     * Offers only the given {@code methods} in the greeting and reports the server's choice; when it is not
     * username/password, also whether the server then closed the connection (RFC 1928: it must).
     */
    static Outcome greet(String proxyHost, int proxyPort, int... methods) throws IOException {
        try (Socket socket = open(proxyHost, proxyPort)) {
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(greeting(methods));
            out.flush();
            byte[] choice = readExactly(in, 2);
            int method = choice[1] & 0xFF;
            return new Outcome(method, -1, -1, null, method != METHOD_USERNAME_PASSWORD && closed(in));
        }
    }

    /**
     * Greets offering username/password, authenticates, sends CONNECT to {@code targetHost:targetPort} (an
     * IPv4 literal goes as ATYP 1, anything else as a domain name, ATYP 3, for the proxy to resolve) and, with
     * the tunnel standing, sends {@code GET path} through it and reads the answer.
     */
    static Outcome connectAndGet(String proxyHost, int proxyPort, String username, String password,
                                 String targetHost, int targetPort, String path) throws IOException {
        return connectAndGet(proxyHost, proxyPort, username, password, targetHost, targetPort, path, null);
    }

    /**
     * As {@link #connectAndGet(String, int, String, String, String, int, String)}, speaking TLS with {@code tls}
     * inside the tunnel (HTTPS through the proxy, the origin's name checked) unless {@code tls} is null.
     */
    static Outcome connectAndGet(String proxyHost, int proxyPort, String username, String password,
                                 String targetHost, int targetPort, String path, SSLContext tls) throws IOException {
        try (Socket socket = open(proxyHost, proxyPort)) {
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(greeting(METHOD_USERNAME_PASSWORD));
            out.flush();
            int method = readExactly(in, 2)[1] & 0xFF;
            if (method != METHOD_USERNAME_PASSWORD) {
                return new Outcome(method, -1, -1, null, closed(in));
            }

            // RFC 1929 section 2: VER=1, ULEN, UNAME, PLEN, PASSWD; the answer is VER, STATUS (0 = success).
            byte[] user = username.getBytes(StandardCharsets.UTF_8);
            byte[] pass = password.getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream auth = new ByteArrayOutputStream();
            auth.write(0x01);
            auth.write(user.length);
            auth.write(user);
            auth.write(pass.length);
            auth.write(pass);
            out.write(auth.toByteArray());
            out.flush();
            int authStatus = readExactly(in, 2)[1] & 0xFF;
            if (authStatus != 0) {
                return new Outcome(method, authStatus, -1, null, closed(in));
            }

            out.write(connectRequest(targetHost, targetPort));
            out.flush();
            int replyCode = readReply(in);
            if (replyCode != 0) {
                return new Outcome(method, authStatus, replyCode, null, closed(in));
            }
            String response = ProxyClient.getThrough(socket, tls, targetHost, targetPort, path);
            return new Outcome(method, authStatus, replyCode, response, false);
        }
    }

    private static Socket open(String host, int port) throws IOException {
        Socket socket = new Socket(host, port);
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static byte[] greeting(int... methods) {
        byte[] greeting = new byte[2 + methods.length];
        greeting[0] = 0x05;
        greeting[1] = (byte) methods.length;
        for (int i = 0; i < methods.length; i++) {
            greeting[2 + i] = (byte) methods[i];
        }
        return greeting;
    }

    /** RFC 1928 section 4: VER=5, CMD=1 (CONNECT), RSV, ATYP, DST.ADDR, DST.PORT (network order). */
    private static byte[] connectRequest(String host, int port) {
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.write(0x05);
        request.write(0x01);
        request.write(0x00);
        if (host.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            request.write(0x01);
            for (String part : host.split("\\.")) {
                request.write(Integer.parseInt(part));
            }
        } else {
            byte[] name = host.getBytes(StandardCharsets.US_ASCII);
            request.write(0x03);
            request.write(name.length);
            request.write(name, 0, name.length);
        }
        request.write(port >> 8);
        request.write(port & 0xFF);
        return request.toByteArray();
    }

    /** RFC 1928 section 6: VER, REP, RSV, ATYP, BND.ADDR, BND.PORT; returns REP, having read the whole reply. */
    private static int readReply(InputStream in) throws IOException {
        byte[] head = readExactly(in, 4);
        int addressLength = switch (head[3]) {
            case 0x01 -> 4;
            case 0x04 -> 16;
            case 0x03 -> readExactly(in, 1)[0] & 0xFF;
            default -> throw new IOException("SOCKS5 reply with address type " + head[3]);
        };
        readExactly(in, addressLength + 2);
        return head[1] & 0xFF;
    }

    private static byte[] readExactly(InputStream in, int n) throws IOException {
        byte[] bytes = in.readNBytes(n);
        if (bytes.length < n) {
            throw new EOFException("the SOCKS5 server closed the connection after " + bytes.length + " of " + n + " bytes");
        }
        return bytes;
    }

    /** True when the server has closed its side: the next read ends the stream (or the connection was reset). */
    private static boolean closed(InputStream in) {
        try {
            return in.read() == -1;
        } catch (IOException reset) {
            return true;
        }
    }
}
