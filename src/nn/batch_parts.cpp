#include "nn/batch_parts.hpp"

#include <algorithm>

namespace birnn::nn {

std::vector<BatchPart> split_batch(const PackPlan& p, std::int64_t D, int threads) {
  using I64 = std::int64_t;
  const I64 parts = std::max<I64>(1, std::min<I64>(threads / std::max<I64>(D, 1), p.B / kMinPartSlots));
  // Slots are sorted longest first, so a part's rows are its slots' lengths; cut where the running sum of
  // rows is nearest k * N / parts, keeping kMinPartSlots slots in every part.
  std::vector<I64> bounds{0};
  I64 s = 0, rows = 0;  // rows of slots [0, s)
  for (I64 k = 1; k < parts; ++k) {
    const I64 target = p.N * k / parts;
    const I64 lo = bounds.back() + kMinPartSlots, hi = p.B - kMinPartSlots * (parts - k);
    while (s < hi) {
      const I64 len = p.lengths[static_cast<std::size_t>(p.order[static_cast<std::size_t>(s)])];
      if (s >= lo && 2 * rows + len > 2 * target) break;  // slot s lies mostly past the target
      rows += len, ++s;
    }
    bounds.push_back(s);
  }
  bounds.push_back(p.B);
  std::vector<BatchPart> out;
  for (I64 d = 0; d < D; ++d)
    for (I64 k = 0; k < parts; ++k) out.push_back({d, {bounds[k], bounds[k + 1]}});
  return out;
}

}  // namespace birnn::nn
