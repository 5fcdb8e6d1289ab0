// Tensor: a shape, a dtype and contiguous storage, plus what reverse-mode autograd needs
// (requires_grad, the accumulated grad, and the op that produced it).
#pragma once
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "birnn/error.hpp"

namespace birnn {

/// Element types. f64 exists mainly for the gradient checks; i64 for lengths and label ids.
enum class DType { f32, f64, i64 };
const char* dtype_name(DType d);
std::size_t dtype_size(DType d);

using Shape = std::vector<std::int64_t>;
std::string shape_str(const Shape& s);
std::int64_t shape_numel(const Shape& s);

namespace autograd {
struct Node;
}

struct TensorImpl;

/// A reference-counted handle: copies share storage (like torch::Tensor). Always contiguous, row-major.
class Tensor {
 public:
  Tensor() = default;  // undefined tensor
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  static Tensor empty(const Shape& shape, DType dtype = DType::f32);
  static Tensor zeros(const Shape& shape, DType dtype = DType::f32);
  static Tensor full(const Shape& shape, double value, DType dtype = DType::f32);
  static Tensor from_vector(const std::vector<float>& v, const Shape& shape);
  static Tensor from_vector(const std::vector<double>& v, const Shape& shape);
  static Tensor from_vector(const std::vector<std::int64_t>& v, const Shape& shape);

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  std::int64_t dim() const { return static_cast<std::int64_t>(shape().size()); }
  std::int64_t size(std::int64_t d) const;  // negative d counts from the end
  std::int64_t numel() const;
  DType dtype() const;
  std::size_t nbytes() const { return static_cast<std::size_t>(numel()) * dtype_size(dtype()); }

  /// Typed pointer to the first element; throws ShapeError if T does not match dtype().
  template <class T>
  T* data();
  template <class T>
  const T* data() const;
  void* raw_data();
  const void* raw_data() const;

  /// Element access for tests and small tools (converts to double). Flat row-major index.
  double item(std::int64_t flat_index = 0) const;
  std::vector<double> to_double_vector() const;

  Tensor clone() const;                        // deep copy, no autograd history
  Tensor to(DType dtype) const;                // converted copy (or *this if same dtype), no history
  Tensor reshape(const Shape& shape) const;    // shares storage; keeps autograd history
  Tensor detach() const;                       // shares storage, no history, requires_grad false

  /// Counter of in-place writes to the storage (shared by handles that share it), like PyTorch's
  /// _version. Optimizer steps, load_state_dict and reset_parameters bump it; caches derived from a
  /// parameter (the bf16 inference weights) compare it. Code that writes a parameter through data<T>()
  /// calls bump_version() afterwards.
  std::uint64_t version() const;
  void bump_version();

  // ---- autograd ----
  bool requires_grad() const;
  /// Marks a leaf tensor (a parameter or an input) as needing its gradient.
  Tensor& set_requires_grad(bool value);
  /// The accumulated gradient of a leaf after backward(); undefined if none.
  Tensor grad() const;
  void zero_grad();                            // drops the accumulated gradient
  void set_grad(const Tensor& g);
  /// backward() from this tensor; a non-scalar root needs the upstream gradient.
  void backward(const Tensor& grad_output = Tensor()) const;

  const std::shared_ptr<TensorImpl>& impl() const { return impl_; }
  std::shared_ptr<autograd::Node> grad_fn() const;
  int output_index() const;

 private:
  std::shared_ptr<TensorImpl> impl_;
};

/// Throws ShapeError naming `what` unless t is defined and has exactly `expected` shape.
void check_shape(const Tensor& t, const Shape& expected, const std::string& what);
/// Throws ShapeError naming `what` unless dtypes agree.
void check_dtype(const Tensor& t, DType expected, const std::string& what);

}  // namespace birnn
