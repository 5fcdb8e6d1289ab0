// bf16 copies of the recurrent weights for inference: packed the first time a layer runs in bf16 and
// reused until the parameter changes (another storage, e.g. after Module::to, or a bumped version:
// an optimizer step, load_state_dict, reset_parameters).
#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "birnn/tensor.hpp"
#include "kernels/gemm_bf16.hpp"

namespace birnn::nn {

class Bf16WeightCache {
 public:
  /// Rows [row0, row0 + rows) of the (R, K) float32 parameter w, packed. Thread-safe; the returned
  /// handle stays valid even if another call repacks.
  kernels::PackedBf16 get(const std::string& key, const Tensor& w, std::int64_t row0, std::int64_t rows);
  /// How many packs were made so far (tests check that a cache hit packs nothing).
  std::int64_t packs() const { return packs_.load(); }

 private:
  struct Entry {
    Tensor source;  // holds the storage alive, so a new parameter can never reuse its address
    std::uint64_t version = 0;
    kernels::PackedBf16 packed;
  };
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
  std::atomic<std::int64_t> packs_{0};
};

}  // namespace birnn::nn
