package org.cottention.harness.experiment;

import java.util.Locale;

/**
 * A claim's verdict and the rules that give it, each able to return every outcome (VerdictTest shows each rule
 * doing so on synthetic inputs). A verdict comes from an interval, never from a point estimate alone: more noise
 * makes a verdict less certain, never easier; where the interval cannot decide, the answer is "not testable at this
 * scale" and the interval is printed beside it.
 */
public enum Verdict {
    HELD("held"),
    DID_NOT_HOLD("did not hold"),
    NOT_TESTABLE("not testable at this scale"),
    NOT_MEASURED("not measured");

    private final String label;

    Verdict(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** The label, with the profile named for an untestable verdict ("not testable at this scale (profile smoke)"). */
    public String label(Profile profile) {
        return this == NOT_TESTABLE ? label + " (profile " + profile.label() + ")" : label;
    }

    /**
     * Non-inferiority: the claim "B is within margin of A" for a gap = A - B (positive: B is worse). Held when the
     * whole 95 % interval lies at or below +margin; did not hold when it lies entirely above; otherwise (the
     * interval straddles the margin, or is undefined) not testable with this n.
     */
    public static Verdict withinMargin(Stats.Interval gap, double margin) {
        if (!gap.defined()) return NOT_TESTABLE;
        if (gap.high() <= margin) return HELD;
        if (gap.low() > margin) return DID_NOT_HOLD;
        return NOT_TESTABLE;
    }

    /** A decrease: held when the whole interval lies below 0, did not hold when it lies at or above 0, else not testable. */
    public static Verdict negative(Stats.Interval x) {
        if (!x.defined()) return NOT_TESTABLE;
        if (x.high() < 0) return HELD;
        if (x.low() >= 0) return DID_NOT_HOLD;
        return NOT_TESTABLE;
    }

    /** An increase: held when the whole interval lies above 0, did not hold when at or below 0, else not testable. */
    public static Verdict positive(Stats.Interval x) {
        if (!x.defined()) return NOT_TESTABLE;
        if (x.low() > 0) return HELD;
        if (x.high() <= 0) return DID_NOT_HOLD;
        return NOT_TESTABLE;
    }

    /**
     * A deterministic measurement against a threshold (a memory slope, a size ratio): held when the measured value
     * passes, did not hold when it does not; not measured when the value is missing.
     */
    public static Verdict threshold(double value, boolean passes) {
        if (!Double.isFinite(value)) return NOT_MEASURED;
        return passes ? HELD : DID_NOT_HOLD;
    }

    /** "estimate [low, high]" with the given format, or "estimate (n = 1, no interval)". */
    public static String describe(Stats.Interval x, String format) {
        if (!x.defined()) {
            return String.format(Locale.ROOT, format, x.estimate()) + " (n = " + x.n() + ", no interval)";
        }
        return String.format(Locale.ROOT, format + " [" + format + ", " + format + "]", x.estimate(), x.low(), x.high());
    }
}
