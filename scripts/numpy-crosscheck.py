#!/usr/bin/env python3
"""Cross-checks ./cottention attention against an independent NumPy implementation of paper-spec §3-§4.

Writes random float64 inputs with numpy.save, runs the CLI for every (kind, causal) pair, loads its outputs
with numpy.load and compares: the output against a NumPy forward, and every gradient (dq, dk, dv, dm) against
central finite differences of L = sum(G * O) computed with that NumPy forward. Needs python3 + numpy only.

    python3 scripts/numpy-crosscheck.py [--impl-cosine-causal cosine-chunked] [--keep DIR]
"""
import argparse, os, subprocess, sys, tempfile
import numpy as np

def nrm(x):
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)

def cosine(q, k, v, mask, m, causal):
    sig = 1 / (1 + np.exp(-m))[None, :, None, None]            # (1,H,1,1)
    p = mask[:, None, :, None]                                  # (N,1,s,1)
    if causal:
        count = np.cumsum(mask, axis=1)[:, None, :, None]       # per key position j
        qh, kh = nrm(q) * p, nrm(k) * p
        vh = v / np.maximum(count ** sig, 1) * p
        sim = np.einsum('nhid,nhjd->nhij', qh, kh) * np.tril(np.ones((q.shape[2],) * 2))
        return np.einsum('nhij,nhjd->nhid', sim, vh)
    n = mask.sum(axis=1)[:, None, None, None]
    qh, kh = nrm(q * p), nrm(k * p)
    vh = v * p / np.maximum(n ** sig, 1)
    return np.einsum('nhid,nhde->nhie', qh, np.einsum('nhjd,nhje->nhde', kh, vh))

def softmax(q, k, v, mask, causal):
    s = q.shape[2]
    scores = np.einsum('nhid,nhjd->nhij', q, k) / np.sqrt(q.shape[-1])
    allowed = (mask[:, None, None, :] > 0) & (np.tril(np.ones((s, s))) > 0 if causal else True)
    scores = np.where(allowed, scores, -np.inf)
    mx = np.max(scores, axis=-1, keepdims=True)
    e = np.where(allowed, np.exp(scores - np.where(np.isfinite(mx), mx, 0)), 0)
    den = e.sum(-1, keepdims=True)
    prob = np.divide(e, den, out=np.zeros_like(e), where=den > 0)
    return np.einsum('nhij,nhjd->nhid', prob, v)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--keep', help='directory to keep the files in')
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    work = args.keep or tempfile.mkdtemp(prefix='crosscheck-')
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(2409)
    N, H, s, dk, dv = 2, 3, 11, 6, 5
    q, k = rng.standard_normal((N, H, s, dk)), rng.standard_normal((N, H, s, dk))
    v, g = rng.standard_normal((N, H, s, dv)), rng.standard_normal((N, H, s, dv))
    mask = np.ones((N, s)); mask[1, 7:] = 0                     # right padding in sequence 1
    m = rng.uniform(-2, 2, H)
    for name, arr in dict(q=q, k=k, v=v, g=g, m=m).items():
        np.save(os.path.join(work, name + '.npy'), arr)
    np.save(os.path.join(work, 'mask.npy'), mask.astype(bool))
    worst = 0.0
    for kind in ('cosine', 'softmax'):
        for causal in (False, True):
            out = os.path.join(work, f'out-{kind}-{"causal" if causal else "bidir"}')
            cmd = [os.path.join(root, 'cottention'), 'attention', '--kind', kind, '--q', f'{work}/q.npy',
                   '--k', f'{work}/k.npy', '--v', f'{work}/v.npy', '--mask', f'{work}/mask.npy',
                   '--grad-out', f'{work}/g.npy', '--out', out] + (['--causal'] if causal else []) + \
                  (['--m', f'{work}/m.npy'] if kind == 'cosine' else [])
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f'{" ".join(cmd)} failed: {r.stderr}')
            fwd = (lambda q, k, v, m: cosine(q, k, v, mask, m, causal)) if kind == 'cosine' else \
                  (lambda q, k, v, m: softmax(q, k, v, mask, causal))
            expect = fwd(q, k, v, m)
            o = np.load(os.path.join(out, 'o.npy'))
            errs = {'o': np.linalg.norm(o - expect) / np.linalg.norm(expect)}
            loss = lambda q, k, v, m: float(np.sum(g * fwd(q, k, v, m)))
            inputs = dict(q=q, k=k, v=v) | (dict(m=m) if kind == 'cosine' else {})
            for name, x in inputs.items():
                fd = np.zeros_like(x)
                for idx in np.ndindex(x.shape):
                    up, dn = [dict(inputs) for _ in range(2)]
                    up[name] = x.copy(); up[name][idx] += 1e-6
                    dn[name] = x.copy(); dn[name][idx] -= 1e-6
                    fd[idx] = (loss(up['q'], up['k'], up['v'], up.get('m', m))
                               - loss(dn['q'], dn['k'], dn['v'], dn.get('m', m))) / 2e-6
                got = np.load(os.path.join(out, f'd{name}.npy'))
                errs['d' + name] = np.linalg.norm(got - fd) / np.linalg.norm(fd)
            worst = max(worst, *errs.values())
            print(f'{kind:8s} {"causal" if causal else "bidirectional":13s} ' +
                  ' '.join(f'{n}={e:.1e}' for n, e in errs.items()) + f'   [{r.stdout.split()[1]}]')
    print(f'worst relative error {worst:.1e} (float64; finite differences with h=1e-6); files in {work}')
    sys.exit(0 if worst < 1e-6 else 1)

if __name__ == '__main__':
    main()
