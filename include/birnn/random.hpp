// One seeded generator for parameter init, dropout masks and shuffling: manual_seed(s) makes runs
// repeatable (same seed, same thread count -> bit-identical training).
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace birnn {

void manual_seed(std::uint64_t seed);
/// The library's generator (not thread-safe: draw from one thread).
std::mt19937_64& generator();
/// Uniform in [lo, hi) from the library generator.
double uniform(double lo, double hi);
/// Normal N(mean, std^2) from the library generator (Box-Muller on two uniform() draws; one value per call).
double normal(double mean = 0.0, double std = 1.0);
/// Uniform integer in [0, n), n >= 1 (OptionError otherwise): unbiased, and the same on every platform
/// (std::uniform_int_distribution and std::shuffle are not).
std::uint64_t random_below(std::uint64_t n);
/// A random permutation of 0..n-1 (Fisher-Yates with random_below), n >= 0. Not torch.randperm's values.
std::vector<std::int64_t> randperm(std::int64_t n);
/// Shuffles v in place with the library generator (Fisher-Yates, as randperm).
template <class T>
void shuffle(std::vector<T>& v) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[random_below(i)]);
}

/// The generator's state as text (std::mt19937_64's stream format), for checkpoints.
std::string get_rng_state();
/// Restores get_rng_state() output; malformed text throws FormatError and leaves the generator as it was.
void set_rng_state(const std::string& state);

}  // namespace birnn
