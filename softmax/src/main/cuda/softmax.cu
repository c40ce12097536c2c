// Softmax attention (the paper's baseline) on the GPU, with the conventions of SoftmaxAttention (CPU):
// P = softmax(q k^T / sqrt(dk)) over the allowed keys, O = P v. Key j is allowed for query i when mask[n, j] != 0
// and, if causal, j <= offset + i (queries sit at positions offset .. offset + L - 1, keys at 0 .. S - 1); a
// query with no allowed key gets a zero output and zero gradients.
//
// Two forms:
// - naive (materialising): sm_gemm_* (batched tiled products) + sm_softmax_rows / sm_softmax_bwd_rows over the
//   (B, L, S) score matrix; float32 only.
// - flash (tiled online softmax, FlashAttention-2 style): sm_flash_fwd keeps one BT-row query tile on chip and
//   streams key/value tiles, writing O and the log-sum-exp per row; the backward recomputes P tile by tile:
//   sm_flash_bwd_pre (delta_i = dO_i . O_i), sm_flash_bwd_kv (dK, dV per key tile), sm_flash_bwd_q (dQ per query
//   tile), with no atomics (deterministic).
// Layouts: q (B, L, dk), k (B, S, dk), v (B, S, dv), o / dO (B, L, dv), mask (N, S), lse / delta (B, L), B = N H.
// The Java twin of every kernel (CPU emulation for the tests): softmax/src/main/java/org/cottention/
// softmax/cuda/SoftmaxKernelTwins.java.
#include "cottention_common.cuh"

using namespace cot;

namespace {

__device__ __forceinline__ bool key_allowed(const float* mask, size_t maskBase, int j, int S, int i, int causal,
                                            int offset) {
  return j < S && (mask == nullptr || mask[maskBase + j] != 0.f) && (!causal || j <= offset + i);
}

// C[z] (M x N, row stride ldc) = op(A[z]) op(B[z]), op(A) (M x K): A[i][k] or, when TA, A[k][i]; op(B) (K x N):
// B[k][j] or, when TB, B[j][k]; lda / ldb = row lengths as stored; batch strides sa, sb, sc. Tiles of 64 x 64,
// K staged 32 at a time. Grid (batch * ceil(N / 64), ceil(M / 64)): blockIdx.x = z * ceil(N / 64) + column tile.
template <int MMA, bool TA, bool TB>
__device__ __forceinline__ void batched_gemm(const float* A, const float* B, float* Cm, int M, int N, int K, int lda,
                                             int ldb, int ldc, long long sa, long long sb, long long sc) {
  constexpr int BM = 64, BN = 64, BK = 32, LDA = BK + 4, LDB = BN + 4, LDO = BN + 4;
  __shared__ __align__(128) float as[BM * LDA];
  __shared__ __align__(128) float bs[BK * LDB];
  __shared__ __align__(128) float cs[BM * LDO];
  const int tilesN = (N + BN - 1) / BN, z = blockIdx.x / tilesN;
  const int j0 = (blockIdx.x % tilesN) * BN, i0 = blockIdx.y * BM;
  const float* a = A + (size_t)z * sa;
  const float* bb = B + (size_t)z * sb;
  zero_tile<BM, BN>(cs, LDO);
  for (int k0 = 0; k0 < K; k0 += BK) {
    for (int idx = threadIdx.x; idx < BM * BK; idx += THREADS) {  // X(i, kk) = op(A)[i0 + i][k0 + kk]
      const int i = TA ? idx % BM : idx / BK, kk = TA ? idx / BM : idx % BK;
      const int gi = i0 + i, gk = k0 + kk;
      float x = 0.f;
      if (gi < M && gk < K) x = TA ? a[(size_t)gk * lda + gi] : a[(size_t)gi * lda + gk];
      as[i * LDA + kk] = x;
    }
    for (int idx = threadIdx.x; idx < BK * BN; idx += THREADS) {  // Y(kk, j) = op(B)[k0 + kk][j0 + j]
      const int j = TB ? idx / BK : idx % BN, kk = TB ? idx % BK : idx / BN;
      const int gj = j0 + j, gk = k0 + kk;
      float y = 0.f;
      if (gj < N && gk < K) y = TB ? bb[(size_t)gj * ldb + gk] : bb[(size_t)gk * ldb + gj];
      bs[kk * LDB + j] = y;
    }
    __syncthreads();
    block_gemm<MMA, false, false, BM, BN, BK>(as, LDA, bs, LDB, cs, LDO, true);
    __syncthreads();
  }
  float* c = Cm + (size_t)z * sc;
  for (int idx = threadIdx.x; idx < BM * BN; idx += THREADS) {
    const int i = idx / BN, j = idx % BN;
    if (i0 + i < M && j0 + j < N) c[(size_t)(i0 + i) * ldc + j0 + j] = cs[i * LDO + j];
  }
}

// Shared-memory geometry of the flash kernels (floats; every tile a multiple of 8 for 32-byte alignment).
template <int D, int BT>
struct FlashGeo {
  static constexpr int LD = D + 4;    // row stride of BT x D tiles
  static constexpr int LDT = BT + 4;  // row stride of BT x BT tiles
  static constexpr int TILE = BT * LD;
  static constexpr int SQ = BT * LDT;
  static constexpr int FWD_FLOATS = 4 * TILE + SQ + 3 * BT;
  static constexpr int KV_FLOATS = 6 * TILE + 2 * SQ + 2 * BT;
  static constexpr int Q_FLOATS = 5 * TILE + 2 * SQ + 2 * BT;
  static_assert(BT % 32 == 0 && D % 32 == 0, "BT and D multiples of 32");
};

// sm_flash_fwd: one query tile (rows i0 .. i0 + BT - 1) of batch row b = blockIdx.x; i0 = BT blockIdx.y.
template <typename T, int MMA, int D, int BT>
__device__ __forceinline__ void flash_forward(const T* q, const T* k, const T* v, const float* mask, float* out,
                                              float* lse, int H, int L, int S, int dk, int dv, int causal, int offset,
                                              float scale) {
  using G = FlashGeo<D, BT>;
  extern __shared__ __align__(128) float smem[];
  float* tq = smem;
  float* tk = tq + G::TILE;
  float* tv = tk + G::TILE;
  float* to = tv + G::TILE;  // unnormalised output
  float* ts = to + G::TILE;  // scores, then probabilities
  float* rowMax = ts + G::SQ;
  float* rowSum = rowMax + BT;
  float* rowAlpha = rowSum + BT;
  const int b = blockIdx.x, n = b / H, i0 = blockIdx.y * BT;
  const size_t maskBase = (size_t)n * S;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;

  load_rows<T, BT, D>(tq, G::LD, q, (size_t)b * L * dk, i0, L, dk);
  zero_tile<BT, D>(to, G::LD);
  for (int r = threadIdx.x; r < BT; r += THREADS) {
    rowMax[r] = -CUDART_INF_F;
    rowSum[r] = 0.f;
  }
  __syncthreads();
  for (int idx = threadIdx.x; idx < BT * D; idx += THREADS) tq[(idx / D) * G::LD + idx % D] *= scale;
  const int jEnd = causal ? min(S, offset + i0 + BT) : S;  // keys past jEnd are masked for every row of the tile
  for (int j0 = 0; j0 < jEnd; j0 += BT) {
    load_rows<T, BT, D>(tk, G::LD, k, (size_t)b * S * dk, j0, S, dk);
    load_rows<T, BT, D>(tv, G::LD, v, (size_t)b * S * dv, j0, S, dv);
    __syncthreads();
    block_gemm<MMA, false, true, BT, BT, D>(tq, G::LD, tk, G::LD, ts, G::LDT, false);  // scale q k^T
    __syncthreads();
    for (int r = warp; r < BT; r += WARPS) {  // online softmax, one warp per row
      const int i = i0 + r;
      float mx = -CUDART_INF_F;
      for (int c = lane; c < BT; c += 32)
        if (key_allowed(mask, maskBase, j0 + c, S, i, causal, offset)) mx = fmaxf(mx, ts[r * G::LDT + c]);
      mx = warp_max(mx);
      const float mOld = rowMax[r], mNew = fmaxf(mOld, mx);
      float sum = 0.f;
      for (int c = lane; c < BT; c += 32) {
        const bool ok = mNew != -CUDART_INF_F && key_allowed(mask, maskBase, j0 + c, S, i, causal, offset);
        const float p = ok ? expf(ts[r * G::LDT + c] - mNew) : 0.f;
        ts[r * G::LDT + c] = p;
        sum += p;
      }
      sum = warp_sum(sum);
      if (lane == 0) {
        const float alpha = mNew == -CUDART_INF_F ? 1.f : expf(mOld - mNew);
        rowAlpha[r] = alpha;
        rowSum[r] = rowSum[r] * alpha + sum;
        rowMax[r] = mNew;
      }
    }
    __syncthreads();
    for (int idx = threadIdx.x; idx < BT * D; idx += THREADS) to[(idx / D) * G::LD + idx % D] *= rowAlpha[idx / D];
    __syncthreads();
    block_gemm<MMA, false, false, BT, D, BT>(ts, G::LDT, tv, G::LD, to, G::LD, true);  // += P v
    __syncthreads();
  }
  for (int idx = threadIdx.x; idx < BT * D; idx += THREADS) {
    const int r = idx / D, e = idx % D, i = i0 + r;
    if (i < L && e < dv) out[((size_t)b * L + i) * dv + e] = rowSum[r] > 0.f ? to[r * G::LD + e] / rowSum[r] : 0.f;
  }
  for (int r = threadIdx.x; r < BT; r += THREADS)
    if (i0 + r < L) lse[(size_t)b * L + i0 + r] = rowSum[r] > 0.f ? rowMax[r] + logf(rowSum[r]) : -CUDART_INF_F;
}

// Loads the log-sum-exp and delta of query rows i0 .. i0 + BT - 1 (-inf and 0 past L).
template <int BT>
__device__ __forceinline__ void load_row_stats(float* rowLse, float* rowDelta, const float* lse, const float* delta,
                                               size_t base, int i0, int L) {
  for (int r = threadIdx.x; r < BT; r += THREADS) {
    rowLse[r] = i0 + r < L ? lse[base + i0 + r] : -CUDART_INF_F;
    rowDelta[r] = i0 + r < L ? delta[base + i0 + r] : 0.f;
  }
}

// In place: tp (scores) -> P = exp(score - lse_i) on allowed keys with a finite lse, else 0; if tds != null it
// holds dP and becomes dS = P (dP - delta_i).
template <int BT>
__device__ __forceinline__ void probabilities_and_dscores(float* tp, float* tds, const float* rowLse,
                                                          const float* rowDelta, const float* mask, size_t maskBase,
                                                          int i0, int j0, int S, int causal, int offset) {
  constexpr int LDT = BT + 4;
  for (int idx = threadIdx.x; idx < BT * BT; idx += THREADS) {
    const int r = idx / BT, c = idx % BT;
    const bool ok = rowLse[r] != -CUDART_INF_F && key_allowed(mask, maskBase, j0 + c, S, i0 + r, causal, offset);
    const float p = ok ? expf(tp[r * LDT + c] - rowLse[r]) : 0.f;
    tp[r * LDT + c] = p;
    if (tds != nullptr) tds[r * LDT + c] = p * (tds[r * LDT + c] - rowDelta[r]);
  }
}

// sm_flash_bwd_kv: dK, dV of key tile j0 = BT blockIdx.y of batch row b = blockIdx.x, over every query tile that
// can see it: dV += P^T dO, dS = P (dO V^T - delta), dK += dS^T (scale q).
template <typename T, int MMA, int D, int BT>
__device__ __forceinline__ void flash_backward_kv(const T* q, const T* k, const T* v, const T* g, const float* mask,
                                                  const float* lse, const float* delta, float* dkOut, float* dvOut,
                                                  int H, int L, int S, int dk, int dv, int causal, int offset,
                                                  float scale) {
  using G = FlashGeo<D, BT>;
  extern __shared__ __align__(128) float smem[];
  float* tk = smem;
  float* tv = tk + G::TILE;
  float* tdk = tv + G::TILE;
  float* tdv = tdk + G::TILE;
  float* tq = tdv + G::TILE;
  float* tg = tq + G::TILE;
  float* tp = tg + G::TILE;
  float* tds = tp + G::SQ;
  float* rowLse = tds + G::SQ;
  float* rowDelta = rowLse + BT;
  const int b = blockIdx.x, n = b / H, j0 = blockIdx.y * BT;
  const size_t maskBase = (size_t)n * S;

  load_rows<T, BT, D>(tk, G::LD, k, (size_t)b * S * dk, j0, S, dk);
  load_rows<T, BT, D>(tv, G::LD, v, (size_t)b * S * dv, j0, S, dv);
  zero_tile<BT, D>(tdk, G::LD);
  zero_tile<BT, D>(tdv, G::LD);
  const int iStart = causal ? max(0, j0 - offset) / BT * BT : 0;  // earlier queries see none of these keys
  for (int i0 = iStart; i0 < L; i0 += BT) {
    load_rows<T, BT, D>(tq, G::LD, q, (size_t)b * L * dk, i0, L, dk);
    load_rows<T, BT, D>(tg, G::LD, g, (size_t)b * L * dv, i0, L, dv);
    load_row_stats<BT>(rowLse, rowDelta, lse, delta, (size_t)b * L, i0, L);
    __syncthreads();
    for (int idx = threadIdx.x; idx < BT * D; idx += THREADS) tq[(idx / D) * G::LD + idx % D] *= scale;
    __syncthreads();
    block_gemm<MMA, false, true, BT, BT, D>(tq, G::LD, tk, G::LD, tp, G::LDT, false);  // scores
    block_gemm<MMA, false, true, BT, BT, D>(tg, G::LD, tv, G::LD, tds, G::LDT, false);  // dP = dO v^T
    __syncthreads();
    probabilities_and_dscores<BT>(tp, tds, rowLse, rowDelta, mask, maskBase, i0, j0, S, causal, offset);
    __syncthreads();
    block_gemm<MMA, true, false, BT, D, BT>(tp, G::LDT, tg, G::LD, tdv, G::LD, true);   // dV += P^T dO
    block_gemm<MMA, true, false, BT, D, BT>(tds, G::LDT, tq, G::LD, tdk, G::LD, true);  // dK += dS^T (scale q)
    __syncthreads();
  }
  __syncthreads();  // the loop may have run zero times
  store_rows<BT, D>(tdk, G::LD, dkOut, (size_t)b * S * dk, j0, S, dk, 1.f);
  store_rows<BT, D>(tdv, G::LD, dvOut, (size_t)b * S * dv, j0, S, dv, 1.f);
}

// sm_flash_bwd_q: dQ of query tile i0 = BT blockIdx.y of batch row b = blockIdx.x: dQ = scale sum_j dS k.
template <typename T, int MMA, int D, int BT>
__device__ __forceinline__ void flash_backward_q(const T* q, const T* k, const T* v, const T* g, const float* mask,
                                                 const float* lse, const float* delta, float* dqOut, int H, int L,
                                                 int S, int dk, int dv, int causal, int offset, float scale) {
  using G = FlashGeo<D, BT>;
  extern __shared__ __align__(128) float smem[];
  float* tq = smem;
  float* tg = tq + G::TILE;
  float* tdq = tg + G::TILE;
  float* tk = tdq + G::TILE;
  float* tv = tk + G::TILE;
  float* tp = tv + G::TILE;
  float* tds = tp + G::SQ;
  float* rowLse = tds + G::SQ;
  float* rowDelta = rowLse + BT;
  const int b = blockIdx.x, n = b / H, i0 = blockIdx.y * BT;
  const size_t maskBase = (size_t)n * S;

  load_rows<T, BT, D>(tq, G::LD, q, (size_t)b * L * dk, i0, L, dk);
  load_rows<T, BT, D>(tg, G::LD, g, (size_t)b * L * dv, i0, L, dv);
  load_row_stats<BT>(rowLse, rowDelta, lse, delta, (size_t)b * L, i0, L);
  zero_tile<BT, D>(tdq, G::LD);
  __syncthreads();
  for (int idx = threadIdx.x; idx < BT * D; idx += THREADS) tq[(idx / D) * G::LD + idx % D] *= scale;
  const int jEnd = causal ? min(S, offset + i0 + BT) : S;
  for (int j0 = 0; j0 < jEnd; j0 += BT) {
    load_rows<T, BT, D>(tk, G::LD, k, (size_t)b * S * dk, j0, S, dk);
    load_rows<T, BT, D>(tv, G::LD, v, (size_t)b * S * dv, j0, S, dv);
    __syncthreads();
    block_gemm<MMA, false, true, BT, BT, D>(tq, G::LD, tk, G::LD, tp, G::LDT, false);
    block_gemm<MMA, false, true, BT, BT, D>(tg, G::LD, tv, G::LD, tds, G::LDT, false);
    __syncthreads();
    probabilities_and_dscores<BT>(tp, tds, rowLse, rowDelta, mask, maskBase, i0, j0, S, causal, offset);
    __syncthreads();
    block_gemm<MMA, false, false, BT, D, BT>(tds, G::LDT, tk, G::LD, tdq, G::LD, true);  // dQ += dS k
    __syncthreads();
  }
  __syncthreads();  // the loop may have run zero times
  store_rows<BT, D>(tdq, G::LD, dqOut, (size_t)b * L * dk, i0, L, dk, scale);
}

}  // namespace

// In place over the rows of x (B, L, S), row = b L + i: x_ij -> P_ij = softmax_j(scale x_ij) over the allowed
// keys, 0 elsewhere; a row without an allowed key becomes 0. Grid (B L).
extern "C" __global__ void __launch_bounds__(THREADS)
    sm_softmax_rows(float* x, const float* mask, int H, int L, int S, int causal, int offset, float scale) {
  const int row = blockIdx.x, b = row / L, i = row % L, n = b / H;
  const size_t maskBase = (size_t)n * S;
  float* r = x + (size_t)row * S;
  float mx = -CUDART_INF_F;
  for (int j = threadIdx.x; j < S; j += THREADS)
    if (key_allowed(mask, maskBase, j, S, i, causal, offset)) mx = fmaxf(mx, scale * r[j]);
  mx = block_max(mx);
  float sum = 0.f;
  if (mx != -CUDART_INF_F)
    for (int j = threadIdx.x; j < S; j += THREADS)
      if (key_allowed(mask, maskBase, j, S, i, causal, offset)) sum += expf(scale * r[j] - mx);
  sum = block_sum(sum);
  for (int j = threadIdx.x; j < S; j += THREADS)
    r[j] = sum > 0.f && key_allowed(mask, maskBase, j, S, i, causal, offset) ? expf(scale * r[j] - mx) / sum : 0.f;
}

// In place over rows of dP (B L rows of S): dS_ij = scale P_ij (dP_ij - sum_j' P_ij' dP_ij'). Grid (B L).
extern "C" __global__ void __launch_bounds__(THREADS) sm_softmax_bwd_rows(const float* P, float* dP, int S, float scale) {
  const size_t base = (size_t)blockIdx.x * S;
  float dot = 0.f;
  for (int j = threadIdx.x; j < S; j += THREADS) dot += P[base + j] * dP[base + j];
  dot = block_sum(dot);
  for (int j = threadIdx.x; j < S; j += THREADS) dP[base + j] = scale * P[base + j] * (dP[base + j] - dot);
}

// delta[row] = sum_e o[row, e] dO[row, e] over rows (B L) of width dv. Grid (ceil(rows / 8)), one warp per row.
template <typename T>
__device__ __forceinline__ void flash_backward_pre(const float* o, const T* g, float* delta, int rows, int dv) {
  const int row = blockIdx.x * WARPS + threadIdx.x / 32, lane = threadIdx.x % 32;
  if (row >= rows) return;
  float dot = 0.f;
  for (int e = lane; e < dv; e += 32) dot += o[(size_t)row * dv + e] * load_as_float(g, (size_t)row * dv + e);
  dot = warp_sum(dot);
  if (lane == 0) delta[row] = dot;
}

extern "C" __global__ void __launch_bounds__(THREADS)
    sm_flash_bwd_pre_f32(const float* o, const float* g, float* delta, int rows, int dv) {
  flash_backward_pre<float>(o, g, delta, rows, dv);
}
extern "C" __global__ void __launch_bounds__(THREADS)
    sm_flash_bwd_pre_bf16(const float* o, const __nv_bfloat16* g, float* delta, int rows, int dv) {
  flash_backward_pre<__nv_bfloat16>(o, g, delta, rows, dv);
}

#define SM_GEMM(MN, MMA, TAN, TA, TBN, TB)                                                                       \
  extern "C" __global__ void __launch_bounds__(THREADS) sm_gemm_##TAN##TBN##_##MN(                              \
      const float* A, const float* B, float* Cm, int M, int N, int K, int lda, int ldb, int ldc, long long sa,   \
      long long sb, long long sc) {                                                                             \
    batched_gemm<MMA, TA, TB>(A, B, Cm, M, N, K, lda, ldb, ldc, sa, sb, sc);                                    \
  }
SM_GEMM(simt, MMA_SIMT, n, false, n, false)
SM_GEMM(simt, MMA_SIMT, n, false, t, true)
SM_GEMM(simt, MMA_SIMT, t, true, n, false)
SM_GEMM(tf32x3, MMA_TF32X3, n, false, n, false)
SM_GEMM(tf32x3, MMA_TF32X3, n, false, t, true)
SM_GEMM(tf32x3, MMA_TF32X3, t, true, n, false)

#define SM_FLASH_KERNELS(TN, T, MN, MMA, D, BT)                                                                   \
  extern "C" __device__ int sm_flash_fwd_##TN##_##MN##_d##D##_smem = FlashGeo<D, BT>::FWD_FLOATS * 4;           \
  extern "C" __global__ void __launch_bounds__(THREADS) sm_flash_fwd_##TN##_##MN##_d##D(                       \
      const T* q, const T* k, const T* v, const float* mask, float* out, float* lse, int H, int L, int S,       \
      int dk, int dv, int causal, int offset, float scale) {                                                    \
    flash_forward<T, MMA, D, BT>(q, k, v, mask, out, lse, H, L, S, dk, dv, causal, offset, scale);              \
  }                                                                                                             \
  extern "C" __device__ int sm_flash_bwd_kv_##TN##_##MN##_d##D##_smem = FlashGeo<D, BT>::KV_FLOATS * 4;         \
  extern "C" __global__ void __launch_bounds__(THREADS) sm_flash_bwd_kv_##TN##_##MN##_d##D(                    \
      const T* q, const T* k, const T* v, const T* g, const float* mask, const float* lse, const float* delta,  \
      float* dkOut, float* dvOut, int H, int L, int S, int dk, int dv, int causal, int offset, float scale) {    \
    flash_backward_kv<T, MMA, D, BT>(q, k, v, g, mask, lse, delta, dkOut, dvOut, H, L, S, dk, dv, causal,       \
                                     offset, scale);                                                            \
  }                                                                                                             \
  extern "C" __device__ int sm_flash_bwd_q_##TN##_##MN##_d##D##_smem = FlashGeo<D, BT>::Q_FLOATS * 4;           \
  extern "C" __global__ void __launch_bounds__(THREADS) sm_flash_bwd_q_##TN##_##MN##_d##D(                     \
      const T* q, const T* k, const T* v, const T* g, const float* mask, const float* lse, const float* delta,  \
      float* dqOut, int H, int L, int S, int dk, int dv, int causal, int offset, float scale) {                 \
    flash_backward_q<T, MMA, D, BT>(q, k, v, g, mask, lse, delta, dqOut, H, L, S, dk, dv, causal, offset,       \
                                    scale);                                                                     \
  }

// Tiles of 64 rows up to D = 64; 32 rows at D = 128 so that the backward fits in shared memory.
#define SM_FLASH_ALL_SIZES(TN, T, MN, MMA) \
  SM_FLASH_KERNELS(TN, T, MN, MMA, 32, 64) \
  SM_FLASH_KERNELS(TN, T, MN, MMA, 64, 64) \
  SM_FLASH_KERNELS(TN, T, MN, MMA, 128, 32)

SM_FLASH_ALL_SIZES(f32, float, simt, MMA_SIMT)
SM_FLASH_ALL_SIZES(f32, float, tf32x3, MMA_TF32X3)
SM_FLASH_ALL_SIZES(bf16, __nv_bfloat16, tf32, MMA_TF32)
