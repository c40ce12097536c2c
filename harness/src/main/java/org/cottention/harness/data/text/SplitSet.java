package org.cottention.harness.data.text;

import java.util.List;
import java.util.function.Function;

/** A data set cut into train, validation and test; no item is in two of them. */
public record SplitSet<T>(List<T> train, List<T> validation, List<T> test) {
    public SplitSet {
        train = List.copyOf(train);
        validation = List.copyOf(validation);
        test = List.copyOf(test);
    }

    public List<T> get(Split split) {
        return switch (split) {
            case TRAIN -> train;
            case VALIDATION -> validation;
            case TEST -> test;
        };
    }

    /** SHA-256 (hex) of the ids of one split, one per line in split order: pins a split in tests and logs. */
    public String digest(Split split, Function<T, String> id) {
        return Splits.digest(get(split).stream().map(id).toList());
    }
}
