#include "nn/packing.hpp"

#include <algorithm>
#include <numeric>
#include <string>

namespace birnn::nn {

std::shared_ptr<const PackPlan> make_pack_plan(std::int64_t T, std::int64_t B, const Tensor& lengths) {
  auto p = std::make_shared<PackPlan>();
  p->T = T;
  p->B = B;
  if (T < 1 || B < 1) throw ShapeError("input must have at least one time step and one batch item");
  if (lengths.defined()) {
    check_dtype(lengths, DType::i64, "lengths");
    check_shape(lengths, {B}, "lengths (one per batch item)");
    p->lengths.assign(lengths.data<std::int64_t>(), lengths.data<std::int64_t>() + B);
    for (std::int64_t b = 0; b < B; ++b) {
      const auto L = p->lengths[static_cast<std::size_t>(b)];
      if (L < 1 || L > T)
        throw ShapeError("lengths[" + std::to_string(b) + "] = " + std::to_string(L) + ": each length must be in 1.." +
                         std::to_string(T) + " (the padded number of steps)");
    }
  } else {
    p->lengths.assign(static_cast<std::size_t>(B), T);
  }
  p->order.resize(static_cast<std::size_t>(B));
  std::iota(p->order.begin(), p->order.end(), 0);
  std::stable_sort(p->order.begin(), p->order.end(),
                   [&](std::int64_t a, std::int64_t b) { return p->lengths[a] > p->lengths[b]; });
  p->dense = std::all_of(p->lengths.begin(), p->lengths.end(), [&](std::int64_t L) { return L == T; });
  p->batch_sizes.assign(static_cast<std::size_t>(T), 0);
  p->offsets.assign(static_cast<std::size_t>(T + 1), 0);
  for (std::int64_t t = 0; t < T; ++t) {
    std::int64_t n = 0;
    while (n < B && p->lengths[p->order[n]] > t) ++n;
    p->batch_sizes[t] = n;
    p->offsets[t + 1] = p->offsets[t] + n;
  }
  p->N = p->offsets[T];
  return p;
}

static std::int64_t padded_row(const PackPlan& p, std::int64_t t, std::int64_t b, bool batch_first) {
  return batch_first ? b * p.T + t : t * p.B + b;
}

std::shared_ptr<const std::vector<std::int64_t>> packed_to_padded_rows(const PackPlan& p, bool batch_first) {
  auto rows = std::make_shared<std::vector<std::int64_t>>(static_cast<std::size_t>(p.N));
  for (std::int64_t t = 0; t < p.T; ++t)
    for (std::int64_t s = 0; s < p.batch_sizes[t]; ++s)
      (*rows)[p.offsets[t] + s] = padded_row(p, t, p.order[s], batch_first);
  return rows;
}

std::shared_ptr<const std::vector<std::int64_t>> padded_to_packed_rows(const PackPlan& p, bool batch_first) {
  auto rows = std::make_shared<std::vector<std::int64_t>>(static_cast<std::size_t>(p.T * p.B), -1);
  for (std::int64_t t = 0; t < p.T; ++t)
    for (std::int64_t s = 0; s < p.batch_sizes[t]; ++s)
      (*rows)[padded_row(p, t, p.order[s], batch_first)] = p.offsets[t] + s;
  return rows;
}

}  // namespace birnn::nn
