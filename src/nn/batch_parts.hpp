// How one recurrent layer call is spread over threads. The items of a batch are independent sequences, so
// a direction's batch can be cut into parts (ranges of sorted slots) that run their whole recurrence at
// once on different cores, with no synchronisation per step: each part runs the per-step product on its own
// rows. Two directions are parts of their own; what is left of the threads cuts each direction's batch.
#pragma once
#include <cstdint>
#include <vector>

#include "nn/packing.hpp"

namespace birnn::nn {

/// Sorted slots [begin, end) of a PackPlan (slot 0 is the longest item).
struct Slots {
  std::int64_t begin = 0, end = 0;
  std::int64_t size() const { return end - begin; }
};

/// The rows of slots `s` at step t: `n` rows starting at packed row `offset` (n == 0 once they all ended).
struct StepRows {
  std::int64_t n, offset;
};
inline StepRows step_rows(const PackPlan& p, const Slots& s, std::int64_t t) {
  const std::int64_t running = p.batch_sizes[t] - s.begin;
  return {running < 0 ? 0 : (running < s.size() ? running : s.size()), p.offsets[t] + s.begin};
}

struct BatchPart {
  std::int64_t direction;
  Slots slots;
};

/// Parts for a layer with D directions on `threads` threads: each direction once when threads <= D;
/// otherwise each direction's batch cut into up to threads / D parts of at least kMinPartSlots slots, with
/// about the same number of packed rows each (the work of a part is its rows).
std::vector<BatchPart> split_batch(const PackPlan& p, std::int64_t D, int threads);

/// A part narrower than this runs its per-step product at one or two rows, where a second core reading the
/// same weights gains nothing (Zen 1, LSTM H = 256: one row 44.6 us, two rows 34.8 us, four 56.7 us).
constexpr std::int64_t kMinPartSlots = 2;

}  // namespace birnn::nn
