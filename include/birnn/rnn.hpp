// RNN, LSTM and GRU with the semantics, options, weight names and init of torch.nn.RNN/LSTM/GRU.
//
//   birnn::LSTM lstm(birnn::LSTMOptions(300, 256).num_layers(2).bidirectional(true));
//   auto out = lstm.forward(x, lengths);   // x: (T, B, 300); lengths: int64 (B) or undefined
//   out.output   // (T, B, 2*256), zero at padded steps
//   out.h_n      // (num_layers * 2, B, 256); row layer*2 + direction, taken at each item's real end
//
// Equations (gate order as PyTorch; W_* are slices of weight_ih_l{k} / weight_hh_l{k}):
//   RNN:  h' = tanh|relu(W_ih x + b_ih + W_hh h + b_hh)
//   LSTM: i,f,g,o = σ,σ,tanh,σ(W_ih x + b_ih + W_hh h + b_hh);  c' = f*c + i*g;  h' = o*tanh(c')
//         with proj_size P > 0: h' = W_hr (o*tanh(c'))  (h is then P wide)
//   GRU (reset_after, PyTorch/cuDNN/Keras default): r,z = σ(W_i{r,z} x + b_i{r,z} + W_h{r,z} h + b_h{r,z})
//         n = tanh(W_in x + b_in + r * (W_hn h + b_hn));  h' = (1-z)*n + z*h
//   GRU (reset_after(false), the original / Keras reset_after=False form):
//         n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)
//
// Variable lengths (pack_padded_sequence with enforce_sorted=False): 1 <= lengths[b] <= T. Padded steps
// output zeros; the reverse direction starts at each item's own last step, and its output at step t lines
// up with input step t; h_n is taken at each item's real end. No work is done on padding.
//
// bf16 inference: lstm.eval(); lstm.set_inference_precision(Precision::bf16); then forward under a
// NoGradGuard runs every weight GEMM (input projection, recurrent product, projection) with the weights
// rounded to bf16 once (cached; repacked when a parameter changes: optimizer step, load_state_dict,
// reset_parameters, Module::to) and the activations rounded per GEMM, accumulating in f32; gates and
// state stay f32. Outputs then differ from fp32 by about 2^-9 * sqrt(K) * typical |w x| (see
// tests/unit/test_rnn_bf16.cpp for the bound used). A forward that records gradients, or runs in
// training mode, is always fp32. With AVX-512 BF16 (vdpbf16ps) this is ~2x faster; on other CPUs the
// same rounded numbers go through the f32 GEMM (slower than fp32; check bf16_native()).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "birnn/module.hpp"
#include "birnn/tensor.hpp"

namespace birnn {

namespace nn {
class Bf16WeightCache;
}

/// Whether this CPU has the AVX-512 BF16 instructions the bf16 inference kernel uses.
bool bf16_native();

enum class CellKind { rnn_tanh, rnn_relu, lstm, gru, gru_reset_before };
const char* cell_name(CellKind c);
/// Gate blocks per hidden unit: 4 (LSTM), 3 (GRU, either form), 1 (RNN).
std::int64_t gate_count(CellKind c);

/// Options shared by RNN, LSTM and GRU. Setters chain: Options(I, H).num_layers(2).bidirectional(true).
template <class Derived>
class RecurrentOptionsBase {
 public:
  RecurrentOptionsBase(std::int64_t input_size, std::int64_t hidden_size)
      : input_size_(input_size), hidden_size_(hidden_size) {}
  /// Features per input step.
  Derived& input_size(std::int64_t v) { input_size_ = v; return self(); }
  /// Features of the hidden state (per direction).
  Derived& hidden_size(std::int64_t v) { hidden_size_ = v; return self(); }
  /// Number of stacked layers; layer k > 0 reads layer k-1's output.
  Derived& num_layers(std::int64_t v) { num_layers_ = v; return self(); }
  /// Whether the layers have bias_ih / bias_hh.
  Derived& bias(bool v) { bias_ = v; return self(); }
  /// Input and output as (B, T, F) instead of (T, B, F). h0/h_n are (L*D, B, H) either way.
  Derived& batch_first(bool v) { batch_first_ = v; return self(); }
  /// Dropout on the outputs of every layer but the last, in training mode only.
  Derived& dropout(double v) { dropout_ = v; return self(); }
  /// Run a second layer backwards over each sequence and concatenate both outputs.
  Derived& bidirectional(bool v) { bidirectional_ = v; return self(); }

  std::int64_t input_size() const { return input_size_; }
  std::int64_t hidden_size() const { return hidden_size_; }
  std::int64_t num_layers() const { return num_layers_; }
  bool bias() const { return bias_; }
  bool batch_first() const { return batch_first_; }
  double dropout() const { return dropout_; }
  bool bidirectional() const { return bidirectional_; }

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
  std::int64_t input_size_, hidden_size_, num_layers_ = 1;
  bool bias_ = true, batch_first_ = false;
  double dropout_ = 0.0;
  bool bidirectional_ = false;
};

class RNNOptions : public RecurrentOptionsBase<RNNOptions> {
 public:
  using RecurrentOptionsBase::RecurrentOptionsBase;
  /// "tanh" (default) or "relu".
  RNNOptions& nonlinearity(const std::string& v) { nonlinearity_ = v; return *this; }
  const std::string& nonlinearity() const { return nonlinearity_; }

 private:
  std::string nonlinearity_ = "tanh";
};

class LSTMOptions : public RecurrentOptionsBase<LSTMOptions> {
 public:
  using RecurrentOptionsBase::RecurrentOptionsBase;
  /// If > 0, h is projected to this size by weight_hr_l{k} (must be < hidden_size).
  LSTMOptions& proj_size(std::int64_t v) { proj_size_ = v; return *this; }
  std::int64_t proj_size() const { return proj_size_; }

 private:
  std::int64_t proj_size_ = 0;
};

class GRUOptions : public RecurrentOptionsBase<GRUOptions> {
 public:
  using RecurrentOptionsBase::RecurrentOptionsBase;
  /// true: PyTorch's form, reset gate applied after the recurrent product (default);
  /// false: the original form, n = tanh(W_in x + b_in + W_hn (r*h) + b_hn).
  GRUOptions& reset_after(bool v) { reset_after_ = v; return *this; }
  bool reset_after() const { return reset_after_; }

 private:
  bool reset_after_ = true;
};

/// Everything the layers need, whatever the cell (what the three options classes reduce to).
struct RecurrentConfig {
  CellKind cell = CellKind::lstm;
  std::int64_t input_size = 0, hidden_size = 0, num_layers = 1, proj_size = 0;
  bool bias = true, batch_first = false, bidirectional = false;
  double dropout = 0.0;
  std::int64_t num_directions() const { return bidirectional ? 2 : 1; }
  std::int64_t output_size() const { return proj_size > 0 ? proj_size : hidden_size; }  // per direction
  std::int64_t gates() const;                                                            // 4, 3 or 1
  void validate() const;  // throws OptionError
};

struct RecurrentOutput {
  Tensor output;  ///< (T, B, D*H_out) or (B, T, D*H_out) with batch_first; zeros at padded steps
  Tensor h_n;     ///< (L*D, B, H_out), row layer*D + direction
  Tensor c_n;     ///< LSTM only: (L*D, B, H)
};

/// The hidden state carried between calls of step() (streaming inference).
struct RecurrentState {
  Tensor h;  ///< (L, B, H_out); undefined before the first step means zeros
  Tensor c;  ///< LSTM only: (L, B, H)
};

/// The common implementation of RNN, LSTM and GRU.
class RecurrentBase : public Module {
 public:
  explicit RecurrentBase(const RecurrentConfig& config);
  const RecurrentConfig& config() const { return config_; }

  /// x: (T, B, I) or (B, T, I); lengths: int64 (B) or undefined (all T); h0: (L*D, B, H_out) or
  /// undefined (zeros); c0 likewise (LSTM only).
  RecurrentOutput forward(const Tensor& x, const Tensor& lengths = Tensor(), const Tensor& h0 = Tensor(),
                          const Tensor& c0 = Tensor());
  /// One time step for streaming: x_t: (B, I); returns (B, H_out) and updates state. Unidirectional only.
  Tensor step(const Tensor& x_t, RecurrentState& state);
  /// Re-draws every parameter from U(-1/sqrt(H), 1/sqrt(H)) with the library generator (PyTorch's init).
  void reset_parameters();

 private:
  RecurrentConfig config_;
  std::shared_ptr<nn::Bf16WeightCache> bf16_cache_;  // packed bf16 weights for inference, made on first use
};

class RNN : public RecurrentBase {
 public:
  explicit RNN(const RNNOptions& o);
};
class LSTM : public RecurrentBase {
 public:
  explicit LSTM(const LSTMOptions& o);
};
class GRU : public RecurrentBase {
 public:
  explicit GRU(const GRUOptions& o);
};

}  // namespace birnn
