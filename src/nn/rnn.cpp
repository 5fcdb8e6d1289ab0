// RNN / LSTM / GRU modules: parameter registration (PyTorch names and init), input checks, packing,
// stacking layers with dropout between them, and h_n / c_n assembly. The math is in rnn_layer_op.cpp.
#include "birnn/rnn.hpp"

#include <cmath>

#include "birnn/autograd.hpp"
#include "birnn/ops.hpp"
#include "birnn/random.hpp"
#include "core/dispatch.hpp"
#include "kernels/gemm_bf16.hpp"
#include "nn/bf16_weights.hpp"
#include "nn/rnn_layer_op.hpp"

namespace birnn {

const char* cell_name(CellKind c) {
  switch (c) {
    case CellKind::rnn_tanh: return "rnn_tanh";
    case CellKind::rnn_relu: return "rnn_relu";
    case CellKind::lstm: return "lstm";
    case CellKind::gru: return "gru";
    case CellKind::gru_reset_before: return "gru_reset_before";
  }
  return "?";
}

std::int64_t gate_count(CellKind c) {
  switch (c) {
    case CellKind::lstm: return 4;
    case CellKind::gru:
    case CellKind::gru_reset_before: return 3;
    default: return 1;
  }
}

std::int64_t RecurrentConfig::gates() const { return gate_count(cell); }

void RecurrentConfig::validate() const {
  auto fail = [&](const std::string& m) { throw OptionError(std::string(cell_name(cell)) + ": " + m); };
  if (input_size < 1) fail("input_size must be >= 1, got " + std::to_string(input_size));
  if (hidden_size < 1) fail("hidden_size must be >= 1, got " + std::to_string(hidden_size));
  if (num_layers < 1) fail("num_layers must be >= 1, got " + std::to_string(num_layers));
  if (!(dropout >= 0.0 && dropout < 1.0)) fail("dropout must be in [0, 1), got " + std::to_string(dropout));
  if (proj_size < 0) fail("proj_size must be >= 0, got " + std::to_string(proj_size));
  if (proj_size > 0 && cell != CellKind::lstm) fail("proj_size is only supported by LSTM");
  if (proj_size >= hidden_size && proj_size > 0)
    fail("proj_size must be smaller than hidden_size (" + std::to_string(proj_size) + " >= " + std::to_string(hidden_size) + ")");
  const std::int64_t limit = std::int64_t(1) << 24;  // keeps every buffer size far from overflow
  if (input_size > limit || hidden_size > limit || num_layers > 1024) fail("sizes are unreasonably large");
}

namespace {
template <class O>
RecurrentConfig common(const O& o, CellKind cell) {
  RecurrentConfig c;
  c.cell = cell;
  c.input_size = o.input_size();
  c.hidden_size = o.hidden_size();
  c.num_layers = o.num_layers();
  c.bias = o.bias();
  c.batch_first = o.batch_first();
  c.dropout = o.dropout();
  c.bidirectional = o.bidirectional();
  return c;
}

RecurrentConfig from(const RNNOptions& o) {
  if (o.nonlinearity() != "tanh" && o.nonlinearity() != "relu")
    throw OptionError("RNN: nonlinearity must be \"tanh\" or \"relu\", got \"" + o.nonlinearity() + "\"");
  return common(o, o.nonlinearity() == "relu" ? CellKind::rnn_relu : CellKind::rnn_tanh);
}
RecurrentConfig from(const LSTMOptions& o) {
  auto c = common(o, CellKind::lstm);
  c.proj_size = o.proj_size();
  return c;
}
RecurrentConfig from(const GRUOptions& o) { return common(o, o.reset_after() ? CellKind::gru : CellKind::gru_reset_before); }

std::string suffix(std::int64_t layer, std::int64_t dir) { return "_l" + std::to_string(layer) + (dir ? "_reverse" : ""); }

// bf16 only in eval mode and when nothing will be differentiated: gradients are always exact fp32.
bool runs_bf16(const Module& m, const std::string& who, std::initializer_list<const Tensor*> inputs) {
  if (m.inference_precision() != Precision::bf16 || m.is_training()) return false;
  const auto params = m.parameters();
  if (grad_mode_enabled()) {
    for (const Tensor* t : inputs)
      if (t->defined() && t->requires_grad()) return false;
    for (const Tensor& p : params)
      if (p.requires_grad()) return false;
  }
  if (params.front().dtype() != DType::f32)
    throw OptionError(who + ": bf16 inference needs float32 parameters, this module is " + dtype_name(params.front().dtype()));
  return true;
}

std::shared_ptr<const nn::Bf16Params> pack_bf16(nn::Bf16WeightCache& cache, const std::string& s, const nn::DirectionParams& w,
                                                CellKind cell, std::int64_t H) {
  auto p = std::make_shared<nn::Bf16Params>();
  p->w_ih = cache.get("weight_ih" + s, w.w_ih, 0, w.w_ih.size(0));
  if (cell == CellKind::gru_reset_before) {  // multiplied in two parts, see rnn_layer_op.cpp
    p->w_hh = cache.get("weight_hh" + s, w.w_hh, 0, 2 * H);
    p->w_hh_n = cache.get("weight_hh" + s + "/n", w.w_hh, 2 * H, H);
  } else {
    p->w_hh = cache.get("weight_hh" + s, w.w_hh, 0, w.w_hh.size(0));
  }
  if (w.w_hr.defined()) p->w_hr = cache.get("weight_hr" + s, w.w_hr, 0, w.w_hr.size(0));
  return p;
}
}  // namespace

bool bf16_native() { return kernels::bf16_native(); }

RNN::RNN(const RNNOptions& o) : RecurrentBase(from(o)) {}
LSTM::LSTM(const LSTMOptions& o) : RecurrentBase(from(o)) {}
GRU::GRU(const GRUOptions& o) : RecurrentBase(from(o)) {}

RecurrentBase::RecurrentBase(const RecurrentConfig& config)
    : config_(config), bf16_cache_(std::make_shared<nn::Bf16WeightCache>()) {
  config_.validate();
  const auto& c = config_;
  const std::int64_t GH = c.gates() * c.hidden_size, Hout = c.output_size();
  // Same registration order as PyTorch's _flat_weights_names, so state_dict order matches too.
  for (std::int64_t l = 0; l < c.num_layers; ++l) {
    const std::int64_t in = l == 0 ? c.input_size : Hout * c.num_directions();
    for (std::int64_t d = 0; d < c.num_directions(); ++d) {
      const auto s = suffix(l, d);
      register_parameter("weight_ih" + s, Tensor::empty({GH, in}));
      register_parameter("weight_hh" + s, Tensor::empty({GH, Hout}));
      if (c.bias) {
        register_parameter("bias_ih" + s, Tensor::empty({GH}));
        register_parameter("bias_hh" + s, Tensor::empty({GH}));
      }
      if (c.proj_size > 0) register_parameter("weight_hr" + s, Tensor::empty({Hout, c.hidden_size}));
    }
  }
  reset_parameters();
}

void RecurrentBase::reset_parameters() {
  const double k = 1.0 / std::sqrt(static_cast<double>(config_.hidden_size));
  for (auto& [name, p] : named_parameters()) {
    dispatch_floating(p.dtype(), "reset_parameters", [&](auto tag) {
      using T = decltype(tag);
      T* v = p.template data<T>();
      for (std::int64_t i = 0; i < p.numel(); ++i) v[i] = static_cast<T>(uniform(-k, k));
    });
    p.bump_version();
  }
}

RecurrentOutput RecurrentBase::forward(const Tensor& x, const Tensor& lengths, const Tensor& h0, const Tensor& c0) {
  const auto& c = config_;
  const std::string who = cell_name(c.cell);
  if (!x.defined() || x.dim() != 3)
    throw ShapeError(who + ": input must be 3-D " + (c.batch_first ? "(B, T, I)" : "(T, B, I)") + ", got " +
                     (x.defined() ? shape_str(x.shape()) : "none"));
  const DType dt = parameters().front().dtype();
  check_dtype(x, dt, who + " input");
  const std::int64_t T = c.batch_first ? x.size(1) : x.size(0), B = c.batch_first ? x.size(0) : x.size(1);
  if (x.size(2) != c.input_size)
    throw ShapeError(who + ": input has " + std::to_string(x.size(2)) + " features per step, input_size is " + std::to_string(c.input_size));
  const std::int64_t L = c.num_layers, D = c.num_directions(), H = c.hidden_size, Hout = c.output_size();
  if (h0.defined()) check_shape(h0, {L * D, B, Hout}, who + " h0 (num_layers * num_directions, batch, hidden)"), check_dtype(h0, dt, "h0");
  if (c0.defined()) {
    if (c.cell != CellKind::lstm) throw ShapeError(who + ": c0 is only for LSTM");
    check_shape(c0, {L * D, B, H}, who + " c0 (num_layers * num_directions, batch, hidden)");
    check_dtype(c0, dt, "c0");
  }
  auto plan = nn::make_pack_plan(T, B, lengths);
  const bool bf16 = runs_bf16(*this, who, {&x, &h0, &c0});

  // (T, B, I) time-major and dense is already the packed layout; anything else is gathered once.
  const std::int64_t rows = T * B;
  Tensor layer_in = reshape(x, {rows, c.input_size});
  if (!(plan->dense && !c.batch_first)) layer_in = gather_rows(layer_in, nn::packed_to_padded_rows(*plan, c.batch_first));

  nn::LayerSpec spec;
  spec.cell = c.cell;
  spec.hidden_size = H;
  spec.proj_size = c.proj_size;
  spec.directions = D;
  spec.bias = c.bias;
  std::vector<Tensor> hns, cns;
  for (std::int64_t l = 0; l < L; ++l) {
    spec.input_size = l == 0 ? c.input_size : Hout * D;
    std::vector<nn::DirectionParams> ps(static_cast<std::size_t>(D));
    for (std::int64_t d = 0; d < D; ++d) {
      const auto s = suffix(l, d);
      auto& w = ps[static_cast<std::size_t>(d)];
      w.w_ih = param("weight_ih" + s);
      w.w_hh = param("weight_hh" + s);
      if (c.bias) w.b_ih = param("bias_ih" + s), w.b_hh = param("bias_hh" + s);
      if (c.proj_size > 0) w.w_hr = param("weight_hr" + s);
      if (bf16) w.bf16 = pack_bf16(*bf16_cache_, s, w, c.cell, H);
    }
    const Tensor h0l = h0.defined() ? (L == 1 ? h0 : narrow(h0, 0, l * D, D)) : Tensor();
    const Tensor c0l = c0.defined() ? (L == 1 ? c0 : narrow(c0, 0, l * D, D)) : Tensor();
    auto r = nn::rnn_layer(spec, plan, layer_in, h0l, c0l, ps);
    hns.push_back(r.h_n);
    if (r.c_n.defined()) cns.push_back(r.c_n);
    layer_in = (l + 1 < L) ? dropout(r.y, c.dropout, is_training()) : r.y;
  }

  RecurrentOutput out;
  Tensor y = layer_in;  // (N, D*Hout) packed
  if (!(plan->dense && !c.batch_first)) y = gather_rows(y, nn::padded_to_packed_rows(*plan, c.batch_first));
  out.output = reshape(y, c.batch_first ? Shape{B, T, D * Hout} : Shape{T, B, D * Hout});
  out.h_n = L == 1 ? hns[0] : cat(hns, 0);
  if (!cns.empty()) out.c_n = L == 1 ? cns[0] : cat(cns, 0);
  return out;
}

Tensor RecurrentBase::step(const Tensor& x_t, RecurrentState& state) {
  const auto& c = config_;
  if (c.bidirectional)
    throw OptionError(std::string(cell_name(c.cell)) + ": step() streams one direction only; a bidirectional layer needs the whole sequence");
  if (!x_t.defined() || x_t.dim() != 2)
    throw ShapeError(std::string(cell_name(c.cell)) + " step: x_t must be (B, I), got " + (x_t.defined() ? shape_str(x_t.shape()) : "none"));
  const Tensor x = reshape(x_t, c.batch_first ? Shape{x_t.size(0), 1, x_t.size(1)} : Shape{1, x_t.size(0), x_t.size(1)});
  auto r = forward(x, Tensor(), state.h, c.cell == CellKind::lstm ? state.c : Tensor());
  state.h = r.h_n;
  if (c.cell == CellKind::lstm) state.c = r.c_n;
  return reshape(r.output, {x_t.size(0), c.output_size()});
}

}  // namespace birnn
