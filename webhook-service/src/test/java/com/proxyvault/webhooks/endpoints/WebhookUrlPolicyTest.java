package com.proxyvault.webhooks.endpoints;

import com.proxyvault.platform.http.ApiException;
import com.proxyvault.platform.net.HostResolver;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The SSRF table of issue 9 item 5: every blocked range, every refused spelling, and names that resolve
 * to private addresses through a resolver this test controls (no DNS server involved). Each row is a URL
 * and either {@code ok} or a fragment of the refusal's reason.
 */
class WebhookUrlPolicyTest {

    /** What the test's DNS answers; any other name does not resolve. */
    private static final Map<String, List<String>> DNS = Map.of(
            "hooks.example.com", List.of("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"),
            "internal.example.com", List.of("10.0.0.5"),
            "metadata.example.com", List.of("169.254.169.254"),
            "mixed.example.com", List.of("93.184.216.34", "192.168.1.20"),
            "v6-private.example.com", List.of("fd00::1"),
            "loopback.example.com.", List.of("127.0.0.1"),
            "loopback.example.com", List.of("127.0.0.1"));

    private static final HostResolver TEST_DNS = host -> {
        List<String> answer = DNS.get(host);
        if (answer == null) {
            throw new UnknownHostException(host);
        }
        List<InetAddress> addresses = new ArrayList<>();
        for (String address : answer) {
            addresses.add(InetAddress.getByName(address)); // literals only: no lookup
        }
        return addresses;
    };

    private final WebhookUrlPolicy policy = new WebhookUrlPolicy(Set.of("localhost", "127.0.0.1:8443"), TEST_DNS);

    static Stream<String[]> table() {
        return Stream.of(
                // accepted
                row("https://hooks.example.com/webhook", "ok"),
                row("https://HOOKS.example.com./webhook", "ok"),
                row("https://93.184.216.34/hook", "ok"),
                row("https://8.8.8.8:8443/hook", "ok"),
                row("https://[2606:4700::1111]/hook", "ok"),
                row("https://[2002:808:808::1]/", "ok"),              // 6to4 of the public 8.8.8.8
                row("https://172.32.0.1/", "ok"),
                row("https://100.128.0.1/", "ok"),
                row("https://198.20.0.1/", "ok"),
                row("http://localhost:9/hook", "ok"),                // allowlisted host, any port
                row("http://127.0.0.1:8443/hook", "ok"),             // allowlisted host:port
                row("https://hooks.example.com/ok/%C3%BC?x=%C3%BC", "ok"),
                // what cannot be sent as written: refused, not rewritten
                row("https://hooks.example.com/ok/ü", "only ASCII characters, found U+00FC at index 29"),
                row("https://hooks.example.com/?q=ü", "only ASCII"),
                row("https://bücher.example/", "xn--"),
                row("https://hooks.example.com/hook#frag", "fragment"),
                row("https://hooks.example.com/my hook", "not a valid URL"),
                // IPv4 ranges
                row("https://0.0.0.0/", "this network"),
                row("https://0.1.2.3/", "this network"),
                row("https://10.0.0.1/", "private"),
                row("https://100.64.0.1/", "carrier-grade NAT"),
                row("https://100.127.255.254/", "carrier-grade NAT"),
                row("https://127.0.0.1/", "loopback"),                // allowlisted only on 8443
                row("https://127.0.0.1:8444/", "loopback"),
                row("https://127.1.2.3/", "loopback"),
                row("https://169.254.169.254/latest/meta-data/", "link-local"),
                row("https://172.16.0.1/", "private"),
                row("https://172.31.255.255/", "private"),
                row("https://192.0.0.8/", "IETF protocol assignments"),
                row("https://192.0.2.1/", "documentation"),
                row("https://192.88.99.1/", "6to4 relay"),
                row("https://192.168.1.1/", "private"),
                row("https://198.18.0.1/", "benchmarking"),
                row("https://198.19.255.255/", "benchmarking"),
                row("https://198.51.100.7/", "documentation"),
                row("https://203.0.113.7/", "documentation"),
                row("https://224.0.0.1/", "multicast"),
                row("https://239.255.255.250/", "multicast"),
                row("https://240.0.0.1/", "reserved"),
                row("https://255.255.255.255/", "reserved and broadcast"),
                // IPv6 ranges
                row("https://[::]/", "unspecified"),
                row("https://[::1]/", "loopback"),
                row("https://[::8.8.8.8]/", "IPv4-compatible"),
                row("https://[::ffff:127.0.0.1]/", "IPv4-mapped"),
                row("https://[::ffff:7f00:1]/", "IPv4-mapped"),
                row("https://[::ffff:8.8.8.8]/", "IPv4-mapped"),      // the whole family, even a public v4
                row("https://[::ffff:0:10.0.0.1]/", "IPv4-translated"),
                row("https://[64:ff9b::a9fe:a9fe]/", "NAT64"),
                row("https://[64:ff9b::8.8.8.8]/", "NAT64"),
                row("https://[64:ff9b:1::1]/", "NAT64"),
                row("https://[100::1]/", "discard"),
                row("https://[2001::1]/", "Teredo"),
                row("https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "Teredo"),
                row("https://[2001:2::1]/", "benchmarking"),
                row("https://[2001:10::1]/", "ORCHID"),
                row("https://[2001:20::1]/", "ORCHIDv2"),
                row("https://[2001:db8::1]/", "documentation"),
                row("https://[3fff::1]/", "documentation"),
                row("https://[fc00::1]/", "unique local"),
                row("https://[fd00:ec2::254]/", "unique local"),
                row("https://[fe80::1]/", "link-local"),
                row("https://[fec0::1]/", "site-local"),
                row("https://[ff02::1]/", "multicast"),
                row("https://[2002:7f00:1::]/", "6to4 of loopback"),
                row("https://[2002:a00:1::1]/", "6to4 of private"),
                row("https://[2002:a9fe:a9fe::]/", "6to4 of link-local"),
                // spellings that software reads differently: refused whatever they mean
                row("https://0177.0.0.1/", "non-canonical IPv4"),
                row("https://0x7f.0.0.1/", "non-canonical IPv4"),
                row("https://0x7f000001/", "non-canonical IPv4"),
                row("https://2130706433/", "non-canonical IPv4"),
                row("https://017700000001/", "non-canonical IPv4"),
                row("https://127.1/", "non-canonical IPv4"),
                row("https://127.0.1/", "non-canonical IPv4"),
                row("https://10.0.0.010/", "non-canonical IPv4"),
                row("https://93.184.216.034/", "non-canonical IPv4"),
                row("https://256.1.1.1/", "non-canonical IPv4"),
                row("https://127.0.0.1./", "non-canonical IPv4"),
                row("https://foo.0x10/", "non-canonical IPv4"),
                row("https://[fe80::1%25eth0]/", "IPv6"),
                row("https://[::ffff:127.0.0.01]/", "IPv6"),
                row("https://exa_mple.com/", "not a valid DNS name"),
                row("https://-bad.example.com/", "not a valid DNS name"),
                row("https://user:pass@hooks.example.com/", "credentials"),
                row("https://hooks.example.com@10.0.0.1/", "credentials"),
                row("https://@hooks.example.com/", "credentials"),
                row("http://hooks.example.com/", "must use https"),
                row("ftp://hooks.example.com/", "absolute https"),
                row("https:///hook", "must name a host"),
                row("https://hooks.example.com:0/", "port"),
                row("https://hooks.example.com:65536/", "port"),
                // names, through the test's resolver
                row("https://internal.example.com/hook", "resolves to a non-public address (private)"),
                row("https://metadata.example.com/", "resolves to a non-public address (link-local"),
                row("https://mixed.example.com/", "resolves to a non-public address (private)"),
                row("https://v6-private.example.com/", "resolves to a non-public address (unique local)"),
                row("https://loopback.example.com./", "resolves to a non-public address (loopback)"),
                row("https://nowhere.example.com/", "does not resolve"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("table")
    void shouldJudgeEveryUrlOfTheSsrfTable(String url, String expected) {
        String outcome;
        try {
            WebhookTarget target = policy.parse(url);
            policy.resolvePublicAddresses(target);
            outcome = "ok";
        } catch (ApiException e) {
            assertEquals(422, e.status(), url);
            outcome = e.detail();
        } catch (UnsafeWebhookTargetException e) {
            outcome = e.getMessage();
        }
        if (expected.equals("ok")) {
            assertEquals("ok", outcome, url);
        } else if (outcome.equals("ok")) {
            fail(url + " was accepted; expected a refusal mentioning '" + expected + "'");
        } else {
            assertTrue(outcome.contains(expected), url + ": '" + outcome + "' should mention '" + expected + "'");
        }
    }

    private static String[] row(String url, String expected) {
        return new String[] {url, expected};
    }
}
