package org.cottention.harness.results;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * One column of a result table, as the results check reads it: its name, what a value must look like, in which
 * rows it must be present, and whether it is a measurement that differs between two runs of the same
 * configuration (times, memory, throughput, provenance) or a result that must come out the same.
 *
 * <p>Every value that is present must have the column's type: {@code NUMBER} a finite decimal number ("NaN" and
 * "Infinity" are problems), {@code INTEGER} a whole number, {@code ONE_OF} one of the listed values, {@code
 * STATUS} "ok" or "skipped: REASON". An empty cell means "does not apply to this row"; a column that is
 * {@link #requiredIn} a row must not be empty there. Requirements apply to rows whose status is ok (a skipped row
 * has no measurements), except for {@link #always()} columns, which every row needs.
 *
 * @param name     the CSV header
 * @param type     what a value must look like
 * @param values   the allowed values of a {@code ONE_OF} column (empty otherwise)
 * @param requiredIn     in which ok rows a value must be present; null: in none
 * @param everyRow       whether every row needs a value, whatever its status
 * @param mustBePositive whether a number must be > 0 (times, memory, rates)
 * @param varying        whether two runs of the same configuration may give different values (timing, provenance)
 */
public record Column(String name, Type type, Set<String> values, Predicate<Map<String, String>> requiredIn,
                     boolean everyRow, boolean mustBePositive, boolean varying) {

    public enum Type { TEXT, INTEGER, NUMBER, ONE_OF, STATUS }

    /**
     * The status of a row: it ran ({@code ok}), it was skipped, with the reason ({@code skipped: ...}), or it ran
     * and diverged ({@code diverged: ...}: a training run whose loss blew up, an outcome the claims count).
     */
    public static final String OK = "ok", SKIPPED = "skipped: ", DIVERGED = "diverged: ";

    private static final java.util.regex.Pattern DECIMAL =
            java.util.regex.Pattern.compile("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?");

    public Column {
        values = Set.copyOf(values);
    }

    public static Column text(String name) {
        return new Column(name, Type.TEXT, Set.of(), null, false, false, false);
    }

    public static Column integer(String name) {
        return new Column(name, Type.INTEGER, Set.of(), null, false, false, false);
    }

    public static Column number(String name) {
        return new Column(name, Type.NUMBER, Set.of(), null, false, false, false);
    }

    public static Column oneOf(String name, String... values) {
        return new Column(name, Type.ONE_OF, Set.of(values), null, false, false, false);
    }

    public static Column status(String name) {
        return new Column(name, Type.STATUS, Set.of(), null, false, false, false).always();
    }

    /** Present in every ok row. */
    public Column required() {
        return requiredWhen(r -> true);
    }

    /** Present in the ok rows that pass the test (e.g. the final row of a run, or the cosine rows). */
    public Column requiredWhen(Predicate<Map<String, String>> rows) {
        return new Column(name, type, values, rows, everyRow, mustBePositive, varying);
    }

    /** Present in every row, skipped or not (what identifies the row). */
    public Column always() {
        return new Column(name, type, values, r -> true, true, mustBePositive, varying);
    }

    public Column positive() {
        return new Column(name, type, values, requiredIn, everyRow, true, varying);
    }

    /** A measurement of the run (time, memory, throughput) or its circumstances: not compared between runs. */
    public Column varies() {
        return new Column(name, type, values, requiredIn, everyRow, mustBePositive, true);
    }

    public static List<String> names(List<Column> columns) {
        return columns.stream().map(Column::name).toList();
    }

    /** What is wrong with this column's cell in a row (row: the whole row, for the requirement), if anything. */
    public Optional<String> problem(Map<String, String> row) {
        String v = row.get(name);
        if (v == null) return Optional.of("column " + name + " is missing");
        if (v.isEmpty()) {
            boolean ok = OK.equals(row.get("status"));
            boolean needed = requiredIn != null && (everyRow || ok) && requiredIn.test(row);
            return needed ? Optional.of(name + " is empty" + (everyRow ? "" : " in a row with status ok")) : Optional.empty();
        }
        switch (type) {
            case TEXT -> {
                return Optional.empty();
            }
            case ONE_OF -> {
                return values.contains(v) ? Optional.empty()
                        : Optional.of(name + " = '" + v + "', expected one of " + new java.util.TreeSet<>(values));
            }
            case STATUS -> {
                boolean known = v.equals(OK) || v.startsWith(SKIPPED) && v.length() > SKIPPED.length()
                        || v.startsWith(DIVERGED) && v.length() > DIVERGED.length();
                return known ? Optional.empty()
                        : Optional.of(name + " = '" + v + "', expected 'ok', 'skipped: REASON' or 'diverged: REASON'");
            }
            case INTEGER -> {
                try {
                    long x = Long.parseLong(v);
                    return mustBePositive && x <= 0 ? Optional.of(name + " = '" + v + "', expected > 0") : Optional.empty();
                } catch (NumberFormatException e) {
                    return Optional.of(name + " = '" + v + "', expected a whole number");
                }
            }
            default -> {
                if (v.equals("NaN") || v.endsWith("Infinity")) return Optional.of(name + " is " + v);
                if (!DECIMAL.matcher(v).matches()) return Optional.of(name + " = '" + v + "', expected a number");
                double x = Double.parseDouble(v);
                return mustBePositive && x <= 0 ? Optional.of(name + " = '" + v + "', expected > 0") : Optional.empty();
            }
        }
    }
}
