package org.cottention.harness.experiment;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/** Small helpers for the generated README: Markdown tables and number formatting. */
final class Markdown {
    private Markdown() {}

    /** A table whose cells are computed from each row by the given functions. */
    static String table(List<String> headers, List<Map<String, String>> rows,
                        List<Function<Map<String, String>, String>> cells) {
        StringBuilder sb = new StringBuilder("| ").append(String.join(" | ", headers)).append(" |\n|");
        sb.append("---|".repeat(headers.size())).append('\n');
        for (Map<String, String> r : rows) {
            sb.append("| ");
            for (int i = 0; i < cells.size(); i++) sb.append(i > 0 ? " | " : "").append(cells.get(i).apply(r));
            sb.append(" |\n");
        }
        return sb.toString();
    }

    /** A cell showing a column as a number with 3 significant digits (or the raw text). */
    static Function<Map<String, String>, String> num(String column) {
        return r -> number(r.getOrDefault(column, ""));
    }

    static Function<Map<String, String>, String> col(String column) {
        return r -> r.getOrDefault(column, "");
    }

    static String number(String text) {
        if (text == null || text.isEmpty()) return "";
        try {
            return number(Double.parseDouble(text));
        } catch (NumberFormatException e) {
            return text;
        }
    }

    static String number(double x) {
        if (Double.isNaN(x)) return "";
        double a = Math.abs(x);
        if (a == 0) return "0";
        if (a >= 1000) return String.format(Locale.ROOT, "%.0f", x);
        if (a >= 100) return String.format(Locale.ROOT, "%.1f", x);
        if (a >= 1) return String.format(Locale.ROOT, "%.2f", x);
        return String.format(Locale.ROOT, "%.3g", x);
    }

    /** A PNG figure (GitHub renders it) with a link to its vector twin, the .svg that {@link Plots} writes beside it. */
    static String image(String png, String alt) {
        if (!png.endsWith(".png")) throw new IllegalArgumentException("a figure link must name its .png: " + png);
        String svg = png.substring(0, png.length() - 4) + ".svg";
        return "![" + alt + "](" + png + ") ([SVG](" + svg + "))\n";
    }
}
