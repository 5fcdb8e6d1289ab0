// Float64 kernels for the CRF's forward-backward and Viterbi over K tags (see simd/crf_simd.cpp). The
// definitions are the plain loops in ref/crf_ref.hpp; the SIMD versions agree with them to double rounding
// (Highway's exp is within 1 ULP, its log within 4) and are tested against them in tests/unit/test_crf_kernels.cpp.
// Matrices are row-major with rows of length N (the tags after the transition).
#pragma once
#include <cstdint>

namespace birnn::kernels {

/// out[i] = exp(x[i] - m) for i < n (0 where x[i] = -inf, NaN stays NaN). out may alias x.
void crf_exp_shifted(const double* x, double m, std::int64_t n, double* out);

/// out[i] = c + log(s[i]) for i < n (s[i] > 0).
void crf_log_offset(const double* s, double c, std::int64_t n, double* out);

/// out = W M: out[r * N + j] = sum_i W[r * K + i] * M[i * N + j]   W: (n, K)  M: (K, N)  out: (n, N), not
/// aliasing W or M. The sum runs over i in order with fused multiply-adds, for every n.
void crf_matmul(std::int64_t n, const double* W, const double* M, std::int64_t K, std::int64_t N, double* out);

/// G += R^T C   R: (n, K)  C: (n, N)  G: (K, N): the sum over n rows of the outer products r c^T.
void crf_add_outer(std::int64_t n, const double* R, const double* C, std::int64_t K, std::int64_t N, double* G);

/// Max-plus product with argmax: best[j] = max_i x[i] + A[i * N + j], arg[j] = the lowest i attaining it
/// (strict >, starting from -inf and 0, so NaN is never chosen and an all -inf column gives 0).
void crf_maxplus(const double* x, const double* A, std::int64_t K, std::int64_t N, double* best, std::int64_t* arg);

}  // namespace birnn::kernels
