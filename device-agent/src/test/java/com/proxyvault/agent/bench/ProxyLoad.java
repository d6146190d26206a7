package com.proxyvault.agent.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Closed-loop load through a proxy, for bench/proxy. Each of {@code connections} threads repeats one
 * request as fast as answers come back, for {@code seconds}:
 *
 * <ul>
 *   <li>{@code http}: absolute-form {@code GET http://origin/path} with {@code Proxy-Authorization: Basic},
 *       on one kept-alive connection to the proxy per thread;</li>
 *   <li>{@code connect}: per request a new connection, {@code CONNECT origin} with credentials, then one
 *       {@code GET} through the tunnel, then close (the proxy's handshake and origin connect in every request);</li>
 *   <li>{@code socks5}: per request a new connection, SOCKS5 greeting, RFC 1929 username/password, CONNECT to
 *       the origin's IPv4 address, one {@code GET}, close.</li>
 * </ul>
 * A request counts once its whole answer (status 200, Content-Length bytes) was read; latency is from
 * opening the connection (connect/socks5) or writing the request (http) to the last byte.
 *
 * <p>Prints one line: {@code requests=N errors=N seconds=S p50_us=.. p90_us=.. p99_us=.. max_us=.. bytes=N}.
 * Usage: {@code ProxyLoad <mode> <proxyHost:port> <originHost:port> <path> <user> <pass> <connections> <seconds>}
 */
public final class ProxyLoad {

    private final String mode;
    private final InetSocketAddress proxy;
    private final String originHost;
    private final int originPort;
    private final String path;
    private final String authorization;
    private final String user;
    private final String pass;

    private ProxyLoad(String[] args) {
        mode = args[0];
        proxy = address(args[1]);
        InetSocketAddress origin = address(args[2]);
        originHost = origin.getHostString();
        originPort = origin.getPort();
        path = args[3];
        user = args[4];
        pass = args[5];
        authorization = "Basic " + Base64.getEncoder().encodeToString((user + ":" + pass).getBytes(StandardCharsets.UTF_8));
    }

    private static InetSocketAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    public static void main(String[] args) throws Exception {
        ProxyLoad load = new ProxyLoad(args);
        int connections = Integer.parseInt(args[6]);
        double seconds = Double.parseDouble(args[7]);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong errors = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        List<long[]> latencies = new ArrayList<>();
        List<int[]> counts = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            long[] mine = new long[300_000];
            int[] count = new int[1];
            latencies.add(mine);
            counts.add(count);
            threads.add(new Thread(() -> load.loop(running, mine, count, errors, bytes), "load-" + i));
        }
        long start = System.nanoTime();
        threads.forEach(Thread::start);
        Thread.sleep((long) (seconds * 1000));
        running.set(false);
        long elapsed = System.nanoTime() - start;
        for (Thread thread : threads) {
            thread.join(30_000);
        }
        int total = counts.stream().mapToInt(c -> c[0]).sum();
        long[] all = new long[total];
        int at = 0;
        for (int i = 0; i < latencies.size(); i++) {
            System.arraycopy(latencies.get(i), 0, all, at, counts.get(i)[0]);
            at += counts.get(i)[0];
        }
        Arrays.sort(all);
        System.out.printf(Locale.ROOT, "requests=%d errors=%d seconds=%.3f p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f bytes=%d%n",
                total, errors.get(), elapsed / 1e9, pct(all, 0.50), pct(all, 0.90), pct(all, 0.99),
                all.length == 0 ? 0 : all[all.length - 1] / 1e3, bytes.get());
    }

    private static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e3;
    }

    private void loop(AtomicBoolean running, long[] latencies, int[] count, AtomicLong errors, AtomicLong bytes) {
        Socket kept = null;
        while (running.get()) {
            long begin = System.nanoTime();
            try {
                long body;
                if (mode.equals("http")) {
                    if (kept == null) {
                        kept = open();
                    }
                    try {
                        body = httpRequest(kept);
                    } catch (ClosedBeforeAnswer stale) {
                        // The proxy closed the kept-alive connection after the previous answer without saying so
                        // (tinyproxy does): like any HTTP client, send the request again on a new connection.
                        closeQuietly(kept);
                        kept = open();
                        body = httpRequest(kept);
                    }
                    if (body < 0) { // the proxy said Connection: close (tinyproxy does after every answer)
                        body = -body - 1;
                        closeQuietly(kept);
                        kept = null;
                    }
                } else {
                    Socket socket = open();
                    try {
                        if (mode.equals("connect")) {
                            connectTunnel(socket);
                        } else {
                            socks5(socket);
                        }
                        body = tunnelledRequest(socket);
                    } finally {
                        closeQuietly(socket);
                    }
                }
                if (count[0] < latencies.length) {
                    latencies[count[0]++] = System.nanoTime() - begin;
                }
                bytes.addAndGet(body);
            } catch (IOException e) {
                if (errors.incrementAndGet() <= 3) {
                    System.err.println("error: " + e);
                }
                closeQuietly(kept);
                kept = null;
            }
        }
        closeQuietly(kept);
    }

    private Socket open() throws IOException {
        Socket socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(30_000);
        socket.connect(proxy, 10_000);
        return socket;
    }

    private long httpRequest(Socket socket) throws IOException {
        String request = "GET http://" + originHost + ":" + originPort + path + " HTTP/1.1\r\n"
                + "Host: " + originHost + ":" + originPort + "\r\n"
                + "Proxy-Authorization: " + authorization + "\r\n"
                + "Proxy-Connection: keep-alive\r\n\r\n";
        socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        return readResponse(stream(socket));
    }

    private void connectTunnel(Socket socket) throws IOException {
        String request = "CONNECT " + originHost + ":" + originPort + " HTTP/1.1\r\n"
                + "Host: " + originHost + ":" + originPort + "\r\n"
                + "Proxy-Authorization: " + authorization + "\r\n\r\n";
        socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = stream(socket);
        String status = readLine(in);
        if (!status.contains(" 200")) {
            throw new IOException("CONNECT answered " + status);
        }
        while (!readLine(in).isEmpty()) {
            // headers of the 200
        }
    }

    private void socks5(Socket socket) throws IOException {
        OutputStream out = socket.getOutputStream();
        InputStream in = stream(socket);
        if (user.equals("-")) { // no authentication (RFC 1928 method X'00'), for a reference run only
            out.write(new byte[] {5, 1, 0});
            expect(in, 2, 1, 0);
            connectSocks5(out, in);
            return;
        }
        out.write(new byte[] {5, 1, 2});
        expect(in, 2, 1, 2);
        byte[] u = user.getBytes(StandardCharsets.UTF_8);
        byte[] p = pass.getBytes(StandardCharsets.UTF_8);
        byte[] auth = new byte[3 + u.length + p.length];
        auth[0] = 1;
        auth[1] = (byte) u.length;
        System.arraycopy(u, 0, auth, 2, u.length);
        auth[2 + u.length] = (byte) p.length;
        System.arraycopy(p, 0, auth, 3 + u.length, p.length);
        out.write(auth);
        expect(in, 2, 1, 0);
        connectSocks5(out, in);
    }

    private void connectSocks5(OutputStream out, InputStream in) throws IOException {
        byte[] ip = java.net.InetAddress.getByName(originHost).getAddress();
        out.write(new byte[] {5, 1, 0, 1, ip[0], ip[1], ip[2], ip[3], (byte) (originPort >> 8), (byte) originPort});
        byte[] reply = in.readNBytes(4);
        if (reply.length < 4 || reply[1] != 0) {
            throw new IOException("SOCKS5 CONNECT failed");
        }
        int skip = reply[3] == 1 ? 6 : reply[3] == 4 ? 18 : (in.read() + 2);
        in.readNBytes(skip);
    }

    private static void expect(InputStream in, int length, int index, int value) throws IOException {
        byte[] answer = in.readNBytes(length);
        if (answer.length < length || answer[index] != value) {
            throw new IOException("unexpected SOCKS5 answer");
        }
    }

    private long tunnelledRequest(Socket socket) throws IOException {
        String request = "GET " + path + " HTTP/1.1\r\nHost: " + originHost + ":" + originPort + "\r\n\r\n";
        socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        long body = readResponse(stream(socket));
        return body < 0 ? -body - 1 : body;
    }

    /** One stream per socket, buffered, kept on the socket so kept-alive reads don't lose buffered bytes. */
    private final java.util.Map<Socket, InputStream> streams = new java.util.concurrent.ConcurrentHashMap<>();

    private InputStream stream(Socket socket) throws IOException {
        InputStream existing = streams.get(socket);
        if (existing != null) {
            return existing;
        }
        InputStream created = new BufferedInputStream(socket.getInputStream(), 65536);
        streams.put(socket, created);
        return created;
    }

    /** The body length; {@code -(length + 1)} when the answer says {@code Connection: close}. */
    private static long readResponse(InputStream in) throws IOException {
        int first = in.read();
        if (first < 0) {
            throw new ClosedBeforeAnswer();
        }
        String status = (char) first + readLine(in);
        if (!status.startsWith("HTTP/1.") || !status.contains(" 200")) {
            throw new IOException("answer: " + status);
        }
        long length = -1;
        boolean close = status.startsWith("HTTP/1.0");
        String line;
        while (!(line = readLine(in)).isEmpty()) {
            if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
                length = Long.parseLong(line.substring(15).trim());
            } else if (line.regionMatches(true, 0, "connection:", 0, 11)) {
                close = line.substring(11).trim().equalsIgnoreCase("close");
            }
        }
        if (length < 0) {
            throw new IOException("no Content-Length");
        }
        long left = length;
        byte[] sink = new byte[65536];
        while (left > 0) {
            int n = in.read(sink, 0, (int) Math.min(sink.length, left));
            if (n < 0) {
                throw new IOException("short body");
            }
            left -= n;
        }
        return close ? -length - 1 : length;
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) != -1) {
            if (b == '\n') {
                int end = line.length();
                if (end > 0 && line.charAt(end - 1) == '\r') {
                    line.setLength(end - 1);
                }
                return line.toString();
            }
            line.append((char) b);
        }
        throw new IOException("connection closed");
    }

    /** The connection ended before the first byte of an answer. */
    private static final class ClosedBeforeAnswer extends IOException {
        ClosedBeforeAnswer() {
            super("connection closed before an answer");
        }
    }

    private void closeQuietly(Socket socket) {
        if (socket != null) {
            streams.remove(socket);
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
