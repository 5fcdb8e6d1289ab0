#include "kernels/gemm_packed.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <tuple>
#include <unordered_map>

#include "kernels/ab_switch.hpp"
#include "kernels/gemm.hpp"
#include "kernels/panel_gemm.hpp"

namespace birnn::kernels {

namespace {
using I64 = std::int64_t;
using dnnl::memory;

dnnl::engine& cpu_engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}
dnnl::stream& cpu_stream() {
  thread_local dnnl::stream s(cpu_engine());
  return s;
}
memory::desc rows(I64 r, I64 c, I64 ld) { return memory::desc({r, c}, memory::data_type::f32, memory::dims{ld, 1}); }

dnnl::matmul::primitive_desc make_pd(I64 M, I64 N, I64 K, I64 lda, I64 ldc, float beta, bool bias,
                                     const memory::desc& w) {
  dnnl::primitive_attr attr;
  if (beta != 0.f) {
    dnnl::post_ops po;
    po.append_sum(beta);
    attr.set_post_ops(po);
  }
  const auto d = bias ? dnnl::matmul::desc(rows(M, K, lda), w, rows(1, N, N), rows(M, N, ldc))
                      : dnnl::matmul::desc(rows(M, K, lda), w, rows(M, N, ldc));
  return dnnl::matmul::primitive_desc(d, attr, cpu_engine());
}

// Which of oneDNN's implementations a primitive descriptor chose: "brg..." (brgemm), "gemm:jit", "ref..."
bool implementation_is(const dnnl::matmul::primitive_desc& pd, const char* prefix) {
  return std::string(pd.impl_info_str()).rfind(prefix, 0) == 0;
}

// Without oneDNN's blocked layout (CPUs without AVX-512), products of up to this many rows run birnn's panel
// kernel on a copy of W in panels (panel_gemm.hpp). Zen 1, LSTM W_hh (1024 x 256), per product against
// dnnl_sgemm on W: M = 2 34.8 against 87.4 us (and 44.6 for the row-dot kernel that gemm() takes there),
// M = 4 56.7 / 99.2, M = 8 115 / 170, M = 16 230 / 267, M = 32 459 / 503, M = 64 918 / 933 (GRU at M = 64
// 707 / 699: level); bench/micro matvec/*. Longer products (the input projection over many steps) re-read
// A once per panel and stay with sgemm.
constexpr I64 kPanelMaxRows = 64;
// BIRNN_PANELS=0 turns the panels off (for A/B benchmarks against the unpacked path).
bool panels_enabled() {
  static const bool on = ab_switch_on("BIRNN_PANELS");
  return on;
}

// The weight layout oneDNN picks for (N, K) at a typical M, cached: a layer calls this once per forward.
// Empty when oneDNN has no matmul for it, or only its sgemm-based one: that is what CPUs without AVX-512
// get from oneDNN 2.6 (`gemm:jit` on a plain row-major copy of W), and there it is slower than gemm() on
// W itself (Zen 1, AVX2: the B = 64 LSTM step 1169 us against 912 us), while brgemm's blocked layout is
// faster (Zen 5, AVX-512: 199 against 221 us).
const memory::desc& packed_layout(I64 N, I64 K, I64 m_hint) {
  thread_local std::map<std::tuple<I64, I64, I64>, memory::desc> cache;
  const auto key = std::make_tuple(N, K, m_hint);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  memory::desc d;
  try {
    const memory::desc any({K, N}, memory::data_type::f32, memory::format_tag::any);
    const auto pd = make_pd(m_hint, N, K, K, N, 1.f, false, any);
    if (implementation_is(pd, "brg")) d = pd.weights_desc();
  } catch (const dnnl::error&) {
  }
  return cache.emplace(key, d).first->second;
}

struct Prim {
  bool ok = false;  // false: oneDNN would not run this shape on the packed layout; use gemm()
  dnnl::matmul mm;
  memory a, c, bias;
};

// One primitive per product shape on a given packed layout, cached per thread for the life of the program
// (creating one costs tens of microseconds; a ragged batch runs up to T row counts per call). A primitive
// does not hold the weights (they are passed at each execution), so every pack of that shape shares it.
Prim& primitive(I64 N, I64 K, I64 m_hint, const memory::desc& packed, I64 M, I64 lda, I64 ldc, float beta,
                bool bias) {
  thread_local std::map<std::tuple<I64, I64, I64, I64, I64, I64, float, bool>, Prim> cache;
  const auto key = std::make_tuple(N, K, m_hint, M, lda, ldc, beta, bias);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  Prim p;
  try {
    auto pd = make_pd(M, N, K, lda, ldc, beta, bias, packed);
    // Another M may want another layout; then this shape keeps using sgemm rather than repacking. Nor is
    // oneDNN's reference matmul (what it picks for some strided operands) used: it is ~100x slower.
    if (pd.weights_desc() == packed && !implementation_is(pd, "ref")) {
      p.mm = dnnl::matmul(pd);
      p.a = memory(pd.src_desc(), cpu_engine(), DNNL_MEMORY_NONE);
      p.c = memory(pd.dst_desc(), cpu_engine(), DNNL_MEMORY_NONE);
      if (bias) p.bias = memory(pd.bias_desc(), cpu_engine(), DNNL_MEMORY_NONE);
      p.ok = true;
    }
  } catch (const dnnl::error&) {
  }
  return cache.emplace(key, std::move(p)).first->second;
}
}  // namespace

struct PackedF32::Impl {
  const float* W;  // the caller's weight: the M <= 1 and fallback paths multiply it directly
  I64 N, K, ld, m_hint;
  bool transposed;
  memory packed;               // oneDNN's blocked layout (AVX-512), or empty
  std::vector<float> panels;  // else birnn's panels for M in 2 .. kPanelMaxRows, or empty
};

PackedF32::PackedF32(const float* W, I64 N, I64 K, I64 ld, bool transposed, I64 m_hint)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.W = W, m.N = N, m.K = K, m.ld = ld, m.m_hint = m_hint > 1 ? m_hint : 64, m.transposed = transposed;
  if (N <= 0 || K <= 0) return;
  const memory::desc& layout = packed_layout(N, K, m.m_hint);
  if (layout.is_zero()) {
    if (m.m_hint <= kPanelMaxRows && panels_enabled()) m.panels = pack_panels(W, N, K, ld, transposed);
    return;
  }
  try {
    // op(W) is (K, N): element (k, n) sits at W[n * ld + k] (transposed) or W[k * ld + n].
    const memory::desc user({K, N}, memory::data_type::f32, transposed ? memory::dims{1, ld} : memory::dims{ld, 1});
    memory src(user, cpu_engine(), const_cast<float*>(W)), dst(layout, cpu_engine());
    dnnl::reorder(src, dst).execute(cpu_stream(), src, dst);
    m.packed = dst;
  } catch (const dnnl::error&) {
  }
}

PackedF32::~PackedF32() = default;
PackedF32::PackedF32(PackedF32&&) noexcept = default;
PackedF32& PackedF32::operator=(PackedF32&&) noexcept = default;

void PackedF32::multiply(I64 M, const float* A, I64 lda, float beta, float* C, I64 ldc, const float* bias) const {
  const Impl& m = *impl_;
  if (bias && beta != 0.f) throw std::invalid_argument("PackedF32::multiply: a bias needs beta == 0");
  if (M <= 0 || m.N <= 0) return;
  // M == 1 is the batch-1 step: gemm()'s row-dot kernel beats any GEMM there.
  if (!m.panels.empty() && M > 1 && M <= kPanelMaxRows)
    return panel_gemm(M, m.N, m.K, A, lda, m.panels.data(), beta, C, ldc, bias);
  Prim* p = M > 1 && m.packed ? &primitive(m.N, m.K, m.m_hint, m.packed.get_desc(), M, lda, ldc, beta, bias) : nullptr;
  if (!p || !p->ok) {
    if (bias)
      for (I64 i = 0; i < M; ++i) std::memcpy(C + i * ldc, bias, sizeof(float) * static_cast<std::size_t>(m.N));
    return gemm(false, m.transposed, M, m.N, m.K, 1.f, A, lda, m.W, m.ld, bias ? 1.f : beta, C, ldc);
  }
  p->a.set_data_handle(const_cast<float*>(A));
  p->c.set_data_handle(C);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, p->a}, {DNNL_ARG_WEIGHTS, m.packed}, {DNNL_ARG_DST, p->c}};
  if (bias) p->bias.set_data_handle(const_cast<float*>(bias)), args.emplace(DNNL_ARG_BIAS, p->bias);
  p->mm.execute(cpu_stream(), args);
}

}  // namespace birnn::kernels
