// The storage behind a Tensor handle. Private to the library.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "birnn/autograd.hpp"
#include "birnn/tensor.hpp"

namespace birnn {

/// Whether tensor storage comes from the block cache (tensor.cpp): off under AddressSanitizer and with the
/// environment variable BIRNN_BLOCK_CACHE=0, so that memory checkers see each tensor's exact bounds.
bool tensor_block_cache_on();

/// 64-byte aligned bytes, so SIMD kernels can use aligned loads on row starts of aligned sizes.
struct Storage {
  void* ptr = nullptr;
  std::size_t bytes = 0;  // the request rounded up to a multiple of 64: what is counted (memory.hpp) and cached
  std::uint64_t version = 0;  // bumped by in-place writes (see Tensor::version)
  explicit Storage(std::size_t n);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

struct TensorImpl {
  Shape shape;
  std::int64_t numel = 0;  // shape_numel(shape), kept because numel() is called in inner loops
  DType dtype = DType::f32;
  std::shared_ptr<Storage> storage;
  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<autograd::Node> grad_fn;  // set for op outputs that need gradients
  int output_index = 0;
};

}  // namespace birnn
