package com.proxyvault.agent.proxy;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

/**
 * A SOCKS5 client written byte by byte from RFC 1928 and RFC 1929, so tests control and see every
 * octet on the wire. Counts what it wrote and read, to check the proxy's byte counters.
 */
public final class Socks5Client implements Closeable {

    static final int ATYP_IPV4 = 0x01;
    static final int ATYP_DOMAIN = 0x03;

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    long written;
    long read;

    public Socks5Client(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(15_000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    public void send(byte... bytes) throws IOException {
        out.write(bytes);
        out.flush();
        written += bytes.length;
    }

    public void send(String text) throws IOException {
        send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    public byte[] readExactly(int count) throws IOException {
        byte[] bytes = new byte[count];
        in.readFully(bytes);
        read += count;
        return bytes;
    }

    /** Greeting offering {@code methods}; returns the method the server chose (0xFF = none acceptable). */
    public int greet(int... methods) throws IOException {
        byte[] greeting = new byte[2 + methods.length];
        greeting[0] = 0x05;
        greeting[1] = (byte) methods.length;
        for (int i = 0; i < methods.length; i++) {
            greeting[2 + i] = (byte) methods[i];
        }
        send(greeting);
        byte[] answer = readExactly(2);
        if (answer[0] != 0x05) {
            throw new IOException("not a SOCKS5 answer: version " + answer[0]);
        }
        return answer[1] & 0xFF;
    }

    /** RFC 1929 sub-negotiation; returns STATUS (0 = success). */
    public int authenticate(String username, String password) throws IOException {
        byte[] user = username.getBytes(StandardCharsets.UTF_8);
        byte[] pass = password.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.write(0x01);
        request.write(user.length);
        request.writeBytes(user);
        request.write(pass.length);
        request.writeBytes(pass);
        send(request.toByteArray());
        byte[] answer = readExactly(2);
        if (answer[0] != 0x01) {
            throw new IOException("not an RFC 1929 answer: version " + answer[0]);
        }
        return answer[1] & 0xFF;
    }

    /** CONNECT (or another CMD) to a domain name; returns REP (0 = succeeded). */
    public int request(int command, String domain, int port) throws IOException {
        byte[] name = domain.getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes(new byte[] {0x05, (byte) command, 0x00, ATYP_DOMAIN, (byte) name.length});
        request.writeBytes(name);
        request.write(port >> 8);
        request.write(port & 0xFF);
        send(request.toByteArray());
        return readReply();
    }

    /** CONNECT to an IPv4 address given as four octets; returns REP. */
    public int connectIpv4(byte[] address, int port) throws IOException {
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes(new byte[] {0x05, 0x01, 0x00, ATYP_IPV4});
        request.writeBytes(address);
        request.write(port >> 8);
        request.write(port & 0xFF);
        send(request.toByteArray());
        return readReply();
    }

    private int readReply() throws IOException {
        byte[] head = readExactly(4);
        if (head[0] != 0x05) {
            throw new IOException("not a SOCKS5 reply: version " + head[0]);
        }
        int addressLength = switch (head[3]) {
            case 0x01 -> 4;
            case 0x04 -> 16;
            case 0x03 -> readExactly(1)[0] & 0xFF;
            default -> throw new IOException("bad ATYP " + head[3]);
        };
        readExactly(addressLength + 2);
        return head[1] & 0xFF;
    }

    /** Everything until the proxy closes the connection. */
    public String readToEnd() throws IOException {
        byte[] rest = in.readAllBytes();
        read += rest.length;
        return new String(rest, StandardCharsets.ISO_8859_1);
    }

    /** -1 once the proxy closed the connection (a reset counts as closed too). */
    public int readByteOrEnd() throws IOException {
        try {
            int b = in.read();
            if (b >= 0) {
                read++;
            }
            return b;
        } catch (SocketException reset) {
            return -1;
        }
    }

    /** Half-close: FIN to the proxy, reading goes on. */
    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    public InputStream input() {
        return in;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
