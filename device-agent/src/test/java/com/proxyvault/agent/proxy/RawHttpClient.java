package com.proxyvault.agent.proxy;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Speaks HTTP/1.1 over a plain socket, byte for byte as written, so tests control exactly what a
 * proxy client sends (absolute-form, CONNECT, Proxy-Authorization) and see exactly what comes back.
 */
public final class RawHttpClient implements Closeable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    public RawHttpClient(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(15_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    public static String basic(String username, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    public RawHttpClient send(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
        return this;
    }

    /** Reads one response: status line, headers, and a Content-Length or chunked body if there is one. */
    public Response readResponse() throws IOException {
        String statusLine = readLine();
        if (statusLine == null) {
            throw new IOException("Connection closed before a response");
        }
        Map<String, String> headers = new HashMap<>();
        String line;
        while ((line = readLine()) != null && !line.isEmpty()) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        String body = "";
        if (headers.containsKey("content-length")) {
            byte[] bytes = in.readNBytes(Integer.parseInt(headers.get("content-length")));
            body = new String(bytes, StandardCharsets.UTF_8);
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            body = readChunkedBody();
        }
        return new Response(Integer.parseInt(statusLine.split(" ")[1]), statusLine, headers, body);
    }

    /** The decoded content of one chunked body (chunk extensions and trailers skipped), read up to its last chunk. */
    public String readChunkedBody() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int size;
        while ((size = Integer.parseInt(readLine().split(";")[0].trim(), 16)) > 0) {
            body.write(in.readNBytes(size));
            readLine(); // the CRLF after each chunk
        }
        String trailer;
        while ((trailer = readLine()) != null && !trailer.isEmpty()) {
            // trailers are not interesting here
        }
        return body.toString(StandardCharsets.UTF_8);
    }

    /**
     * One response head exactly as received: status line, field lines and the empty line, each with its CRLF, decoded
     * as ISO-8859-1 (one char per byte). Fails if the connection ends first.
     */
    public String readHead() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (head.size() < 4 || !head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b == -1) {
                throw new IOException("Connection closed after " + head.size() + " bytes of a head: " + head.toString(StandardCharsets.ISO_8859_1));
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /** Every byte until the proxy closes the connection (ISO-8859-1); the socket timeout fails a proxy that never does. */
    public String readToEnd() throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    /** Exactly {@code count} raw bytes (tunnel traffic); fails if the connection ends first. */
    public byte[] readBytes(int count) throws IOException {
        byte[] bytes = in.readNBytes(count);
        if (bytes.length < count) {
            throw new IOException("Connection closed after " + bytes.length + " of " + count + " bytes");
        }
        return bytes;
    }

    /** Sends raw bytes as they are, in one write. */
    public RawHttpClient sendBytes(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Half-close: FIN to the proxy, reading goes on. */
    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    /** -1 once the proxy closed the connection. */
    public int read() throws IOException {
        return in.read();
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1) {
            if (b == '\n') {
                String text = line.toString(StandardCharsets.UTF_8);
                return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    public record Response(int status, String statusLine, Map<String, String> headers, String body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }
}
