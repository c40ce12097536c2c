package org.cottention.harness.data.text;

/** The three splits of every data set. */
public enum Split {
    TRAIN("train"), VALIDATION("validation"), TEST("test");

    private final String label;

    Split(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
