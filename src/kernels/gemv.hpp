// Small-M matrix products for the recurrent step at batch 1 (see simd/gemv_simd.cpp):
//   C (M, N) = A (M, K) * B^T + beta * C,  B: (N, K) row-major (PyTorch's weight_hh layout).
// gemm() routes M = 1 here, and M <= 4 on CPUs without AVX-512 (BIRNN_GEMV=0 turns that off): on the Zen 5
// it measured 3-10% faster than dnnl_sgemm at M = 1 and slower at M = 2 for N >= 768; on a Zen 1 it is
// faster up to M = 4 (bench/micro/matvec_bench.cpp; gemm.cpp has the figures). The layers' recurrent steps at
// batches 2-64 on such CPUs take the panel kernel instead (panel_gemm.hpp). Tested against gemm_ref.
#pragma once
#include <cstdint>

namespace birnn::kernels {

void gemv_bt(std::int64_t M, std::int64_t N, std::int64_t K, const float* A, std::int64_t lda, const float* B,
             std::int64_t ldb, float beta, float* C, std::int64_t ldc);

}  // namespace birnn::kernels
