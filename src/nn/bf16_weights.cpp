#include "nn/bf16_weights.hpp"

namespace birnn::nn {

kernels::PackedBf16 Bf16WeightCache::get(const std::string& key, const Tensor& w, std::int64_t row0, std::int64_t rows) {
  std::lock_guard<std::mutex> lock(mutex_);
  Entry& e = entries_[key];
  // The entry keeps its source storage alive, so an equal address means the same storage.
  const bool fresh = e.source.defined() && e.source.raw_data() == w.raw_data() && e.version == w.version() &&
                     e.packed.rows() == rows && e.packed.cols() == w.size(1);
  if (!fresh) {
    const std::int64_t K = w.size(1);
    e.packed = kernels::PackedBf16(w.data<float>() + row0 * K, rows, K, K);
    e.source = w.detach();
    e.version = w.version();
    ++packs_;
  }
  return e.packed;
}

}  // namespace birnn::nn
