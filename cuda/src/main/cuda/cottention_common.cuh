// Shared pieces of the suite's CUDA kernels (cosine attention in the cosine module, softmax attention in
// the softmax module): input loads, warp/block reductions and one block-level matrix product on shared-memory
// tiles in three precisions. Every routine here assumes blocks of THREADS = 256 threads (8 warps), and every
// block_* routine must be called by all threads of the block.
//
// The Java twins of these routines (the CPU emulation, see docs/cuda.md) live in
// cuda/src/main/java/org/cottention/cuda/emulation/BlockOps.java; keep both in step.
#pragma once

#include <cuda_bf16.h>
#include <math_constants.h>
#include <mma.h>
#include <stdint.h>
#include <type_traits>

namespace cot {

constexpr int THREADS = 256;
constexpr int WARPS = THREADS / 32;

// How block_gemm multiplies: fp32 FMAs on the CUDA cores; tensor cores with each operand split into a TF32 high
// and low part (three MMAs; about fp32 accuracy); tensor cores in plain TF32 (10-bit mantissa; for bf16 inputs).
enum { MMA_SIMT = 0, MMA_TF32X3 = 1, MMA_TF32 = 2 };

__device__ __forceinline__ float load_as_float(const float* p, size_t i) { return p[i]; }
__device__ __forceinline__ float load_as_float(const __nv_bfloat16* p, size_t i) { return __bfloat162float(p[i]); }

__device__ __forceinline__ float warp_sum(float x) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) x += __shfl_xor_sync(0xffffffffu, x, o);
  return x;
}

__device__ __forceinline__ double warp_sum(double x) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) x += __shfl_xor_sync(0xffffffffu, x, o);
  return x;
}

__device__ __forceinline__ float warp_max(float x) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, o));
  return x;
}

// Sum of v over the block, returned to every thread. Contains two barriers.
__device__ __forceinline__ float block_sum(float v) {
  __shared__ float part[WARPS];
  v = warp_sum(v);
  if (threadIdx.x % 32 == 0) part[threadIdx.x / 32] = v;
  __syncthreads();
  float total = 0.f;
#pragma unroll
  for (int w = 0; w < WARPS; ++w) total += part[w];
  __syncthreads();
  return total;
}

// Max of v over the block, returned to every thread. Contains two barriers.
__device__ __forceinline__ float block_max(float v) {
  __shared__ float part[WARPS];
  v = warp_max(v);
  if (threadIdx.x % 32 == 0) part[threadIdx.x / 32] = v;
  __syncthreads();
  float total = -CUDART_INF_F;
#pragma unroll
  for (int w = 0; w < WARPS; ++w) total = fmaxf(total, part[w]);
  __syncthreads();
  return total;
}

// o (M x N) = (accumulate ? o : 0) + X Y, on shared-memory tiles:
//   X (M x K): element (i, k) at x[i * ldx + k], or at x[k * ldx + i] when TA;
//   Y (K x N): element (k, j) at y[k * ldy + j], or at y[j * ldy + k] when TB;
//   o:         element (i, j) at o[i * ldo + j].
// M, N multiples of 16, K of 8; ldx, ldy, ldo multiples of 4 and every tile base 32-byte aligned (WMMA's rules).
// No barrier inside: the caller syncs before (inputs written) and after (output read).
template <int MMA, bool TA, bool TB, int M, int N, int K>
__device__ __forceinline__ void block_gemm(const float* x, int ldx, const float* y, int ldy, float* o, int ldo,
                                           bool accumulate) {
  static_assert(M % 16 == 0 && N % 16 == 0 && K % 8 == 0, "block_gemm: M, N multiples of 16 and K of 8");
  if constexpr (MMA == MMA_SIMT) {
    // 16 x 16 threads; thread (ty, tx) owns rows ty + 16 r and columns tx + 16 c of o.
    constexpr int MR = M / 16, NR = N / 16;
    const int ty = threadIdx.x / 16, tx = threadIdx.x % 16;
    float acc[MR][NR];
#pragma unroll
    for (int r = 0; r < MR; ++r)
#pragma unroll
      for (int c = 0; c < NR; ++c) acc[r][c] = accumulate ? o[(ty + 16 * r) * ldo + tx + 16 * c] : 0.f;
#pragma unroll 4
    for (int k = 0; k < K; ++k) {
      float a[MR], b[NR];
#pragma unroll
      for (int r = 0; r < MR; ++r) a[r] = TA ? x[k * ldx + ty + 16 * r] : x[(ty + 16 * r) * ldx + k];
#pragma unroll
      for (int c = 0; c < NR; ++c) b[c] = TB ? y[(tx + 16 * c) * ldy + k] : y[k * ldy + tx + 16 * c];
#pragma unroll
      for (int r = 0; r < MR; ++r)
#pragma unroll
        for (int c = 0; c < NR; ++c) acc[r][c] = fmaf(a[r], b[c], acc[r][c]);
    }
#pragma unroll
    for (int r = 0; r < MR; ++r)
#pragma unroll
      for (int c = 0; c < NR; ++c) o[(ty + 16 * r) * ldo + tx + 16 * c] = acc[r][c];
  } else {
    // Tensor cores: each warp owns 16 x 16 tiles of o, K in steps of 8 (m16n16k8 TF32, fp32 accumulators).
    using namespace nvcuda;
    using LayoutA = typename std::conditional<TA, wmma::col_major, wmma::row_major>::type;
    using LayoutB = typename std::conditional<TB, wmma::col_major, wmma::row_major>::type;
    constexpr int TM = M / 16, TN = N / 16;
    const int warp = threadIdx.x / 32;
    for (int t = warp; t < TM * TN; t += WARPS) {
      const int i0 = (t / TN) * 16, j0 = (t % TN) * 16;
      wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc;
      if (accumulate) wmma::load_matrix_sync(acc, o + i0 * ldo + j0, ldo, wmma::mem_row_major);
      else wmma::fill_fragment(acc, 0.f);
#pragma unroll 2
      for (int k = 0; k < K; k += 8) {
        wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, LayoutA> a_hi, a_lo;
        wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, LayoutB> b_hi, b_lo;
        wmma::load_matrix_sync(a_hi, TA ? x + k * ldx + i0 : x + i0 * ldx + k, ldx);
        wmma::load_matrix_sync(b_hi, TB ? y + j0 * ldy + k : y + k * ldy + j0, ldy);
        if constexpr (MMA == MMA_TF32X3) {
#pragma unroll
          for (int e = 0; e < a_hi.num_elements; ++e) {
            const float v = a_hi.x[e], hi = wmma::__float_to_tf32(v);
            a_hi.x[e] = hi;
            a_lo.x[e] = wmma::__float_to_tf32(v - hi);
          }
#pragma unroll
          for (int e = 0; e < b_hi.num_elements; ++e) {
            const float v = b_hi.x[e], hi = wmma::__float_to_tf32(v);
            b_hi.x[e] = hi;
            b_lo.x[e] = wmma::__float_to_tf32(v - hi);
          }
          wmma::mma_sync(acc, a_lo, b_hi, acc);
          wmma::mma_sync(acc, a_hi, b_lo, acc);
        } else {
#pragma unroll
          for (int e = 0; e < a_hi.num_elements; ++e) a_hi.x[e] = wmma::__float_to_tf32(a_hi.x[e]);
#pragma unroll
          for (int e = 0; e < b_hi.num_elements; ++e) b_hi.x[e] = wmma::__float_to_tf32(b_hi.x[e]);
        }
        wmma::mma_sync(acc, a_hi, b_hi, acc);
      }
      wmma::store_matrix_sync(o + i0 * ldo + j0, acc, ldo, wmma::mem_row_major);
    }
  }
}

// Loads rows t0 .. t0 + R - 1 of one (rows x d) matrix x (row-major, starting at element `base` of x) into a
// (R x D) shared tile with row stride ld, as float; zero where t >= rows or e >= d.
template <typename T, int R, int D>
__device__ __forceinline__ void load_rows(float* tile, int ld, const T* x, size_t base, int t0, int rows, int d) {
  for (int idx = threadIdx.x; idx < R * D; idx += THREADS) {
    const int i = idx / D, e = idx % D, t = t0 + i;
    tile[i * ld + e] = (t < rows && e < d) ? load_as_float(x, base + (size_t)t * d + e) : 0.f;
  }
}

// Writes rows t0 .. t0 + R - 1 (those < rows) and columns < d of a (R x D) tile to one (rows x d) matrix out,
// multiplied by scale.
template <int R, int D>
__device__ __forceinline__ void store_rows(const float* tile, int ld, float* out, size_t base, int t0, int rows, int d,
                                           float scale) {
  for (int idx = threadIdx.x; idx < R * D; idx += THREADS) {
    const int i = idx / D, e = idx % D, t = t0 + i;
    if (t < rows && e < d) out[base + (size_t)t * d + e] = scale * tile[i * ld + e];
  }
}

// Sets every element of a (R x D) tile to zero.
template <int R, int D>
__device__ __forceinline__ void zero_tile(float* tile, int ld) {
  for (int idx = threadIdx.x; idx < R * D; idx += THREADS) tile[(idx / D) * ld + idx % D] = 0.f;
}

}  // namespace cot
