package com.proxyvault.agent.bench;

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
 *   <li>{@code connect-keep} / {@code socks5-keep}: one tunnel per thread (as above), kept: every request is one
 *       more kept-alive {@code GET} to the origin through it (the proxy only relays bytes).</li>
 * </ul>
 * In {@code connect} and {@code socks5} the tunnelled {@code GET} says {@code Connection: close}: the origin then
 * closes first, so each connection's TIME_WAIT stays on the origin's side. Otherwise the proxy closes its origin
 * connection first and holds the TIME_WAIT on a local port; a proxy that binds every outgoing socket before
 * connecting (dante binds to its {@code external:} address) can then not reuse those ports for 60 s and runs out
 * of ephemeral ports at a few hundred connections per second, while one that lets {@code connect} pick the port
 * (the agent, tinyproxy) may reuse them. The same request goes through every proxy.
 * A request counts once its whole answer (status 200, Content-Length bytes) was read; latency is from
 * opening the connection (connect/socks5) or writing the request (http) to the last byte.
 *
 * <p>With {@code warmupSeconds} (default 0) the same loop first runs that long unmeasured in this JVM, so the
 * tool's own JIT compilation and class loading are over before the measured part, and it prints {@code measuring}
 * when measurement starts and {@code measured} when it ends (bench/proxy reads the proxies' CPU at those lines).
 * The tool is lean on purpose: it shares the machine's cores with the proxy under test, so whatever it spends per
 * request is taken from that proxy (one reused buffer per thread, no per-request allocation of buffers, no
 * synchronized byte-at-a-time reads).
 *
 * <p>Prints as last line: {@code requests=N errors=N seconds=S p50_us=.. p90_us=.. p99_us=.. max_us=.. bytes=N}.
 * Usage: {@code ProxyLoad <mode> <proxyHost:port> <originHost:port> <path> <user> <pass> <connections> <seconds> [warmupSeconds]}
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
    /** False during the warm-up: requests then count nowhere. */
    private volatile boolean measuring;

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
        load.prepareRequests();
        int connections = Integer.parseInt(args[6]);
        double seconds = Double.parseDouble(args[7]);
        double warmup = args.length > 8 ? Double.parseDouble(args[8]) : 0;
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
            Thread thread = new Thread(() -> load.loop(running, mine, count, errors, bytes), "load-" + i);
            // Daemons: a thread stuck on a proxy that never answers is abandoned at the end, not waited for.
            thread.setDaemon(true);
            threads.add(thread);
        }
        threads.forEach(Thread::start);
        if (warmup > 0) {
            Thread.sleep((long) (warmup * 1000));
        }
        load.measuring = true;
        long start = System.nanoTime();
        System.out.println("measuring");
        System.out.flush();
        Thread.sleep((long) (seconds * 1000));
        running.set(false);
        long elapsed = System.nanoTime() - start;
        System.out.println("measured");
        System.out.flush();
        long joinDeadline = System.nanoTime() + 10_000_000_000L; // each thread finishes its request in flight
        for (Thread thread : threads) {
            thread.join(Math.max(1, (joinDeadline - System.nanoTime()) / 1_000_000));
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
        Wire wire = new Wire();
        Socket kept = null;
        while (running.get()) {
            long begin = System.nanoTime();
            try {
                long body;
                if (mode.equals("http")) {
                    if (kept == null) {
                        kept = open();
                        wire.attach(kept);
                    }
                    try {
                        body = httpRequest(kept, wire);
                    } catch (ClosedBeforeAnswer stale) {
                        // The proxy closed the kept-alive connection after the previous answer without saying so
                        // (tinyproxy does): like any HTTP client, send the request again on a new connection.
                        closeQuietly(kept);
                        kept = open();
                        wire.attach(kept);
                        body = httpRequest(kept, wire);
                    }
                    if (body < 0) { // the proxy said Connection: close (tinyproxy does after every answer)
                        body = -body - 1;
                        closeQuietly(kept);
                        kept = null;
                    }
                } else if (mode.endsWith("-keep")) {
                    if (kept == null) {
                        kept = open();
                        wire.attach(kept);
                        if (mode.equals("connect-keep")) {
                            connectTunnel(kept, wire);
                        } else {
                            socks5(kept, wire);
                        }
                    }
                    kept.getOutputStream().write(keptTunnelRequestBytes);
                    body = readResponse(wire);
                    if (body < 0) { // the origin ends the kept-alive connection: the next request opens a new tunnel
                        body = -body - 1;
                        closeQuietly(kept);
                        kept = null;
                    }
                } else {
                    Socket socket = open();
                    wire.attach(socket);
                    try {
                        if (mode.equals("connect")) {
                            connectTunnel(socket, wire);
                        } else {
                            socks5(socket, wire);
                        }
                        body = tunnelledRequest(socket, wire);
                    } finally {
                        closeQuietly(socket);
                    }
                }
                if (measuring) {
                    if (count[0] < latencies.length) {
                        latencies[count[0]++] = System.nanoTime() - begin;
                    }
                    bytes.addAndGet(body);
                }
            } catch (IOException e) {
                if (measuring && errors.incrementAndGet() <= 3) {
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
        // No SO_TIMEOUT and no connect timeout: with either, the JDK switches the socket to non-blocking and
        // polls before every read (three system calls instead of one), which the proxy under test would pay
        // for on the shared cores. A hung proxy costs its thread only (daemon threads, joined with a limit).
        socket.connect(proxy);
        return socket;
    }

    private long httpRequest(Socket socket, Wire wire) throws IOException {
        socket.getOutputStream().write(httpRequestBytes);
        return readResponse(wire);
    }

    private void connectTunnel(Socket socket, Wire wire) throws IOException {
        socket.getOutputStream().write(connectRequestBytes);
        String status = wire.readLine();
        if (!status.contains(" 200")) {
            throw new IOException("CONNECT answered " + status);
        }
        while (!wire.readLine().isEmpty()) {
            // headers of the 200
        }
    }

    private void socks5(Socket socket, Wire wire) throws IOException {
        OutputStream out = socket.getOutputStream();
        if (user.equals("-")) { // no authentication (RFC 1928 method X'00'), for a reference run only
            out.write(new byte[] {5, 1, 0});
            expect(wire, 2, 1, 0);
            connectSocks5(out, wire);
            return;
        }
        out.write(new byte[] {5, 1, 2});
        expect(wire, 2, 1, 2);
        out.write(socksAuthBytes);
        expect(wire, 2, 1, 0);
        connectSocks5(out, wire);
    }

    private void connectSocks5(OutputStream out, Wire wire) throws IOException {
        out.write(socksConnectBytes);
        byte[] reply = wire.readBytes(4);
        if (reply[1] != 0) {
            throw new IOException("SOCKS5 CONNECT failed");
        }
        int skip = reply[3] == 1 ? 6 : reply[3] == 4 ? 18 : (wire.readBytes(1)[0] & 0xff) + 2;
        wire.skip(skip);
    }

    private static void expect(Wire wire, int length, int index, int value) throws IOException {
        byte[] answer = wire.readBytes(length);
        if (answer[index] != value) {
            throw new IOException("unexpected SOCKS5 answer");
        }
    }

    private long tunnelledRequest(Socket socket, Wire wire) throws IOException {
        socket.getOutputStream().write(tunnelledRequestBytes);
        long body = readResponse(wire);
        return body < 0 ? -body - 1 : body;
    }

    // Every request is the same bytes: built once.
    private byte[] httpRequestBytes;
    private byte[] connectRequestBytes;
    private byte[] tunnelledRequestBytes;
    private byte[] keptTunnelRequestBytes;
    private byte[] socksAuthBytes;
    private byte[] socksConnectBytes;

    private void prepareRequests() throws IOException {
        String hostPort = originHost + ":" + originPort;
        httpRequestBytes = ("GET http://" + hostPort + path + " HTTP/1.1\r\n" + "Host: " + hostPort + "\r\n"
                + "Proxy-Authorization: " + authorization + "\r\n" + "Proxy-Connection: keep-alive\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        connectRequestBytes = ("CONNECT " + hostPort + " HTTP/1.1\r\n" + "Host: " + hostPort + "\r\n"
                + "Proxy-Authorization: " + authorization + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        // Connection: close, so the origin closes first and its side keeps the TIME_WAIT (see the class comment).
        tunnelledRequestBytes = ("GET " + path + " HTTP/1.1\r\nHost: " + hostPort + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        keptTunnelRequestBytes = ("GET " + path + " HTTP/1.1\r\nHost: " + hostPort + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        byte[] u = user.getBytes(StandardCharsets.UTF_8);
        byte[] p = pass.getBytes(StandardCharsets.UTF_8);
        socksAuthBytes = new byte[3 + u.length + p.length];
        socksAuthBytes[0] = 1;
        socksAuthBytes[1] = (byte) u.length;
        System.arraycopy(u, 0, socksAuthBytes, 2, u.length);
        socksAuthBytes[2 + u.length] = (byte) p.length;
        System.arraycopy(p, 0, socksAuthBytes, 3 + u.length, p.length);
        byte[] ip = java.net.InetAddress.getByName(originHost).getAddress();
        socksConnectBytes = new byte[] {5, 1, 0, 1, ip[0], ip[1], ip[2], ip[3], (byte) (originPort >> 8), (byte) originPort};
    }

    /** The body length; {@code -(length + 1)} when the answer says {@code Connection: close}. */
    private static long readResponse(Wire wire) throws IOException {
        if (!wire.fill()) {
            throw new ClosedBeforeAnswer();
        }
        String status = wire.readLine();
        if (!status.startsWith("HTTP/1.") || !status.contains(" 200")) {
            throw new IOException("answer: " + status);
        }
        long length = -1;
        boolean close = status.startsWith("HTTP/1.0");
        String line;
        while (!(line = wire.readLine()).isEmpty()) {
            if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
                length = Long.parseLong(line.substring(15).trim());
            } else if (line.regionMatches(true, 0, "connection:", 0, 11)) {
                close = line.substring(11).trim().equalsIgnoreCase("close");
            }
        }
        if (length < 0) {
            throw new IOException("no Content-Length");
        }
        wire.skip(length);
        return close ? -length - 1 : length;
    }

    /**
     * One thread's reading side: a buffer of its own, reused for every connection the thread opens (a
     * connection's unread bytes stay in it for the next answer on a kept-alive connection).
     */
    private static final class Wire {
        private final byte[] buffer = new byte[65536];
        private int position;
        private int limit;
        private InputStream in;

        void attach(Socket socket) throws IOException {
            in = socket.getInputStream();
            position = 0;
            limit = 0;
        }

        /** True once at least one byte is buffered; false at the end of the stream. */
        boolean fill() throws IOException {
            if (position < limit) {
                return true;
            }
            int n = in.read(buffer, 0, buffer.length);
            if (n <= 0) {
                return false;
            }
            position = 0;
            limit = n;
            return true;
        }

        String readLine() throws IOException {
            StringBuilder line = null;
            while (true) {
                if (!fill()) {
                    throw new IOException("connection closed");
                }
                int start = position;
                while (position < limit && buffer[position] != '\n') {
                    position++;
                }
                boolean complete = position < limit;
                int end = position;
                if (complete) {
                    position++; // the '\n'
                }
                if (line == null && complete) {
                    if (end > start && buffer[end - 1] == '\r') {
                        end--;
                    }
                    return new String(buffer, start, end - start, StandardCharsets.ISO_8859_1);
                }
                if (line == null) {
                    line = new StringBuilder();
                }
                line.append(new String(buffer, start, end - start, StandardCharsets.ISO_8859_1));
                if (complete) {
                    int length = line.length();
                    if (length > 0 && line.charAt(length - 1) == '\r') {
                        line.setLength(length - 1);
                    }
                    return line.toString();
                }
            }
        }

        byte[] readBytes(int count) throws IOException {
            byte[] out = new byte[count];
            int at = 0;
            while (at < count) {
                if (!fill()) {
                    throw new IOException("short answer");
                }
                int n = Math.min(count - at, limit - position);
                System.arraycopy(buffer, position, out, at, n);
                position += n;
                at += n;
            }
            return out;
        }

        void skip(long count) throws IOException {
            long left = count;
            while (left > 0) {
                if (!fill()) {
                    throw new IOException("short body");
                }
                int n = (int) Math.min(left, limit - position);
                position += n;
                left -= n;
            }
        }
    }

    /** The connection ended before the first byte of an answer. */
    private static final class ClosedBeforeAnswer extends IOException {
        ClosedBeforeAnswer() {
            super("connection closed before an answer");
        }
    }

    private static void closeQuietly(Socket socket) {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
