#include "birnn/random.hpp"

#include <cmath>
#include <sstream>

#include "birnn/error.hpp"

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

double normal(double mean, double std) {
  // The second Box-Muller value is dropped on purpose: a cached spare would survive manual_seed().
  const double u1 = 1.0 - uniform(0.0, 1.0);  // (0, 1]: log(u1) is finite
  const double u2 = uniform(0.0, 1.0);
  return mean + std * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
}

std::uint64_t random_below(std::uint64_t n) {
  if (n == 0) throw OptionError("random_below: n must be >= 1");
  // Rejection sampling: draws below `limit` (a multiple of n) map evenly onto [0, n).
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  std::uint64_t r;
  do r = generator()(); while (r >= limit);
  return r % n;
}

std::vector<std::int64_t> randperm(std::int64_t n) {
  if (n < 0) throw OptionError("randperm: n must be >= 0, got " + std::to_string(n));
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = i;
  shuffle(v);
  return v;
}

std::string get_rng_state() {
  std::ostringstream os;
  os << generator();
  return os.str();
}

void set_rng_state(const std::string& state) {
  // The stream format is 312 state words then an index <= 312, all decimal; anything else is refused
  // here rather than left to operator>>, which accepts signs and out-of-range indices.
  std::istringstream tokens(state);
  std::string tok;
  std::size_t count = 0;
  bool ok = true;
  while (ok && tokens >> tok) {
    ok = tok.size() <= 20 && tok.find_first_not_of("0123456789") == std::string::npos;
    ++count;
    if (ok && count == std::mt19937_64::state_size + 1) ok = tok.size() <= 3 && std::stoul(tok) <= std::mt19937_64::state_size;
  }
  std::istringstream is(state);
  std::mt19937_64 g;
  if (ok && count == std::mt19937_64::state_size + 1) is >> g;
  if (!ok || count != std::mt19937_64::state_size + 1 || is.fail())
    throw FormatError("set_rng_state: not a std::mt19937_64 state (expected 312 decimal words and an index <= 312, as "
                      "get_rng_state() writes)");
  generator() = g;
}

}  // namespace birnn
