package com.proxyvault.fleet.proxies;

import jakarta.persistence.Column;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * {@link Proxy#COLUMNS}, which the native queries reading proxies into the entity select instead of {@code *}, names
 * exactly the columns the entity maps: one it misses fails those queries, and a field added without it too (docs/fleet.md
 * "Removing a column of proxies").
 */
class ProxyColumnsTest {

    @Test
    void shouldNameExactlyTheColumnsTheEntityMaps() {
        Set<String> mapped = Arrays.stream(Proxy.class.getDeclaredFields())
                .filter(f -> !Modifier.isStatic(f.getModifiers()))
                .map(ProxyColumnsTest::column)
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> named = Arrays.stream(Proxy.COLUMNS.split(","))
                .map(String::strip)
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(mapped, named);
    }

    /** The first release of their removal (fleet V28 left them unused): the entity no longer maps them. */
    @Test
    void shouldNoLongerMapTheProxysOwnResetCooldownMarks() {
        assertFalse(Proxy.COLUMNS.contains("last_reset_at"), Proxy.COLUMNS);
        assertFalse(Proxy.COLUMNS.contains("last_hard_reset_at"), Proxy.COLUMNS);
    }

    private static String column(Field field) {
        Column column = field.getAnnotation(Column.class);
        return column == null || column.name().isEmpty() ? field.getName() : column.name();
    }
}
