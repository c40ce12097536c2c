#!/usr/bin/env python3
"""Times PyTorch's scaled_dot_product_attention on this machine's GPU, for comparison with our CUDA kernels.

Causal self-attention at N = 1, H heads of width d, over sequence lengths: forward, forward + backward, and one
decoding query over s cached keys. bf16 runs on the FlashAttention backend, float32 on the memory-efficient backend
(FlashAttention has no float32 kernel); the backend actually used is recorded. CUDA events, warm-up, median of up to
10 calls (or 1 s). Writes OUT/sdpa.csv with the columns of GpuCheck's kernels.csv (percentages are left to
GpuCheck, which knows the device's peaks). Called by scripts/gpu-check.sh; needs torch with CUDA.
"""
import argparse
import csv
import os
import statistics
import sys
import time

COLUMNS = ("device,impl,precision,mode,pass,batch,heads,length,key_dim,value_dim,runs,median_ms,min_ms,bytes,"
           "gb_per_s,pct_peak_bandwidth,flops,tflop_per_s,pct_peak_fp32,flop_model,note").split(",")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="results/gpu")
    ap.add_argument("--heads", type=int, default=16)
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--lengths", default="1024,2048,4096,8192,16384,32768,65536")
    ap.add_argument("--budget-seconds", type=float, default=90)
    args = ap.parse_args()
    deadline = time.monotonic() + args.budget_seconds

    import torch
    import torch.nn.functional as F
    if not torch.cuda.is_available():
        print("sdpa_bench: torch sees no CUDA device", file=sys.stderr)
        return 3
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel

        def backend(name):
            return sdpa_kernel({"flash": SDPBackend.FLASH_ATTENTION, "efficient": SDPBackend.EFFICIENT_ATTENTION}[name])
    except ImportError:  # torch < 2.3
        def backend(name):
            return torch.backends.cuda.sdp_kernel(enable_flash=name == "flash", enable_mem_efficient=name == "efficient",
                                                  enable_math=False)

    dev = torch.device("cuda")
    name = torch.cuda.get_device_name(0).replace(",", " ")
    h, d = args.heads, args.width
    rows = []

    def timed(fn):
        """(median ms, min ms, runs) of fn with CUDA events, or None when the deadline leaves no room."""
        if time.monotonic() > deadline:
            return None
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)

        def once():
            start.record()
            fn()
            stop.record()
            stop.synchronize()
            return start.elapsed_time(stop)

        first = once()
        if first < 50:
            once()
        times, total = [], 0.0
        while len(times) < 10 and not (total >= 1000 and len(times) >= 3) and total < 3000:
            if (deadline - time.monotonic()) * 1e3 < 2 * first:
                break
            t = once()
            times.append(t)
            total += t
        if not times:
            return None
        return statistics.median(times), min(times), len(times)

    def add(precision, pass_, s, result, bytes_, flops, note):
        base = dict(device=name, impl="torch-sdpa", precision=precision, mode="causal", **{"pass": pass_}, batch=1,
                    heads=h, length=s, key_dim=d, value_dim=d, bytes=f"{bytes_:.0f}", flops=f"{flops:.4g}",
                    flop_model="fa-convention", pct_peak_bandwidth="", pct_peak_fp32="")
        if result is None:
            base.update(runs=0, median_ms="NaN", min_ms="NaN", gb_per_s="NaN", tflop_per_s="NaN",
                        note=note if note.startswith(("skipped", "failed")) else "skipped: time budget")
        else:
            med, mn, runs = result
            base.update(runs=runs, median_ms=f"{med:.4f}", min_ms=f"{mn:.4f}", gb_per_s=f"{bytes_ / (med / 1e3) / 1e9:.1f}",
                        tflop_per_s=f"{flops / (med / 1e3) / 1e12:.3f}", note=note)
        rows.append(base)
        print(f"  torch-sdpa {precision:5s} {pass_:8s} s={s:<6d} "
              + (base["note"] if result is None else f"{result[0]:.3f} ms ({result[2]} runs)"), flush=True)

    lengths = [int(x) for x in args.lengths.split(",") if x]
    print(f"sdpa_bench: {name}, torch {torch.__version__}, N=1 H={h} d={d}", flush=True)
    for s in lengths:
        for precision, dtype, bk in (("bf16", torch.bfloat16, "flash"), ("f32", torch.float32, "efficient")):
            e = torch.tensor([], dtype=dtype).element_size()
            fwd_bytes = h * s * d * (3 * e + e)
            bwd_bytes = h * s * d * (4 * e + 3 * e)
            fwd_flops = 4.0 * h * s * s * d / 2
            note = f"backend={bk} torch={torch.__version__}"
            try:
                q, k, v, g = (torch.randn(1, h, s, d, device=dev, dtype=dtype) for _ in range(4))
                for x in (q, k, v):
                    x.requires_grad_(True)
                with backend(bk):
                    def fwd():
                        with torch.no_grad():
                            F.scaled_dot_product_attention(q, k, v, is_causal=True)

                    def fwd_bwd():
                        for x in (q, k, v):
                            x.grad = None
                        F.scaled_dot_product_attention(q, k, v, is_causal=True).backward(g)

                    q1 = torch.randn(1, h, 1, d, device=dev, dtype=dtype)

                    def decode():
                        with torch.no_grad():
                            F.scaled_dot_product_attention(q1, k, v, is_causal=False)

                    add(precision, "fwd", s, timed(fwd), fwd_bytes, fwd_flops, note)
                    add(precision, "fwd+bwd", s, timed(fwd_bwd), fwd_bytes + bwd_bytes, 3.5 * fwd_flops, note)
                    add(precision, "decode", s, timed(decode), h * d * e * (2.0 + 2.0 * s), 4.0 * h * s * d,
                        note + " one query over s cached keys")
                del q, k, v, g, q1
            except Exception as ex:  # out of memory, backend not available: recorded, not fatal
                msg = f"failed: {type(ex).__name__}: {str(ex).splitlines()[0] if str(ex) else ''}".replace(",", ";")
                for p in ("fwd", "fwd+bwd", "decode"):
                    add(precision, p, s, None, 0, 0, msg[:200])
            torch.cuda.empty_cache()

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "sdpa.csv")
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, path)
    print(f"sdpa_bench: wrote {path} ({len(rows)} rows)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
