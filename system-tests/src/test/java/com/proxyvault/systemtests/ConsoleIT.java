package com.proxyvault.systemtests;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static com.proxyvault.systemtests.StackApi.reseller;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reseller console ({@code /}) and the operator console ({@code /admin}) in a real browser (Debian's
 * headless Chromium, {@link Browser}) against the running stack: what a reseller does without writing
 * code, end to end through the public API. One browser and one reseller for the whole class, the steps in
 * order (each builds on the one before, as a user's session does); a screenshot of each page goes to
 * {@code target/console-screenshots}. docs/console.md.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleIT {

    private static final String GATEWAY = System.getProperty("proxyvault.gateway.url", "http://localhost:8080");
    private static final Pattern CURL_HTTP = Pattern.compile("curl -x http://([^:@\\s]+):([^@\\s]+)@([^:\\s]+):(\\d+) ");
    private static final Pattern RESET = Pattern.compile("IP changed: (\\S+) → (\\S+)");
    private static final String KEY_STORAGE = "proxyvault.reseller.key";

    private static Browser browser;
    private static StackApi.Reseller account;
    private static HttpServer origin;
    private static LocalServers.WebhookReceiver receiver;

    /** A failed step leaves a screenshot of what the browser showed. */
    @RegisterExtension
    static final TestWatcher SCREENSHOT_ON_FAILURE = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (browser != null) {
                browser.screenshot("failed-" + context.getRequiredTestMethod().getName());
            }
        }
    };

    @BeforeAll
    static void start() throws Exception {
        StackApi.useGateway();
        account = StackApi.newReseller("100.00");
        origin = LocalServers.origin("hello through the console's proxy");
        receiver = new LocalServers.WebhookReceiver();
        browser = Browser.start(GATEWAY);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        if (origin != null) {
            origin.stop(0);
        }
        if (receiver != null) {
            receiver.close();
        }
        if (account != null) {
            // Frees the simulated modem for the other system tests.
            for (var proxy : StackApi.read(reseller(account.key()).get("/v1/reseller/proxies").asString()).path("proxies")) {
                reseller(account.key()).post("/v1/reseller/proxies/" + proxy.get("id").asLong() + "/disconnect");
            }
        }
    }

    @Test
    @Order(1)
    void shouldRefuseAWrongKeyWithTheApiDetailAndKeepNothing() {
        browser.open("/");
        browser.type("#api-key", "rv_not-a-key-of-anyone");
        browser.click("#sign-in-form button[type=submit]");
        String message = browser.awaitText("#sign-in-errors", "Invalid or missing API key");
        assertTrue(message.contains("Invalid or missing API key"), message);
        assertNull(browser.script("return sessionStorage.getItem(arguments[0])", KEY_STORAGE), "a refused key is not kept");
        // `hidden` really hides: a display rule of the stylesheet used to show the navigation while signed out
        assertFalse(browser.find("#nav").isDisplayed(), "the signed-out console shows no navigation");
        browser.screenshot("01-sign-in-refused");
        assertAccessible("sign-in");
    }

    @Test
    @Order(2)
    void shouldSignInAndShowTheBalanceWithItsLedger() {
        browser.type("#api-key", account.key());
        browser.click("#sign-in-form button[type=submit]");
        assertEquals("100.00 USD", browser.awaitText("#balance", "100.00 USD"));
        WebElement ledger = browser.find("tr[data-transaction]");
        assertTrue(ledger.getText().contains("topup"), ledger.getText());
        // The key lives in the tab's sessionStorage only: never in the address bar, never in localStorage.
        assertEquals(account.key(), browser.script("return sessionStorage.getItem(arguments[0])", KEY_STORAGE));
        assertEquals(0L, browser.script("return localStorage.length"));
        assertFalse(browser.driver.getCurrentUrl().contains("rv_"), browser.driver.getCurrentUrl());
        assertTrue(browser.find("#rate-limit").getText().matches("API requests left: \\d+ of 60"), browser.find("#rate-limit").getText());
        browser.screenshot("02-balance");
        assertAccessible("balance");
        // a fragment naming an inherited property of a plain object is no page: the home page, not "Loading…" for good
        browser.open("/#constructor");
        assertEquals("100.00 USD", browser.awaitText("#balance", "100.00 USD"));
    }

    @Test
    @Order(3)
    void shouldRegisterAWebhookShowItsSecretOnceAndListItsDeliveries() {
        browser.open("/#webhooks");
        browser.type("#webhook-url", receiver.url());
        browser.click("#register-webhook button[type=submit]");
        assertTrue(browser.awaitText("#new-secret", "whsec_").contains("shown only once"));
        browser.click("tr[data-webhook] button.send-test");
        browser.awaitText("#deliveries", "Test event queued");
        // The test event reaches the receiver; its attempt is then in the history the page shows.
        await().atMost(java.time.Duration.ofSeconds(20)).until(() -> receiver.deliveries.stream()
                .anyMatch(d -> "webhook.test".equals(d.header("X-ProxyVault-Event"))));
        browser.click("tr[data-webhook] button.show-deliveries");
        browser.await(20, driver -> {
            if (driver.findElements(By.cssSelector("#deliveries tr[data-delivery]")).isEmpty()) {
                driver.findElement(By.cssSelector("#deliveries button.refresh")).click();
                return null;
            }
            return true;
        });
        String row = browser.find("#deliveries tr[data-delivery]").getText();
        assertTrue(row.contains("webhook.test") && row.contains("delivered") && row.contains("204"), row);
        browser.screenshot("03-webhooks");
        assertAccessible("webhooks");
    }

    @Test
    @Order(4)
    void shouldBuyAProxyAndSeeItsOrderGoActiveLive() {
        browser.open("/#buy");
        browser.click("form[data-product] button[type=submit]");
        browser.click("#pay");
        // Polled by the page every 2 s: pending_payment → paid → provisioning → active.
        browser.await(40, driver -> driver.findElement(By.id("order-status")).getText().equals("active"));
        browser.visible("#to-proxies");
        browser.screenshot("04-bought");
        assertAccessible("buy");
    }

    @Test
    @Order(5)
    void shouldCopyCredentialsThatReallyProxy() throws Exception {
        browser.click("#to-proxies");
        WebElement card = browser.visible("article.proxy");
        card.findElement(By.cssSelector("button[aria-label='Copy HTTP curl command']")).click();
        String pasted = browser.clipboard();
        assertEquals(card.findElement(By.cssSelector(".curl-http")).getText(), pasted);
        Matcher curl = CURL_HTTP.matcher(pasted);
        assertTrue(curl.find(), pasted);
        String target = "127.0.0.1:" + origin.getAddress().getPort();
        String answer = ProxyClient.absoluteFormGet(curl.group(3), Integer.parseInt(curl.group(4)),
                ProxyClient.basic(curl.group(1), curl.group(2)), target, "/pasted");
        assertTrue(answer.contains("hello through the console's proxy /pasted"), answer);
        assertTrue(card.findElement(By.cssSelector(".curl-socks")).getText().startsWith("curl --socks5-hostname "));
        browser.screenshot("05-proxies");
        assertAccessible("proxies");
        // Usable at phone width: one column, nothing wider than the screen.
        browser.driver.manage().window().setSize(new org.openqa.selenium.Dimension(390, 844));
        assertEquals(Boolean.TRUE, browser.script("return document.documentElement.scrollWidth <= window.innerWidth"));
        browser.screenshot("05-proxies-phone");
        browser.driver.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 1000));
    }

    @Test
    @Order(6)
    void shouldResetTheIpAndChangeTheFingerprintFromTheProxyCard() {
        String before = browser.find("article.proxy .exit-ip").getText();
        browser.click("article.proxy button.reset");
        Matcher reset = RESET.matcher(browser.awaitText("article.proxy .reset-result", "→"));
        assertTrue(reset.find(), browser.find("article.proxy .reset-result").getText());
        assertEquals(before, reset.group(1));
        assertNotEquals(reset.group(1), reset.group(2));
        assertEquals(reset.group(2), browser.find("article.proxy .exit-ip").getText());
        browser.screenshot("06-reset");
        new Select(browser.find("article.proxy select[id^='fingerprint-']")).selectByValue("linux");
        browser.click("article.proxy button.fingerprint");
        assertEquals("Fingerprint: linux.", browser.awaitText("article.proxy .fingerprint-result", "linux"));
    }

    @Test
    @Order(7)
    void shouldCreateAKeyShowItOnceAndRevokeItAfterConfirmation() {
        browser.open("/#keys");
        browser.type("#key-name", "console-it");
        browser.click("#create-key button[type=submit]");
        String created = browser.visible("#new-key code.key").getText();
        assertTrue(created.startsWith("rv_"), created);
        reseller(created).get("/v1/reseller/balance").then().statusCode(200);
        browser.screenshot("07-key-created");
        assertAccessible("keys");
        WebElement row = browser.await(10, driver -> driver.findElements(By.cssSelector("tr[data-key]")).stream()
                .filter(r -> r.getText().contains("console-it")).findFirst().orElse(null));
        row.findElement(By.cssSelector("button.danger")).click();
        browser.confirm();
        browser.awaitText("#page", "API key revoked");
        assertTrue(browser.driver.findElements(By.cssSelector("tr[data-key]")).stream().noneMatch(r -> r.getText().contains("console-it")));
        // Revocation reaches every gateway replica within 2 s (docs/api.md "API keys").
        await().atMost(java.time.Duration.ofSeconds(5)).untilAsserted(() ->
                reseller(created).get("/v1/reseller/balance").then().statusCode(401));
    }

    @Test
    @Order(8)
    void shouldShowAnOperatorTopUpOnTheResellersBalancePage() {
        browser.open("/admin#resellers");
        browser.type("#operator-token", OperatorToken.sign());
        browser.click("#sign-in-form button[type=submit]");
        String name = null;
        for (var found : StackApi.read(StackApi.operator().get("/v1/admin/resellers?q=" + account.id()).asString()).path("resellers")) {
            if (found.path("id").asLong() == account.id()) {
                name = found.path("name").asText();
            }
        }
        browser.type("#reseller-search", name);
        browser.click("#search-resellers button[type=submit]");
        // The search answer replaces the list: wait for it, so the click below is not on the list it replaced.
        browser.await(10, driver -> driver.findElements(By.cssSelector("tr[data-reseller]")).size() == 1);
        browser.click("tr[data-reseller='" + account.id() + "'] button.open");
        browser.type("#topup-amount", "20.00");
        browser.type("#topup-reference", "console-it-" + account.id());
        browser.click("#topup button[type=submit]");
        // 100.00 − 10.00 (the one-hour proxy) + 20.00
        browser.awaitText("#reseller-balance", "110.00 USD");
        // An adjustment, whose reason the operator's ledger shows (billing's operator listing; operator review 5,
        // LOW 12: no listing showed why an account was adjusted) and the reseller's does not.
        browser.type("#adjust-amount", "5.00");
        browser.type("#adjust-reason", "console-it goodwill");
        browser.type("#adjust-reference", "console-it-adj-" + account.id());
        browser.click("#adjustment button[type=submit]");
        browser.awaitText("#reseller-balance", "115.00 USD");
        String adjusted = browser.awaitText("tr[data-transaction]", "console-it goodwill");
        assertTrue(adjusted.contains("adjustment"), adjusted);
        browser.screenshot("08-operator-topup");
        assertAccessible("operator reseller");
        browser.open("/#balance");
        assertEquals("115.00 USD", browser.awaitText("#balance", "115.00 USD"));
        String newest = browser.find("tr[data-transaction]").getText();
        assertTrue(newest.contains("adjustment") && !newest.contains("console-it goodwill"), newest);
        // Four entries now (top-up, charge, top-up, adjustment): the chart draws them, from 100.00 to 115.00.
        assertEquals("Balance from 100.00 to 115.00 USD over 4 entries", browser.find("svg.chart").getAttribute("aria-label"));
        browser.screenshot("09-balance-after-topup");
    }

    @Test
    @Order(9)
    void shouldShowTheOperatorTheFleetAndTheParkedEvents() {
        browser.open("/admin#fleet"); // still signed in: the token is in this tab's sessionStorage
        WebElement modem = browser.visible("tr[data-modem^='agent-local-1/']");
        assertTrue(modem.getText().contains("online"), modem.getText());
        // The load per location is the whole fleet's (GET /v1/admin/locations), not the modem page's: LAX's row shows
        // as many modems as the fleet has there, however many pages of modems they fill.
        assertTrue(browser.find("#page").getText().contains("Load per location (whole fleet)"));
        int laxModems = StackApi.operator().get("/v1/admin/locations").then().statusCode(200).extract().jsonPath()
                .getInt("locations.find { it.id == 'LAX' }.modems");
        assertTrue(laxModems > 0, "the stack has modems in LAX");
        var lax = browser.visible("tr[data-location='LAX']").findElements(By.tagName("td"));
        assertEquals(8, lax.size(), "Location, Modems, Online, Draining, Proxies (live), Capacity, Free slots, Load");
        assertTrue(lax.get(0).getText().startsWith("LAX"), lax.get(0).getText());
        assertEquals(String.valueOf(laxModems), lax.get(1).getText());
        browser.screenshot("10-operator-fleet");
        assertAccessible("operator fleet");
        browser.open("/admin#parked");
        browser.awaitText("#page", "Parked in orders");
        // Paged like the operator's other lists (operator review: it asked for limit=50 without a pager, so the 51st
        // parked event and later were out of reach). The stack seldom parks 21 events, so Next is followed only when
        // there is a second page; the pager's count is the API's total either way.
        int total = StackApi.operator().get("/v1/admin/services/orders/dead-letters?pending=true&limit=1")
                .then().statusCode(200).extract().jsonPath().getInt("total");
        String pages = "nav.pager[aria-label='Parked event pages']";
        browser.awaitText(pages, total == 0 ? "none" : "1\u2013" + Math.min(20, total) + " of " + total);
        var buttons = browser.find(pages).findElements(By.tagName("button"));
        assertFalse(buttons.get(0).isEnabled(), "no page before the first");
        assertEquals(total > 20, buttons.get(1).isEnabled(), "Next only when there is another page");
        if (total > 20) {
            buttons.get(1).click();
            browser.awaitText(pages, "21\u2013" + Math.min(40, total) + " of " + total);
            assertEquals(Math.min(20, total - 20), browser.driver.findElements(By.cssSelector("tr[data-parked]")).size());
        }
        browser.screenshot("11-operator-parked");
    }

    @Test
    @Order(10)
    void shouldFilterTheOrdersByStatus() {
        browser.open("/#orders");
        browser.visible("tr[data-order]");
        // Each choice loads its page of orders; wait for the list that answers it, not the one it replaces.
        new Select(browser.find("#order-filter")).selectByValue("pending_payment");
        browser.await(10, driver -> driver.findElement(By.id("order-filter")).getAttribute("value").equals("pending_payment")
                && driver.findElements(By.cssSelector("tr[data-order]")).isEmpty());
        new Select(browser.find("#order-filter")).selectByValue("active");
        var rows = browser.await(10, driver -> {
            var listed = driver.findElements(By.cssSelector("tr[data-order]"));
            return listed.isEmpty() ? null : listed;
        });
        assertTrue(rows.stream().allMatch(r -> r.getText().contains("active")), rows.get(0).getText());
    }

    @Test
    @Order(11)
    void shouldMoveTheProxyToAnotherLocationAndDisconnectIt() {
        browser.open("/#proxies");
        WebElement card = browser.visible("article.proxy");
        String before = card.findElement(By.cssSelector(".username")).getText();
        browser.click("article.proxy button.change-location");
        // Another location with a free modem: the page disables the full ones.
        Select locations = new Select(browser.visible("article.proxy select[id^='location-']"));
        String current = locations.getFirstSelectedOption().getAttribute("value");
        String target = locations.getOptions().stream().filter(WebElement::isEnabled).map(o -> o.getAttribute("value"))
                .filter(id -> !id.equals(current)).findFirst().orElseThrow();
        locations.selectByValue(target);
        browser.click("article.proxy button.connect");
        assertTrue(browser.awaitText("#page", "Connected to " + target).contains("new credentials"));
        assertNotEquals(before, browser.find("article.proxy .username").getText(), "connect issues new credentials");
        browser.click("article.proxy button.disconnect");
        browser.confirm();
        browser.awaitText("#page", "Proxy disconnected");
        // Still paid for: listed as disconnected, and can be connected again (Change location…).
        assertEquals("disconnected", browser.find("article.proxy .badge").getText());
        assertTrue(browser.driver.findElements(By.cssSelector("article.proxy button.disconnect")).isEmpty());
        // Its port went back to the agent (docs/fleet.md): no endpoint and no curl line to copy, not "ip:null".
        assertTrue(browser.find("article.proxy .endpoint-none").getText().contains("none while disconnected"));
        assertTrue(browser.driver.findElements(By.cssSelector("article.proxy .curl")).isEmpty());
        browser.screenshot("12-disconnected");
    }

    @Test
    @Order(12)
    void shouldForgetTheKeyOnSignOut() {
        browser.open("/#balance");
        browser.click("#sign-out");
        browser.visible("#api-key");
        assertNull(browser.script("return sessionStorage.getItem(arguments[0])", KEY_STORAGE));
        browser.driver.navigate().refresh();
        browser.visible("#api-key");
        assertTrue(browser.find("#page").getAttribute("hidden") != null, "the signed-out console shows no page");
        assertFalse(browser.find("#nav").isDisplayed(), "the signed-out console shows no navigation");
    }

    /** axe-core finds no serious or critical violation on the page as it is now. */
    private static void assertAccessible(String page) {
        assertEquals(java.util.List.of(), browser.accessibilityViolations(), "accessibility violations on the " + page + " page");
    }
}
