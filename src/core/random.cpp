#include "birnn/random.hpp"

namespace birnn {

std::mt19937_64& generator() {
  static std::mt19937_64 gen(0x5eedb1a5ULL);
  return gen;
}

void manual_seed(std::uint64_t seed) { generator().seed(seed); }

double uniform(double lo, double hi) {
  // 53 random bits -> [0, 1): the same sequence on every platform (std distributions are not portable).
  const double u = static_cast<double>(generator()() >> 11) * 0x1.0p-53;
  return lo + (hi - lo) * u;
}

}  // namespace birnn
