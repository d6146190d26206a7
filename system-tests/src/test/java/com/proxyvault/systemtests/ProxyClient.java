package com.proxyvault.systemtests;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Speaks HTTP proxy protocol on a plain socket, so the test sees exactly what the proxy answers
 * (no client library silently retrying or negotiating auth).
 */
final class ProxyClient {

    private ProxyClient() {
    }

    static String basic(String username, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** {@code GET http://target/path} through the proxy; returns the whole raw response. */
    static String absoluteFormGet(String proxyHost, int proxyPort, String proxyAuthorization, String targetHostPort, String path) throws IOException {
        try (Socket socket = new Socket(proxyHost, proxyPort)) {
            socket.setSoTimeout(10_000);
            StringBuilder request = new StringBuilder()
                    .append("GET http://").append(targetHostPort).append(path).append(" HTTP/1.1\r\n")
                    .append("Host: ").append(targetHostPort).append("\r\n")
                    .append("Connection: close\r\n");
            if (proxyAuthorization != null) {
                request.append("Proxy-Authorization: ").append(proxyAuthorization).append("\r\n");
            }
            request.append("\r\n");
            socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return readResponse(socket.getInputStream());
        }
    }

    /** CONNECT to the target, then a plain GET inside the tunnel; returns everything read back. */
    static String connectThenGet(String proxyHost, int proxyPort, String proxyAuthorization, String targetHostPort, String path) throws IOException {
        try (Socket socket = new Socket(proxyHost, proxyPort)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("CONNECT " + targetHostPort + " HTTP/1.1\r\nHost: " + targetHostPort + "\r\nProxy-Authorization: "
                    + proxyAuthorization + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String established = readHead(in);
            if (!established.startsWith("HTTP/1.1 200") && !established.startsWith("HTTP/1.0 200")) {
                return established;
            }
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + targetHostPort + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return established + readResponse(in);
        }
    }

    /**
     * CONNECT to the target, then TLS inside the tunnel with {@code tls} (the origin's certificate checked
     * against {@code targetHost}) and a GET over it; returns the CONNECT answer's head and the response.
     */
    static String connectThenHttpsGet(String proxyHost, int proxyPort, String proxyAuthorization, String targetHost,
                                      int targetPort, String path, SSLContext tls) throws IOException {
        try (Socket socket = new Socket(proxyHost, proxyPort)) {
            socket.setSoTimeout(10_000);
            String target = targetHost + ":" + targetPort;
            socket.getOutputStream().write(("CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\nProxy-Authorization: "
                    + proxyAuthorization + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            String established = readHead(socket.getInputStream());
            if (!established.startsWith("HTTP/1.1 200") && !established.startsWith("HTTP/1.0 200")) {
                return established;
            }
            return established + getThrough(socket, tls, targetHost, targetPort, path);
        }
    }

    /**
     * {@code GET path} over an established tunnel, in TLS with {@code tls} when it is not null (host name
     * verified as HTTPS does); returns the response.
     */
    static String getThrough(Socket tunnel, SSLContext tls, String targetHost, int targetPort, String path) throws IOException {
        Socket socket = tunnel;
        if (tls != null) {
            SSLSocket secure = (SSLSocket) tls.getSocketFactory().createSocket(tunnel, targetHost, targetPort, true);
            SSLParameters parameters = secure.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            secure.setSSLParameters(parameters);
            secure.startHandshake();
            socket = secure;
        }
        OutputStream out = socket.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: " + targetHost + ":" + targetPort + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return readResponse(socket.getInputStream());
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        int b;
        while (matched < 4 && (b = in.read()) != -1) {
            head.write(b);
            matched = (b == '\r' || b == '\n') ? matched + 1 : 0;
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    /** One response: its head, then Content-Length bytes of body (or up to EOF without a length). */
    static String readResponse(InputStream in) throws IOException {
        String head = readHead(in);
        int length = -1;
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring("content-length:".length()).trim());
            }
        }
        byte[] body = length >= 0 ? in.readNBytes(length) : in.readAllBytes();
        return head + new String(body, StandardCharsets.UTF_8);
    }
}
