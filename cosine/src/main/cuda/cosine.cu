// Cosine attention (paper-spec §3-§5) on the GPU: causal in chunked form, bidirectional, and one recurrent
// decoding step. The math is that of ChunkedCausalCosineAttention / CosineInputs (the CPU implementation):
//
//   qh = p Nrm(q),  kh = p Nrm(k),  vh = p v / max(c^sigma(m_h), 1)
//       (c = real tokens at or before the key position when causal, of the whole sequence when bidirectional)
//   causal, per chunk c of C tokens:  O_c = (Qh_c Kh_c^T ⊙ tril) Vh_c + Qh_c P_c,   P_c = s0 + sum_{c' < c} Kh_c'^T Vh_c'
//   bidirectional:                    O_c = Qh_c P,                               P   = sum_c Kh_c^T Vh_c
//   backward (G = dL/dO, dS_c = sum_{c' > c} Qh_c'^T G_c', or the sum over all chunks when bidirectional):
//     dQh_c = (G_c Vh_c^T ⊙ tril) Kh_c + G_c P_c^T
//     dKh_c = (G_c Vh_c^T ⊙ tril)^T Qh_c + Vh_c dS_c^T
//     dVh_c = (Qh_c Kh_c^T ⊙ tril)^T G_c + Kh_c dS_c
//   then the backward of the normalisation and of the divisor (dm per chunk, summed on the host).
//
// A call is: cos_counts (prefix counts of the mask), cos_states (per-chunk Kh^T Vh), cos_scan (exclusive prefix,
// or total), cos_fwd (per chunk output); backward adds cos_states on (Qh, G), cos_scan (suffix, or total) and
// cos_bwd. Layouts: q, k, g (B, s, dk) / v (B, s, dv) row-major with B = N * H (batch row b = n * H + h);
// mask and counts (N, s); m (H); per-chunk states (B, nc, dk, dv); recurrent states (B, dv, dk) in double.
//
// Tile kernels are templates over the input type T (float or bf16), the product precision MMA, the padded head
// width D (dk, dv <= D) and the chunk C; the extern "C" instances at the end are what the Java side launches by
// name, each with a <name>_smem global holding its dynamic shared memory in bytes.
// The Java twin of every kernel (CPU emulation for the tests): cosine/src/main/java/org/cottention/cosine/
// cuda/CosineKernelTwins.java.
#include "cottention_common.cuh"

using namespace cot;

namespace {

constexpr float NORM_EPS = 1e-12f;  // torch.nn.functional.normalize's eps
constexpr int KS = 32;              // rows of a chunk state staged in shared memory at a time

__device__ __forceinline__ float sigmoid_f(float m) { return 1.f / (1.f + expf(-m)); }

// p / max(c^sigma, 1): the factor that turns v into vh.
__device__ __forceinline__ float value_scale(float p, float c, float sg) { return p / fmaxf(powf(c, sg), 1.f); }

// d ln(1 / max(c^sigma(m), 1)) / dm: -ln(c) sigma (1 - sigma) while the clamp is inactive, else 0.
__device__ __forceinline__ float log_derivative(float c, float sg) {
  return powf(c, sg) <= 1.f ? 0.f : -logf(c) * sg * (1.f - sg);
}

__device__ __forceinline__ float mask_at(const float* mask, size_t i) { return mask != nullptr ? mask[i] : 1.f; }

// Shared-memory geometry of the chunk kernels (sizes in floats, each a multiple of 8 so every tile is 32-byte
// aligned, as WMMA wants).
template <int D, int C>
struct Geo {
  static constexpr int LD = D + 4;          // row stride of C x D, D x D and KS x D tiles
  static constexpr int LDC = C + 4;         // row stride of a C x C tile
  static constexpr int TILE = C * LD;       // a C x D tile
  static constexpr int SQUARE = D * LD;     // a D x D tile
  static constexpr int CC = C * LDC;        // a C x C tile
  static constexpr int SLICE = KS * LD;     // KS rows of a state
  static constexpr int STATES_FLOATS = 2 * TILE + SQUARE + 2 * C;
  static constexpr int FWD_FLOATS = 3 * TILE + CC + SLICE + 3 * C;
  static constexpr int BWD_FLOATS = 5 * TILE + CC + SLICE + 5 * C + 8;
  static_assert(C % 16 == 0 && D % 32 == 0, "C multiple of 16, D of 32");
};

// In place on a C x D tile of loaded rows t0.. of x: row i becomes p_i x_i / max(||x_i||, eps), i.e. qh or kh.
// factor[i] = p_i / max(||x_i||, eps); above[i] (if not null) = 1 when ||x_i|| > eps, else 0. One warp per row.
template <int D, int C>
__device__ __forceinline__ void normalize_rows(float* tile, float* factor, float* above, const float* mask,
                                               size_t maskBase, int t0, int s) {
  constexpr int LD = Geo<D, C>::LD;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  for (int i = warp; i < C; i += WARPS) {
    float ss = 0.f;
    for (int e = lane; e < D; e += 32) ss += tile[i * LD + e] * tile[i * LD + e];
    const float norm = sqrtf(warp_sum(ss));
    const int t = t0 + i;
    const float p = t < s ? mask_at(mask, maskBase + t) : 0.f;
    const float f = p / fmaxf(norm, NORM_EPS);
    for (int e = lane; e < D; e += 32) tile[i * LD + e] *= f;
    if (lane == 0) {
      factor[i] = f;
      if (above != nullptr) above[i] = norm > NORM_EPS ? 1.f : 0.f;
    }
  }
}

// In place on a C x D tile of loaded value rows t0..: row i becomes vh_i = v_i * vscale[i]. Contains a barrier.
template <int D, int C>
__device__ __forceinline__ void scale_value_rows(float* tile, float* vscale, const float* mask, const float* counts,
                                                 size_t nBase, int t0, int s, float sg) {
  constexpr int LD = Geo<D, C>::LD;
  for (int i = threadIdx.x; i < C; i += THREADS) {
    const int t = t0 + i;
    vscale[i] = t < s ? value_scale(mask_at(mask, nBase + t), counts[nBase + t], sg) : 0.f;
  }
  __syncthreads();
  for (int idx = threadIdx.x; idx < C * D; idx += THREADS) tile[(idx / D) * LD + idx % D] *= vscale[idx / D];
}

// Zeroes the strictly upper triangle (j > i) of a C x C tile: the causal mask within a chunk.
template <int C>
__device__ __forceinline__ void keep_lower_triangle(float* tile) {
  constexpr int LDC = C + 4;
  for (int idx = threadIdx.x; idx < C * C; idx += THREADS)
    if (idx % C > idx / C) tile[(idx / C) * LDC + idx % C] = 0.f;
}

// Stages KS rows of the state Y(k, j), k = k0 .. k0 + KS - 1, j < D, of a (rows x cols) row-major matrix src into
// slice (KS x D, stride LD), zero outside: Y(k, j) = src[k][j] when !TRANSPOSED, src[j][k] when TRANSPOSED. Threads
// walk the index that is contiguous in src (j, or k when transposed), so the global reads coalesce.
template <int D, bool TRANSPOSED>
__device__ __forceinline__ void stage_state_rows(float* slice, const float* src, int k0, int rows, int cols) {
  constexpr int LD = D + 4;
  for (int idx = threadIdx.x; idx < KS * D; idx += THREADS) {
    const int kk = TRANSPOSED ? idx % KS : idx / D, j = TRANSPOSED ? idx / KS : idx % D, k = k0 + kk;
    float v = 0.f;
    if (!TRANSPOSED && k < rows && j < cols) v = src[(size_t)k * cols + j];
    if (TRANSPOSED && j < rows && k < cols) v = src[(size_t)j * cols + k];
    slice[kk * LD + j] = v;
  }
}

// Backward of qh = f x (f = p / max(||x||, eps)) for the rows of a tile, written to out rows t0.. (< s), cols < d:
//   dx_i = f_i (g_i - xh_i (xh_i . g_i) above_i)       g = dL/dxh in gtile, xh in xtile. One warp per row.
template <int D, int C>
__device__ __forceinline__ void normalize_backward_rows(const float* xtile, const float* gtile, const float* factor,
                                                        const float* above, float* out, size_t base, int t0, int s,
                                                        int d) {
  constexpr int LD = Geo<D, C>::LD;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  for (int i = warp; i < C; i += WARPS) {
    float dot = 0.f;
    for (int e = lane; e < D; e += 32) dot += xtile[i * LD + e] * gtile[i * LD + e];
    dot = warp_sum(dot) * above[i];
    const int t = t0 + i;
    if (t < s)
      for (int e = lane; e < d; e += 32)
        out[base + (size_t)t * d + e] = factor[i] * (gtile[i * LD + e] - xtile[i * LD + e] * dot);
  }
}

// cos_states: states[b, c] (dk x dv) = Ah_c^T Bh_c over the C rows of chunk c, where Ah = p Nrm(a) (a = k or q)
// and Bh = vh (bKind 1: b = v) or b itself (bKind 0: b = dL/dO). Grid (B, nc).
template <typename T, int MMA, int D, int C>
__device__ __forceinline__ void chunk_states(const T* a, const T* bm, int bKind, const float* mask,
                                             const float* counts, const float* m, float* states, int H, int s,
                                             int dk, int dv) {
  using G = Geo<D, C>;
  extern __shared__ __align__(128) float smem[];
  float* ta = smem;
  float* tb = ta + G::TILE;
  float* out = tb + G::TILE;
  float* f = out + G::SQUARE;
  const int b = blockIdx.x, c = blockIdx.y, nc = gridDim.y, n = b / H, h = b % H, t0 = c * C;
  const size_t rowBase = (size_t)b * s, nBase = (size_t)n * s;

  load_rows<T, C, D>(ta, G::LD, a, rowBase * dk, t0, s, dk);
  load_rows<T, C, D>(tb, G::LD, bm, rowBase * dv, t0, s, dv);
  __syncthreads();
  normalize_rows<D, C>(ta, f, nullptr, mask, nBase, t0, s);
  if (bKind == 1) scale_value_rows<D, C>(tb, f + C, mask, counts, nBase, t0, s, sigmoid_f(m[h]));
  __syncthreads();
  block_gemm<MMA, true, false, D, D, C>(ta, G::LD, tb, G::LD, out, G::LD, false);
  __syncthreads();
  float* dst = states + ((size_t)b * nc + c) * dk * dv;
  for (int idx = threadIdx.x; idx < dk * dv; idx += THREADS) dst[idx] = out[(idx / dv) * G::LD + idx % dv];
}

// cos_fwd: out rows of chunk c = (Qh Kh^T ⊙ tril) Vh (causal only) + Qh P_c, P_c = prefix[b, c]. Grid (B, nc).
template <typename T, int MMA, int D, int C>
__device__ __forceinline__ void chunk_forward(const T* q, const T* k, const T* v, const float* mask,
                                              const float* counts, const float* m, const float* prefix, float* out,
                                              int H, int s, int dk, int dv, int causal) {
  using G = Geo<D, C>;
  extern __shared__ __align__(128) float smem[];
  float* tq = smem;
  float* tk = tq + G::TILE;  // Kh, then the output tile
  float* tv = tk + G::TILE;
  float* ta = tv + G::TILE;
  float* ts = ta + G::CC;
  float* fq = ts + G::SLICE;
  float* fk = fq + C;
  float* fv = fk + C;
  const int b = blockIdx.x, c = blockIdx.y, nc = gridDim.y, n = b / H, h = b % H, t0 = c * C;
  const size_t rowBase = (size_t)b * s, nBase = (size_t)n * s;

  load_rows<T, C, D>(tq, G::LD, q, rowBase * dk, t0, s, dk);
  if (causal) {
    load_rows<T, C, D>(tk, G::LD, k, rowBase * dk, t0, s, dk);
    load_rows<T, C, D>(tv, G::LD, v, rowBase * dv, t0, s, dv);
  }
  __syncthreads();
  normalize_rows<D, C>(tq, fq, nullptr, mask, nBase, t0, s);
  if (causal) {
    normalize_rows<D, C>(tk, fk, nullptr, mask, nBase, t0, s);
    scale_value_rows<D, C>(tv, fv, mask, counts, nBase, t0, s, sigmoid_f(m[h]));
  }
  __syncthreads();
  float* to = tk;
  if (causal) {
    block_gemm<MMA, false, true, C, C, D>(tq, G::LD, tk, G::LD, ta, G::LDC, false);  // Qh Kh^T
    __syncthreads();
    keep_lower_triangle<C>(ta);
    __syncthreads();
    block_gemm<MMA, false, false, C, D, C>(ta, G::LDC, tv, G::LD, to, G::LD, false);  // (.. ⊙ tril) Vh
  } else {
    zero_tile<C, D>(to, G::LD);
  }
  __syncthreads();
  const float* P = prefix + ((size_t)b * nc + c) * dk * dv;
  for (int k0 = 0; k0 < dk; k0 += KS) {  // + Qh P_c, KS rows of P_c at a time
    stage_state_rows<D, false>(ts, P, k0, dk, dv);
    __syncthreads();
    block_gemm<MMA, false, false, C, D, KS>(tq + k0, G::LD, ts, G::LD, to, G::LD, true);
    __syncthreads();
  }
  store_rows<C, D>(to, G::LD, out, rowBase * dv, t0, s, dv, 1.f);
}

// cos_bwd: dq, dk, dv rows of chunk c and dmPartial[b, c] (see the top of the file). Grid (B, nc).
template <typename T, int MMA, int D, int C>
__device__ __forceinline__ void chunk_backward(const T* q, const T* k, const T* v, const T* g, const float* mask,
                                               const float* counts, const float* m, const float* prefix,
                                               const float* suffix, float* dqOut, float* dkOut, float* dvOut,
                                               float* dmPartial, int H, int s, int dk, int dv, int causal) {
  using G = Geo<D, C>;
  extern __shared__ __align__(128) float smem[];
  float* tq = smem;
  float* tk = tq + G::TILE;
  float* tv = tk + G::TILE;
  float* tg = tv + G::TILE;
  float* to = tg + G::TILE;  // dqh, then dkh, then dvh
  float* ta = to + G::TILE;  // tril(G Vh^T), then tril(Qh Kh^T)
  float* ts = ta + G::CC;
  float* fq = ts + G::SLICE;
  float* aq = fq + C;
  float* fk = aq + C;
  float* ak = fk + C;
  float* fv = ak + C;
  float* red = fv + C;  // WARPS partial sums of dm
  const int b = blockIdx.x, c = blockIdx.y, nc = gridDim.y, n = b / H, h = b % H, t0 = c * C;
  const size_t rowBase = (size_t)b * s, nBase = (size_t)n * s;
  const float sg = sigmoid_f(m[h]);
  const float* P = prefix + ((size_t)b * nc + c) * dk * dv;
  const float* dS = suffix + ((size_t)b * nc + c) * dk * dv;

  load_rows<T, C, D>(tq, G::LD, q, rowBase * dk, t0, s, dk);
  load_rows<T, C, D>(tk, G::LD, k, rowBase * dk, t0, s, dk);
  load_rows<T, C, D>(tv, G::LD, v, rowBase * dv, t0, s, dv);
  load_rows<T, C, D>(tg, G::LD, g, rowBase * dv, t0, s, dv);
  __syncthreads();
  normalize_rows<D, C>(tq, fq, aq, mask, nBase, t0, s);
  normalize_rows<D, C>(tk, fk, ak, mask, nBase, t0, s);
  scale_value_rows<D, C>(tv, fv, mask, counts, nBase, t0, s, sg);
  __syncthreads();

  // dQh = (G Vh^T ⊙ tril) Kh + G P^T
  if (causal) {
    block_gemm<MMA, false, true, C, C, D>(tg, G::LD, tv, G::LD, ta, G::LDC, false);
    __syncthreads();
    keep_lower_triangle<C>(ta);
    __syncthreads();
    block_gemm<MMA, false, false, C, D, C>(ta, G::LDC, tk, G::LD, to, G::LD, false);
  } else {
    zero_tile<C, D>(to, G::LD);
  }
  __syncthreads();
  for (int k0 = 0; k0 < dv; k0 += KS) {
    stage_state_rows<D, true>(ts, P, k0, dk, dv);  // Y(k, j) = P[j][k0 + k]: P^T
    __syncthreads();
    block_gemm<MMA, false, false, C, D, KS>(tg + k0, G::LD, ts, G::LD, to, G::LD, true);
    __syncthreads();
  }
  normalize_backward_rows<D, C>(tq, to, fq, aq, dqOut, rowBase * dk, t0, s, dk);
  __syncthreads();

  // dKh = (G Vh^T ⊙ tril)^T Qh + Vh dS^T
  if (causal) block_gemm<MMA, true, false, C, D, C>(ta, G::LDC, tq, G::LD, to, G::LD, false);
  else zero_tile<C, D>(to, G::LD);
  __syncthreads();
  for (int k0 = 0; k0 < dv; k0 += KS) {
    stage_state_rows<D, true>(ts, dS, k0, dk, dv);  // dS^T
    __syncthreads();
    block_gemm<MMA, false, false, C, D, KS>(tv + k0, G::LD, ts, G::LD, to, G::LD, true);
    __syncthreads();
  }
  normalize_backward_rows<D, C>(tk, to, fk, ak, dkOut, rowBase * dk, t0, s, dk);
  __syncthreads();

  // dVh = (Qh Kh^T ⊙ tril)^T G + Kh dS
  if (causal) {
    block_gemm<MMA, false, true, C, C, D>(tq, G::LD, tk, G::LD, ta, G::LDC, false);
    __syncthreads();
    keep_lower_triangle<C>(ta);
    __syncthreads();
    block_gemm<MMA, true, false, C, D, C>(ta, G::LDC, tg, G::LD, to, G::LD, false);
  } else {
    zero_tile<C, D>(to, G::LD);
  }
  __syncthreads();
  for (int k0 = 0; k0 < dk; k0 += KS) {
    stage_state_rows<D, false>(ts, dS, k0, dk, dv);
    __syncthreads();
    block_gemm<MMA, false, false, C, D, KS>(tk + k0, G::LD, ts, G::LD, to, G::LD, true);
    __syncthreads();
  }
  // dv = dVh * vscale; dm_h += sum_i (dVh_i . vh_i) p_i dln(1/divisor)/dm. One warp per row.
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  float dm = 0.f;
  for (int i = warp; i < C; i += WARPS) {
    const int t = t0 + i;
    float dot = 0.f;
    for (int e = lane; e < D; e += 32) dot += to[i * G::LD + e] * tv[i * G::LD + e];
    dot = warp_sum(dot);
    if (t < s) {
      for (int e = lane; e < dv; e += 32) dvOut[(rowBase + t) * dv + e] = fv[i] * to[i * G::LD + e];
      dm += dot * mask_at(mask, nBase + t) * log_derivative(counts[nBase + t], sg);
    }
  }
  if (lane == 0) red[warp] = dm;
  __syncthreads();
  if (threadIdx.x == 0) {
    float total = 0.f;
    for (int w = 0; w < WARPS; ++w) total += red[w];
    dmPartial[(size_t)b * nc + c] = total;
  }
}

}  // namespace

// counts[n, t] = offset[n] + sum_{t' <= t} p[n, t'] (causal), or offset[n] + sum_t p[n, t] (bidirectional);
// mask and offset may be null (all real, no offset). Grid (N), block 256: the row is scanned in tiles of 256.
extern "C" __global__ void __launch_bounds__(THREADS)
    cos_counts(const float* mask, const float* offset, float* counts, int s, int causal) {
  __shared__ float scan[THREADS];
  const int n = blockIdx.x, tid = threadIdx.x;
  const size_t base = (size_t)n * s;
  float carry = offset != nullptr ? offset[n] : 0.f;
  for (int t0 = 0; t0 < s; t0 += THREADS) {
    const int t = t0 + tid;
    scan[tid] = t < s ? mask_at(mask, base + t) : 0.f;
    __syncthreads();
    for (int o = 1; o < THREADS; o <<= 1) {  // Hillis-Steele inclusive scan
      const float add = tid >= o ? scan[tid - o] : 0.f;
      __syncthreads();
      scan[tid] += add;
      __syncthreads();
    }
    if (t < s) counts[base + t] = carry + scan[tid];
    carry += scan[THREADS - 1];
    __syncthreads();
  }
  if (!causal)
    for (int t = tid; t < s; t += THREADS) counts[base + t] = carry;
}

// Over the chunks of each batch row, per state element e = (ek, ev) (thread), in place on states (B, nc, dk, dv):
//   mode 0: exclusive prefix, P_c = s0 + sum_{c' < c} S_c' (s0 = initial, (B, dv, dk) double, or 0 if null);
//   mode 1: exclusive suffix, sum_{c' > c} S_c';   mode 2: every chunk gets the total sum_c S_c.
// Running sums in double. finalState (B, dv, dk) double, if not null, gets s0 + the sum over all chunks.
// Grid (ceil(dk dv / 256), B).
extern "C" __global__ void __launch_bounds__(THREADS)
    cos_scan(float* states, const double* initial, double* finalState, int nc, int dk, int dv, int mode) {
  const int b = blockIdx.y, e = blockIdx.x * THREADS + threadIdx.x, dkdv = dk * dv;
  if (e >= dkdv) return;
  const int ek = e / dv, ev = e % dv;
  const size_t stateIndex = ((size_t)b * dv + ev) * dk + ek;
  float* x = states + (size_t)b * nc * dkdv + e;
  double run = initial != nullptr ? initial[stateIndex] : 0.0;
  if (mode == 2) {
    for (int c = 0; c < nc; ++c) run += x[(size_t)c * dkdv];
    for (int c = 0; c < nc; ++c) x[(size_t)c * dkdv] = (float)run;
  } else {
    constexpr int U = 8;  // read U chunks ahead so the loads do not wait on the stores
    for (int c0 = 0; c0 < nc; c0 += U) {
      float in[U];
#pragma unroll
      for (int u = 0; u < U; ++u) {
        const int c = mode == 0 ? c0 + u : nc - 1 - c0 - u;
        in[u] = c0 + u < nc ? x[(size_t)c * dkdv] : 0.f;
      }
#pragma unroll
      for (int u = 0; u < U; ++u) {
        const int c = mode == 0 ? c0 + u : nc - 1 - c0 - u;
        if (c0 + u < nc) {
          x[(size_t)c * dkdv] = (float)run;
          run += in[u];
        }
      }
    }
  }
  if (finalState != nullptr) finalState[stateIndex] = run;
}

// One decoding step: per batch row b, S_b += vh kh^T, out_b = S_b qh, with q, k (B, dk), v, out (B, dv),
// mask (N) for this token (null: real), counts (N) = real tokens up to and including this token, state
// (B, dv, dk) double. Grid (ceil(dv / 8), B): warp w of block x owns state row a = 8 x + w.
extern "C" __global__ void __launch_bounds__(THREADS)
    cos_decode_step(const float* q, const float* k, const float* v, const float* mask, const float* counts,
                    const float* m, double* state, float* out, int H, int dk, int dv) {
  extern __shared__ __align__(128) float smem[];
  float* qh = smem;     // dk
  float* kh = qh + dk;  // dk
  const int b = blockIdx.y, n = b / H, h = b % H, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  for (int e = threadIdx.x; e < dk; e += THREADS) {
    qh[e] = q[(size_t)b * dk + e];
    kh[e] = k[(size_t)b * dk + e];
  }
  __syncthreads();
  const float p = mask_at(mask, n);
  float sq = 0.f, sk = 0.f;
  for (int e = lane; e < dk; e += 32) {
    sq += qh[e] * qh[e];
    sk += kh[e] * kh[e];
  }
  const float fq = p / fmaxf(sqrtf(warp_sum(sq)), NORM_EPS), fk = p / fmaxf(sqrtf(warp_sum(sk)), NORM_EPS);
  const int a = blockIdx.x * WARPS + warp;
  if (a >= dv) return;  // no barrier below
  const double va = (double)v[(size_t)b * dv + a] * value_scale(p, counts[n], sigmoid_f(m[h]));
  double* row = state + ((size_t)b * dv + a) * dk;
  double dot = 0.0;
  for (int e = lane; e < dk; e += 32) {
    const double x = row[e] + va * (double)(fk * kh[e]);
    row[e] = x;
    dot += x * (double)(fq * qh[e]);
  }
  dot = warp_sum(dot);
  if (lane == 0) out[(size_t)b * dv + a] = (float)dot;
}

// The tile kernels, one instance per (input type, precision, D, C).
#define COS_TILE_KERNELS(TN, T, MN, MMA, D, C)                                                                     \
  extern "C" __device__ int cos_states_##TN##_##MN##_d##D##_c##C##_smem = Geo<D, C>::STATES_FLOATS * 4;          \
  extern "C" __global__ void __launch_bounds__(THREADS) cos_states_##TN##_##MN##_d##D##_c##C(                    \
      const T* a, const T* bm, int bKind, const float* mask, const float* counts, const float* m, float* states, \
      int H, int s, int dk, int dv) {                                                                            \
    chunk_states<T, MMA, D, C>(a, bm, bKind, mask, counts, m, states, H, s, dk, dv);                             \
  }                                                                                                              \
  extern "C" __device__ int cos_fwd_##TN##_##MN##_d##D##_c##C##_smem = Geo<D, C>::FWD_FLOATS * 4;                \
  extern "C" __global__ void __launch_bounds__(THREADS) cos_fwd_##TN##_##MN##_d##D##_c##C(                       \
      const T* q, const T* k, const T* v, const float* mask, const float* counts, const float* m,               \
      const float* prefix, float* out, int H, int s, int dk, int dv, int causal) {                               \
    chunk_forward<T, MMA, D, C>(q, k, v, mask, counts, m, prefix, out, H, s, dk, dv, causal);                    \
  }                                                                                                              \
  extern "C" __device__ int cos_bwd_##TN##_##MN##_d##D##_c##C##_smem = Geo<D, C>::BWD_FLOATS * 4;                \
  extern "C" __global__ void __launch_bounds__(THREADS) cos_bwd_##TN##_##MN##_d##D##_c##C(                       \
      const T* q, const T* k, const T* v, const T* g, const float* mask, const float* counts, const float* m,   \
      const float* prefix, const float* suffix, float* dqOut, float* dkOut, float* dvOut, float* dmPartial,     \
      int H, int s, int dk, int dv, int causal) {                                                                \
    chunk_backward<T, MMA, D, C>(q, k, v, g, mask, counts, m, prefix, suffix, dqOut, dkOut, dvOut, dmPartial,  \
                                 H, s, dk, dv, causal);                                                          \
  }

#define COS_TILE_KERNELS_ALL_SIZES(TN, T, MN, MMA) \
  COS_TILE_KERNELS(TN, T, MN, MMA, 32, 64)         \
  COS_TILE_KERNELS(TN, T, MN, MMA, 64, 64)         \
  COS_TILE_KERNELS(TN, T, MN, MMA, 128, 64)        \
  COS_TILE_KERNELS(TN, T, MN, MMA, 128, 32)

COS_TILE_KERNELS_ALL_SIZES(f32, float, simt, MMA_SIMT)
COS_TILE_KERNELS_ALL_SIZES(f32, float, tf32x3, MMA_TF32X3)
COS_TILE_KERNELS_ALL_SIZES(bf16, __nv_bfloat16, tf32, MMA_TF32)
