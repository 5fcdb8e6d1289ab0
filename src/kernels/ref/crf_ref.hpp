// Plain reference loops of the CRF kernels (kernels/crf_kernels.hpp): the definitions the SIMD versions
// in simd/crf_simd.cpp are tested against.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>

namespace birnn::kernels::ref {

// x: (n)  out: (n)
inline void crf_exp_shifted(const double* x, double m, std::int64_t n, double* out) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = std::exp(x[i] - m);
}

// s: (n)  out: (n)
inline void crf_log_offset(const double* s, double c, std::int64_t n, double* out) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = c + std::log(s[i]);
}

// W: (n, K)  M: (K, N)  out: (n, N)
inline void crf_matmul(std::int64_t n, const double* W, const double* M, std::int64_t K, std::int64_t N, double* out) {
  for (std::int64_t r = 0; r < n; ++r)
    for (std::int64_t j = 0; j < N; ++j) {
      double s = 0;
      for (std::int64_t i = 0; i < K; ++i) s += W[r * K + i] * M[i * N + j];
      out[r * N + j] = s;
    }
}

// R: (n, K)  C: (n, N)  G: (K, N)
inline void crf_add_outer(std::int64_t n, const double* R, const double* C, std::int64_t K, std::int64_t N, double* G) {
  for (std::int64_t t = 0; t < n; ++t)
    for (std::int64_t i = 0; i < K; ++i)
      for (std::int64_t j = 0; j < N; ++j) G[i * N + j] += R[t * K + i] * C[t * N + j];
}

// x: (K)  A: (K, N)  best, arg: (N)
inline void crf_maxplus(const double* x, const double* A, std::int64_t K, std::int64_t N, double* best, std::int64_t* arg) {
  for (std::int64_t j = 0; j < N; ++j) {
    double m = -std::numeric_limits<double>::infinity();
    std::int64_t a = 0;
    for (std::int64_t i = 0; i < K; ++i) {
      const double v = x[i] + A[i * N + j];
      if (v > m) m = v, a = i;
    }
    best[j] = m, arg[j] = a;
  }
}

}  // namespace birnn::kernels::ref
