package com.proxyvault.systemtests;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * A generator of test inputs drawn from a seeded {@link Random}: just the combinators GeneratedInputIT
 * needs (one of some values, a number in a range, one of some generators, weighted choice, map, flatMap).
 * We keep it ourselves rather than use a property-testing library (docs/conventions.md says why). The
 * same seed gives the same inputs in the same order, so a failing run can be replayed from its seed.
 */
@FunctionalInterface
interface Gen<T> {

    /** The next value; everything random about it comes from {@code random}. */
    T next(Random random);

    default <U> Gen<U> map(Function<? super T, ? extends U> mapper) {
        return random -> mapper.apply(next(random));
    }

    /** A value, then a value of the generator it chooses: e.g. an endpoint, then a bad body for it. */
    default <U> Gen<U> flatMap(Function<? super T, ? extends Gen<? extends U>> mapper) {
        return random -> mapper.apply(next(random)).next(random);
    }

    /**
     * The first {@code count} values, drawn at once: what a test gets then depends only on the seed, never
     * on which tests ran before it or in what order.
     */
    default List<T> sample(Random random, int count) {
        List<T> values = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            values.add(next(random));
        }
        return values;
    }

    /** Any one of the values, each as likely. */
    @SafeVarargs
    static <T> Gen<T> of(T... values) {
        return of(List.of(values));
    }

    /** Any one of the values, each as likely. */
    static <T> Gen<T> of(List<T> values) {
        List<T> copy = List.copyOf(values);
        if (copy.isEmpty()) {
            throw new IllegalArgumentException("nothing to choose from");
        }
        return random -> copy.get(random.nextInt(copy.size()));
    }

    /** An int from {@code min} to {@code max}, both included. */
    static Gen<Integer> between(int min, int max) {
        if (min > max) {
            throw new IllegalArgumentException("empty range " + min + ".." + max);
        }
        return random -> min + random.nextInt(max - min + 1);
    }

    /** A char from {@code min} to {@code max}, both included. */
    static Gen<Character> between(char min, char max) {
        return between((int) min, (int) max).map(code -> (char) code.intValue());
    }

    /** A value of any one of the generators, each as likely. */
    @SafeVarargs
    static <T> Gen<T> oneOf(Gen<? extends T>... generators) {
        List<Gen<? extends T>> choices = List.of(generators);
        return random -> choices.get(random.nextInt(choices.size())).next(random);
    }

    /** A value of one of the generators, each chosen in proportion to its weight. */
    @SafeVarargs
    static <T> Gen<T> frequency(Weighted<? extends T>... choices) {
        List<Weighted<? extends T>> list = List.of(choices);
        int total = list.stream().mapToInt(Weighted::weight).sum();
        return random -> {
            int pick = random.nextInt(total);
            for (Weighted<? extends T> choice : list) {
                pick -= choice.weight();
                if (pick < 0) {
                    return choice.generator().next(random);
                }
            }
            throw new IllegalStateException("weights changed under us");
        };
    }

    static <T> Weighted<T> weight(int weight, Gen<T> generator) {
        return new Weighted<>(weight, generator);
    }

    /** A generator and how often {@link #frequency} chooses it, relative to the others. */
    record Weighted<T>(int weight, Gen<T> generator) {

        public Weighted {
            if (weight <= 0) {
                throw new IllegalArgumentException("weight must be positive: " + weight);
            }
        }
    }
}
