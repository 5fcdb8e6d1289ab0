// The layers of the training toolkit as differentiable functions (torch.nn.functional's counterparts).
// Each records one autograd node (unless in NoGradGuard), accepts float32 and float64 (int64 only for
// ids and lengths) and has a float64 gradient check in tests/unit/test_layers_gradcheck.cpp.
// The modules in layers.hpp own the parameters and call these.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "birnn/tensor.hpp"

namespace birnn {

// ---- shape ----
/// Reorders dimensions: out.shape[i] = x.shape[dims[i]] (torch.permute); dims is a permutation,
/// negative entries count from the end. The result is a contiguous copy.
Tensor permute(const Tensor& x, const std::vector<std::int64_t>& dims);
/// Swaps two dimensions (torch.transpose), e.g. (B, L, C) -> (B, C, L) for conv1d: transpose(x, 1, 2).
Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1);

// ---- embedding ----
/// ids: int64 of any shape, each in [0, V)  weight: (V, D)  ->  (..., D)   (F.embedding)
/// The row padding_idx (if given, in [0, V)) receives no gradient. Out-of-range ids throw ShapeError
/// naming the id and its position.
Tensor embedding(const Tensor& ids, const Tensor& weight, std::optional<std::int64_t> padding_idx = std::nullopt);

// ---- convolution ----
/// x: (B, C_in, L)  weight: (C_out, C_in, K)  bias: (C_out) or undefined  ->  (B, C_out, L_out)   (F.conv1d)
/// with zero padding on both sides and L_out = (L + 2*padding - dilation*(K-1) - 1) / stride + 1 (>= 1).
Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, std::int64_t stride = 1, std::int64_t padding = 0,
              std::int64_t dilation = 1);

// ---- pooling ----
/// Max over the time axis of x: (T, B, F), or (B, T, F) if batch_first, using only the first
/// lengths[b] steps of item b (lengths: int64 (B), 1 <= lengths[b] <= T; undefined = all T)  ->  (B, F).
/// Padded steps never win; the gradient goes to the (first) winning step.
Tensor max_over_time(const Tensor& x, const Tensor& lengths = Tensor(), bool batch_first = false);
/// Mean over the first lengths[b] steps of item b, as max_over_time  ->  (B, F).
Tensor mean_over_time(const Tensor& x, const Tensor& lengths = Tensor(), bool batch_first = false);
/// x: (B, C, L) or (C, L)  ->  (..., output_size). Bin i covers [floor(i*L/out), ceil((i+1)*L/out)).
Tensor adaptive_avg_pool1d(const Tensor& x, std::int64_t output_size);
Tensor adaptive_max_pool1d(const Tensor& x, std::int64_t output_size);

// ---- normalisation ----
/// Normalises over the last dimension, of size N: y = (x - mean) / sqrt(var + eps) * weight + bias with the
/// biased variance (F.layer_norm with normalized_shape = {N}). weight, bias: (N) or undefined (no affine).
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps = 1e-5);

// ---- activations (relu, tanh, sigmoid are in ops.hpp) ----
/// approximate "none": x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)); "tanh": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
Tensor gelu(const Tensor& x, const std::string& approximate = "none");
/// Along `dim` (negative counts from the end), with the maximum subtracted first.
Tensor softmax(const Tensor& x, std::int64_t dim);
Tensor log_softmax(const Tensor& x, std::int64_t dim);

// ---- bidirectional outputs ----
/// How the two directions of a bidirectional RNN output are combined (Keras' Bidirectional merge_mode).
enum class BiMerge { concat, sum, mul, ave };
/// "concat" | "sum" | "mul" | "ave"; anything else throws OptionError.
BiMerge bi_merge_from_string(const std::string& mode);
const char* bi_merge_name(BiMerge mode);
/// x: (..., 2H), forward direction first  ->  concat: x itself; sum: fwd + bwd; mul: fwd * bwd;
/// ave: (fwd + bwd) / 2, each (..., H).
Tensor merge_directions(const Tensor& x, BiMerge mode);

}  // namespace birnn

namespace birnn {

// ---- windowed max pooling ----
/// x: (B, C, L) or (C, L)  ->  (..., L_out) with L_out = (L - kernel_size) / stride + 1 (floor, torch's
/// ceil_mode=False; L >= kernel_size): out[i] = max of x[i*stride, i*stride + kernel_size). stride 0 means
/// stride = kernel_size (torch's default). The gradient goes to the (first) winner of each window; NaN wins.
Tensor max_pool1d(const Tensor& x, std::int64_t kernel_size, std::int64_t stride = 0);

}  // namespace birnn
