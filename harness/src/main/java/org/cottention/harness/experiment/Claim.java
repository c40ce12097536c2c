package org.cottention.harness.experiment;

import java.util.Locale;

/**
 * One row of claims.csv: a claim (of the paper, paper-spec §10, or one of ours), the test that judges it, the
 * number of observations it rests on, the estimate with its 95 % interval, the threshold, the verdict, and the
 * evidence in words. Untestable and unmeasured rows carry NaN estimates.
 *
 * @param id        "1", "2a", ... for the paper's claims; "R1" ... for ours
 * @param test      how the verdict is reached, e.g. "paired t over 3 seeds: softmax - cosine accuracy"
 * @param n         observations behind the estimate (seeds, pairs, points of a fit)
 * @param threshold what the interval is held against, e.g. "<= 1.3 points"
 */
public record Claim(String id, String statement, String paperEvidence, String test, int n, double estimate, double low,
                    double high, String threshold, Verdict verdict, String evidence) {

    /** A claim whose experiment has not produced its rows. */
    public static Claim notMeasured(String id, String statement, String paperEvidence, String why) {
        return new Claim(id, statement, paperEvidence, "", 0, Double.NaN, Double.NaN, Double.NaN, "", Verdict.NOT_MEASURED,
                why);
    }

    /** A claim judged on an interval. */
    public static Claim of(String id, String statement, String paperEvidence, String test, Stats.Interval x,
                           String threshold, Verdict verdict, String evidence) {
        return new Claim(id, statement, paperEvidence, test, x.n(), x.estimate(), x.low(), x.high(), threshold, verdict,
                evidence);
    }

    /** This claim with another verdict and a note appended (e.g. a profile too small to judge it). */
    public Claim withVerdict(Verdict v, String note) {
        return new Claim(id, statement, paperEvidence, test, n, estimate, low, high, threshold, v,
                note == null || note.isEmpty() ? evidence : evidence + "; " + note);
    }

    /** The sort key: the paper's claims by number, then ours. */
    String sortKey() {
        String digits = id.replaceAll("[^0-9]", "");
        int number = digits.isEmpty() ? 0 : Integer.parseInt(digits);
        return String.format(Locale.ROOT, "%s%04d%s", id.startsWith("R") ? "b" : "a", number, id);
    }
}
