package org.cottention.harness.experiment;

import java.util.Arrays;

/**
 * The statistics the claims rest on, in one place: 95 % intervals with Student's t for small n (over seeds, or
 * over paired seeds), and a least-squares slope with its interval. t quantiles are computed (the regularised
 * incomplete beta function by its continued fraction, inverted by bisection), not looked up.
 */
public final class Stats {
    private Stats() {}

    /** A mean (or a difference of means, or a slope) with its 95 % interval from n observations. */
    public record Interval(int n, double estimate, double low, double high, double sd) {
        /** n observations give no interval below 2: low = high = NaN. */
        public boolean defined() {
            return n >= 2 && Double.isFinite(low) && Double.isFinite(high);
        }

        /** Half the interval's width. */
        public double halfWidth() {
            return (high - low) / 2;
        }
    }

    /** The 95 % t-interval of the mean of xs (NaN entries are not allowed: the caller decides what they mean). */
    public static Interval mean(double[] xs) {
        for (double x : xs) if (Double.isNaN(x)) throw new IllegalArgumentException("NaN in " + Arrays.toString(xs));
        int n = xs.length;
        if (n == 0) return new Interval(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        double mean = Arrays.stream(xs).average().orElse(Double.NaN);
        if (n == 1) return new Interval(1, mean, Double.NaN, Double.NaN, Double.NaN);
        double ss = 0;
        for (double x : xs) ss += (x - mean) * (x - mean);
        double sd = Math.sqrt(ss / (n - 1)), half = tQuantile975(n - 1) * sd / Math.sqrt(n);
        return new Interval(n, mean, mean - half, mean + half, sd);
    }

    /** The 95 % interval of the mean of the paired differences a[i] - b[i] (seed i of each arm shares data and init). */
    public static Interval pairedDifference(double[] a, double[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("paired arms of " + a.length + " and " + b.length);
        double[] d = new double[a.length];
        for (int i = 0; i < d.length; i++) d[i] = a[i] - b[i];
        return mean(d);
    }

    /** The least-squares slope of y on x with its 95 % interval (t with n - 2 degrees of freedom). */
    public static Interval slope(double[] x, double[] y) {
        int n = x.length;
        if (n != y.length) throw new IllegalArgumentException("x and y of different lengths");
        if (n < 2) return new Interval(n, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        double mx = Arrays.stream(x).average().orElse(0), my = Arrays.stream(y).average().orElse(0);
        double sxx = 0, sxy = 0;
        for (int i = 0; i < n; i++) {
            sxx += (x[i] - mx) * (x[i] - mx);
            sxy += (x[i] - mx) * (y[i] - my);
        }
        double b = sxy / sxx;
        if (n == 2) return new Interval(2, b, Double.NaN, Double.NaN, Double.NaN);
        double rss = 0;
        for (int i = 0; i < n; i++) {
            double r = y[i] - my - b * (x[i] - mx);
            rss += r * r;
        }
        double se = Math.sqrt(rss / (n - 2) / sxx), half = tQuantile975(n - 2) * se;
        return new Interval(n, b, b - half, b + half, se);
    }

    /** The 0.975 quantile of Student's t with df degrees of freedom (12.706 for 1, 4.303 for 2, 1.960 as df grows). */
    public static double tQuantile975(int df) {
        if (df < 1) throw new IllegalArgumentException("degrees of freedom must be >= 1, got " + df);
        double lo = 0, hi = 1000;
        for (int i = 0; i < 200; i++) {
            double mid = (lo + hi) / 2;
            if (tCdf(mid, df) < 0.975) lo = mid;
            else hi = mid;
        }
        return (lo + hi) / 2;
    }

    /** P(T <= t) for Student's t with df degrees of freedom. */
    static double tCdf(double t, int df) {
        double x = df / (df + t * t);
        double tail = 0.5 * regularizedBeta(x, df / 2.0, 0.5);
        return t >= 0 ? 1 - tail : tail;
    }

    /** I_x(a, b), the regularised incomplete beta function (Numerical Recipes' betai with betacf). */
    static double regularizedBeta(double x, double a, double b) {
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        double lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
        if (x < (a + 1) / (a + b + 2)) return Math.exp(lnFront) * betaContinuedFraction(x, a, b) / a;
        return 1 - Math.exp(lnFront) * betaContinuedFraction(1 - x, b, a) / b;
    }

    private static double betaContinuedFraction(double x, double a, double b) {
        double tiny = 1e-300, c = 1, d = 1 - (a + b) * x / (a + 1);
        d = 1 / (Math.abs(d) < tiny ? tiny : d);
        double h = d;
        for (int m = 1; m <= 500; m++) {
            int m2 = 2 * m;
            double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
            d = 1 + aa * d;
            d = 1 / (Math.abs(d) < tiny ? tiny : d);
            c = 1 + aa / c;
            if (Math.abs(c) < tiny) c = tiny;
            h *= d * c;
            aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
            d = 1 + aa * d;
            d = 1 / (Math.abs(d) < tiny ? tiny : d);
            c = 1 + aa / c;
            if (Math.abs(c) < tiny) c = tiny;
            double delta = d * c;
            h *= delta;
            if (Math.abs(delta - 1) < 1e-15) break;
        }
        return h;
    }

    /** ln Gamma(x), Lanczos (g = 7, 9 terms; relative error ~1e-15 for x > 0). */
    static double logGamma(double x) {
        double[] c = {0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7};
        if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
        x -= 1;
        double s = c[0];
        for (int i = 1; i < 9; i++) s += c[i] / (x + i);
        double t = x + 7.5;
        return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(s);
    }
}
