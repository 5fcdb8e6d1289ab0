// Layer modules with PyTorch's names, defaults, parameter names and init: Embedding, Conv1d, LayerNorm,
// Dropout, GELU, ReLU, Tanh, Sigmoid, Softmax, LogSoftmax, AdaptiveAvgPool1d, AdaptiveMaxPool1d,
// MaxPool1d.
// Each forward() calls one function of layers_functional.hpp (also included here).
//
//   Embedding emb(EmbeddingOptions(vocab, 64).padding_idx(0));
//   Conv1d conv(Conv1dOptions(64, 128, 3).padding(1));
//   Tensor h = conv.forward(transpose(emb.forward(ids), 1, 2));   // ids (B, L) -> (B, L, 64) -> (B, 64, L) -> (B, 128, L)
//   Tensor pooled = AdaptiveMaxPool1d(1).forward(h);               // (B, 128, 1)
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "birnn/layers_functional.hpp"
#include "birnn/module.hpp"

namespace birnn {

// ---- Embedding ----
class EmbeddingOptions {
 public:
  EmbeddingOptions(std::int64_t num_embeddings, std::int64_t embedding_dim) : num_(num_embeddings), dim_(embedding_dim) {}
  /// Row that starts at zero and never receives a gradient; negative counts from the end (as torch).
  EmbeddingOptions& padding_idx(std::optional<std::int64_t> v) { padding_idx_ = v; return *this; }
  std::int64_t num_embeddings() const { return num_; }
  std::int64_t embedding_dim() const { return dim_; }
  std::optional<std::int64_t> padding_idx() const { return padding_idx_; }

 private:
  std::int64_t num_, dim_;
  std::optional<std::int64_t> padding_idx_;
};

/// A lookup table `weight` (num_embeddings, embedding_dim), init N(0, 1) (padding row zero).
class Embedding : public Module {
 public:
  explicit Embedding(const EmbeddingOptions& o);
  /// A table holding a copy of `embeddings` (V, D), float32 or float64 (kept). freeze: no gradient for it.
  /// As in torch, the padding row keeps its given values (it only receives no gradient).
  static Embedding from_pretrained(const Tensor& embeddings, bool freeze = true,
                                   std::optional<std::int64_t> padding_idx = std::nullopt);
  /// ids: int64 of any shape -> (..., embedding_dim). Out-of-range ids throw ShapeError naming id and position.
  Tensor forward(const Tensor& ids) const;
  /// freeze(true) stops training the table (weight.requires_grad() becomes false); freeze(false) resumes.
  void freeze(bool on = true);
  bool frozen() const { return frozen_; }
  /// padding_idx normalised to [0, num_embeddings), or nullopt.
  const EmbeddingOptions& options() const { return options_; }

 private:
  Embedding(const EmbeddingOptions& o, Tensor weight);  // takes `weight` as the table, draws nothing
  EmbeddingOptions options_;
  bool frozen_ = false;
};

// ---- Conv1d ----
class Conv1dOptions {
 public:
  Conv1dOptions(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size)
      : in_(in_channels), out_(out_channels), k_(kernel_size) {}
  /// Step between output positions.
  Conv1dOptions& stride(std::int64_t v) { stride_ = v; return *this; }
  /// Zeros added on both ends of the input.
  Conv1dOptions& padding(std::int64_t v) { padding_ = v; return *this; }
  /// Spacing between kernel taps.
  Conv1dOptions& dilation(std::int64_t v) { dilation_ = v; return *this; }
  /// Whether the layer has a bias.
  Conv1dOptions& bias(bool v) { bias_ = v; return *this; }
  std::int64_t in_channels() const { return in_; }
  std::int64_t out_channels() const { return out_; }
  std::int64_t kernel_size() const { return k_; }
  std::int64_t stride() const { return stride_; }
  std::int64_t padding() const { return padding_; }
  std::int64_t dilation() const { return dilation_; }
  bool bias() const { return bias_; }

 private:
  std::int64_t in_, out_, k_, stride_ = 1, padding_ = 0, dilation_ = 1;
  bool bias_ = true;
};

/// weight (out, in, kernel_size), bias (out); both U(-1/sqrt(in*kernel_size), +) as torch.
class Conv1d : public Module {
 public:
  explicit Conv1d(const Conv1dOptions& o);
  /// x: (B, in_channels, L) -> (B, out_channels, L_out), L_out = (L + 2p - d(k-1) - 1) / stride + 1
  Tensor forward(const Tensor& x) const;
  const Conv1dOptions& options() const { return options_; }

 private:
  Conv1dOptions options_;
};

// ---- LayerNorm ----
class LayerNormOptions {
 public:
  /// normalized_shape: the size of the last dimension, over which each row is normalised.
  explicit LayerNormOptions(std::int64_t normalized_shape) : n_(normalized_shape) {}
  /// Added to the variance before the square root.
  LayerNormOptions& eps(double v) { eps_ = v; return *this; }
  /// Whether to learn weight (init 1) and bias (init 0).
  LayerNormOptions& elementwise_affine(bool v) { affine_ = v; return *this; }
  std::int64_t normalized_shape() const { return n_; }
  double eps() const { return eps_; }
  bool elementwise_affine() const { return affine_; }

 private:
  std::int64_t n_;
  double eps_ = 1e-5;
  bool affine_ = true;
};

class LayerNorm : public Module {
 public:
  explicit LayerNorm(const LayerNormOptions& o);
  /// x: (..., normalized_shape) -> same shape
  Tensor forward(const Tensor& x) const;
  const LayerNormOptions& options() const { return options_; }

 private:
  LayerNormOptions options_;
};

// ---- Dropout and activations (no parameters) ----
class DropoutOptions {
 public:
  DropoutOptions(double p = 0.5) : p_(p) {}  // NOLINT: implicit, so Dropout(0.2) reads naturally
  /// Probability of zeroing an element (training mode only), in [0, 1).
  DropoutOptions& p(double v) { p_ = v; return *this; }
  double p() const { return p_; }

 private:
  double p_;
};

/// Inverted dropout in training mode; identity after eval().
class Dropout : public Module {
 public:
  explicit Dropout(const DropoutOptions& o = {});
  Tensor forward(const Tensor& x) const;

 private:
  DropoutOptions options_;
};

class GELUOptions {
 public:
  /// "none" (exact, with erf) or "tanh" (the tanh approximation).
  GELUOptions& approximate(const std::string& v) { approximate_ = v; return *this; }
  const std::string& approximate() const { return approximate_; }

 private:
  std::string approximate_ = "none";
};

class GELU : public Module {
 public:
  explicit GELU(const GELUOptions& o = {});
  Tensor forward(const Tensor& x) const;

 private:
  GELUOptions options_;
};

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) const;
};

class Tanh : public Module {
 public:
  Tensor forward(const Tensor& x) const;
};

class Sigmoid : public Module {
 public:
  Tensor forward(const Tensor& x) const;
};

/// Softmax along `dim` (negative counts from the end).
class Softmax : public Module {
 public:
  explicit Softmax(std::int64_t dim) : dim_(dim) {}
  Tensor forward(const Tensor& x) const;

 private:
  std::int64_t dim_;
};

class LogSoftmax : public Module {
 public:
  explicit LogSoftmax(std::int64_t dim) : dim_(dim) {}
  Tensor forward(const Tensor& x) const;

 private:
  std::int64_t dim_;
};

// ---- adaptive pooling ----
/// (B, C, L) or (C, L) -> (..., output_size), torch's bins.
class AdaptiveAvgPool1d : public Module {
 public:
  explicit AdaptiveAvgPool1d(std::int64_t output_size);
  Tensor forward(const Tensor& x) const;

 private:
  std::int64_t output_size_;
};

class AdaptiveMaxPool1d : public Module {
 public:
  explicit AdaptiveMaxPool1d(std::int64_t output_size);
  Tensor forward(const Tensor& x) const;

 private:
  std::int64_t output_size_;
};

}  // namespace birnn

namespace birnn {

// ---- windowed max pooling ----
class MaxPool1dOptions {
 public:
  MaxPool1dOptions(std::int64_t kernel_size) : kernel_size_(kernel_size) {}  // NOLINT: MaxPool1d(2) reads naturally
  /// Step between windows; 0 (default) means kernel_size, as torch.nn.MaxPool1d.
  MaxPool1dOptions& stride(std::int64_t v) { stride_ = v; return *this; }
  std::int64_t kernel_size() const { return kernel_size_; }
  /// The effective stride (kernel_size when left at 0).
  std::int64_t stride() const { return stride_ == 0 ? kernel_size_ : stride_; }

 private:
  std::int64_t kernel_size_, stride_ = 0;
};

/// torch.nn.MaxPool1d(kernel_size, stride) with padding 0, dilation 1, ceil_mode False:
/// (B, C, L) or (C, L) -> (..., (L - kernel_size) / stride + 1). No parameters.
class MaxPool1d : public Module {
 public:
  explicit MaxPool1d(const MaxPool1dOptions& o);
  Tensor forward(const Tensor& x) const;
  const MaxPool1dOptions& options() const { return options_; }

 private:
  MaxPool1dOptions options_;
};

}  // namespace birnn
