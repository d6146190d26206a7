package com.proxyvault.agent.modems;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static com.proxyvault.agent.modems.RecordedMmcli.BEARER_0;
import static com.proxyvault.agent.modems.RecordedMmcli.BEARER_1;
import static com.proxyvault.agent.modems.RecordedMmcli.BEARER_3;
import static com.proxyvault.agent.modems.RecordedMmcli.MODEM_0;
import static com.proxyvault.agent.modems.RecordedMmcli.MODEM_1;
import static com.proxyvault.agent.modems.RecordedMmcli.MODEM_2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ModemManager driver against mmcli outputs in src/test/resources/mmcli (not a real modem: see the README there). */
class ModemManagerDriverTest {

    private static final String IMEI = "866123040000001";
    private static final ModemSpec SPEC = new ModemSpec("lax-9", "LAX", true, IMEI);
    private static final ModemManagerSettings SETTINGS = new ModemManagerSettings("internet", Duration.ofMillis(10), Duration.ofMillis(200));

    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
    private final RecordedMmcli mmcli = new RecordedMmcli();
    private final ModemManagerDriver driver = new ModemManagerDriver(SPEC, mmcli, SETTINGS, timers);

    @AfterEach
    void stopTimers() {
        timers.shutdownNow();
    }

    private RecordedMmcli connectedModem0() {
        return mmcli.on("-L -K", "list-modem-0.txt")
                .on("-m " + MODEM_0 + " -K", "modem-0-connected.txt")
                .on("-b " + BEARER_0 + " -K", "bearer-0-initial.txt");
    }

    @Test
    void shouldParseKeyValueOutputWithPaddingEmptyValuesListsAndColonsInValues() {
        Map<String, String> values = Mmcli.keyValues(RecordedMmcli.resource("modem-0-connected.txt"));
        assertEquals(IMEI, values.get("modem.generic.equipment-identifier"));
        assertEquals("/sys/devices/pci0000:00/0000:00:14.0/usb2/2-1", values.get("modem.generic.device"));
        assertFalse(values.containsKey("modem.generic.state-failed-reason"), "-- means no value");
        assertEquals(List.of(BEARER_0, BEARER_1), Mmcli.listValues(values, "modem.generic.bearers"));
    }

    @Test
    void shouldReadStateFromTheConnectedBearer() {
        connectedModem0().on("-b " + BEARER_1 + " -K", "bearer-1-connected.txt");

        driver.refresh().toCompletableFuture().join();

        assertTrue(driver.online());
        assertEquals("10.64.12.34", driver.exitIp());
        assertEquals(Optional.of("wwan0"), driver.interfaceName());
        assertEquals("10.64.12.34", driver.egressBindAddress().orElseThrow().getHostAddress(), "egress binds to the bearer's address");
    }

    @Test
    void shouldFindItsModemByEquipmentIdentifierAmongOthers() {
        mmcli.on("-L -K", "list-modem-1.txt")
                .on("-m " + MODEM_2 + " -K", "modem-other.txt")
                .on("-m " + MODEM_1 + " -K", "modem-1-connected.txt")
                .on("-b " + BEARER_3 + " -K", "bearer-3-connected.txt");

        driver.refresh().toCompletableFuture().join();

        assertEquals("10.71.3.9", driver.exitIp());
        assertTrue(mmcli.calls().contains("-m " + MODEM_2 + " -K"), "the other modem was looked at and passed over");
    }

    @Test
    void shouldReportOfflineWithoutADataSessionOrWhenTheModemIsGone() {
        mmcli.on("-L -K", "list-modem-0.txt", "list-empty.txt").on("-m " + MODEM_0 + " -K", "modem-0-registered.txt");

        driver.refresh().toCompletableFuture().join();
        assertFalse(driver.online(), "registered but not connected");
        assertEquals(Optional.empty(), driver.egressBindAddress());

        driver.refresh().toCompletableFuture().join();
        assertFalse(driver.online(), "not listed at all");
    }

    @Test
    void shouldFastResetWithSimpleDisconnectAndSimpleConnectAndReportTheNewAddress() {
        connectedModem0()
                .on("-b " + BEARER_1 + " -K", "bearer-1-connected.txt", "bearer-1-reconnected.txt")
                .on("-m " + MODEM_0 + " --simple-disconnect", "")
                .on("-m " + MODEM_0 + " --simple-connect=apn=internet", "");
        driver.refresh().toCompletableFuture().join();
        mmcli.calls().clear();

        String newIp = driver.resetIp(ResetMode.FAST).toCompletableFuture().join();

        assertEquals("10.64.98.7", newIp);
        assertEquals("10.64.98.7", driver.exitIp());
        assertTrue(driver.online());
        List<String> calls = mmcli.calls();
        assertTrue(calls.indexOf("-m " + MODEM_0 + " --simple-disconnect") < calls.indexOf("-m " + MODEM_0 + " --simple-connect=apn=internet"),
                calls.toString());
    }

    @Test
    void shouldReportTheSameAddressWhenTheCarrierHandsItBack() {
        connectedModem0()
                .on("-b " + BEARER_1 + " -K", "bearer-1-connected.txt")
                .on("-m " + MODEM_0 + " --simple-disconnect", "")
                .on("-m " + MODEM_0 + " --simple-connect=apn=internet", "");
        driver.refresh().toCompletableFuture().join();

        assertEquals("10.64.12.34", driver.resetIp(ResetMode.FAST).toCompletableFuture().join(),
                "what the modem says after the reset, not what was hoped for: the fleet verifies");
    }

    @Test
    void shouldHardResetAndFindTheModemAgainUnderItsNewIndex() {
        mmcli.on("-L -K", "list-modem-0.txt", "list-empty.txt", "list-empty.txt", "list-modem-1.txt")
                .on("-m " + MODEM_0 + " -K", "modem-0-connected.txt")
                .on("-b " + BEARER_0 + " -K", "bearer-0-initial.txt")
                .on("-m " + MODEM_0 + " --reset", "")
                .on("-m " + MODEM_2 + " -K", "modem-other.txt")
                .on("-m " + MODEM_1 + " -K", "modem-1-connected.txt")
                .on("-m " + MODEM_1 + " --simple-connect=apn=internet", "")
                .on("-b " + BEARER_3 + " -K", "bearer-3-connected.txt");

        String newIp = driver.resetIp(ResetMode.HARD).toCompletableFuture().join();

        assertEquals("10.71.3.9", newIp);
        assertTrue(driver.online());
        assertTrue(mmcli.calls().contains("-m " + MODEM_1 + " --simple-connect=apn=internet"), mmcli.calls().toString());
    }

    @Test
    void shouldFailAHardResetWhenTheModemDoesNotComeBack() {
        mmcli.on("-L -K", "list-modem-0.txt", "list-empty.txt")
                .on("-m " + MODEM_0 + " -K", "modem-0-connected.txt")
                .on("-m " + MODEM_0 + " --reset", "");

        CompletionException failure = assertThrows(CompletionException.class,
                () -> driver.resetIp(ResetMode.HARD).toCompletableFuture().join());
        assertInstanceOf(ModemException.class, failure.getCause());
        assertTrue(failure.getCause().getMessage().contains("did not come back"), failure.getCause().getMessage());
    }

    @Test
    void shouldPassMmcliErrorsOnAsTheResetFailure() {
        connectedModem0()
                .on("-b " + BEARER_1 + " -K", "bearer-1-connected.txt")
                .on("-m " + MODEM_0 + " --simple-disconnect", "")
                .on("-m " + MODEM_0 + " --simple-connect=apn=internet",
                        RecordedMmcli.FAILS + "error: couldn't connect the modem: 'GDBus.Error:org.freedesktop.ModemManager1.Error.MobileEquipment.GprsServiceOptionNotSubscribed'");

        CompletionException failure = assertThrows(CompletionException.class,
                () -> driver.resetIp(ResetMode.FAST).toCompletableFuture().join());
        assertInstanceOf(ModemException.class, failure.getCause());
        assertTrue(failure.getCause().getMessage().contains("GprsServiceOptionNotSubscribed"), failure.getCause().getMessage());
    }
}
