// Fused per-step pointwise kernels (gate non-linearities + state update). Signatures and semantics
// are those of the reference loops in ref/pointwise_ref.hpp. float runs the SIMD kernels (runtime
// dispatch to the best instruction set this CPU has, via Highway); double runs the reference loops.
#pragma once
#include <cstdint>

#include "kernels/ref/pointwise_ref.hpp"

namespace birnn::kernels {

void lstm_forward(std::int64_t n, std::int64_t H, float* gates, std::int64_t ldg, const float* c_prev, std::int64_t ldcp,
                  float* c, std::int64_t ldc, float* h, std::int64_t ldh, float* tc, std::int64_t ldtc);
void gru_forward(std::int64_t n, std::int64_t H, float* xg, std::int64_t ldx, const float* hg, std::int64_t ldhg,
                 const float* b_hh, float* hn, std::int64_t ldhn, const float* h_prev, std::int64_t ldhp, float* h,
                 std::int64_t ldh);
void gru_rb_stage1(std::int64_t n, std::int64_t H, float* xg, std::int64_t ldx, const float* hg, std::int64_t ldhg,
                   const float* b_hh, const float* h_prev, std::int64_t ldhp, float* rh, std::int64_t ldrh);
void gru_rb_stage2(std::int64_t n, std::int64_t H, float* xg, std::int64_t ldx, const float* hn, std::int64_t ldhn,
                   const float* b_hh, const float* h_prev, std::int64_t ldhp, float* h, std::int64_t ldh);
void rnn_forward(std::int64_t n, std::int64_t H, float* gates, std::int64_t ldg, bool relu, float* h, std::int64_t ldh);

// double: the reference loops.
using ref::gru_forward;
using ref::gru_rb_stage1;
using ref::gru_rb_stage2;
using ref::lstm_forward;
using ref::rnn_forward;

/// y[i] = sigmoid(x[i]) and y[i] = tanh(x[i]), i < n, with the gate kernels' divide-free SIMD math
/// (simd/fast_math-inl.h; x and y may alias). For tests and benchmarks of that math alone.
void sigmoid_array(std::int64_t n, const float* x, float* y);
void tanh_array(std::int64_t n, const float* x, float* y);

/// Name of the instruction set the dispatcher picked (e.g. "AVX3_ZEN4"), for bench output.
const char* simd_target_name();

}  // namespace birnn::kernels
