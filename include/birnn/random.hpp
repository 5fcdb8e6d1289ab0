// One seeded generator for parameter init and dropout masks: manual_seed(s) makes runs repeatable.
#pragma once
#include <cstdint>
#include <random>

namespace birnn {

void manual_seed(std::uint64_t seed);
/// The library's generator (not thread-safe: draw from one thread).
std::mt19937_64& generator();
/// Uniform in [lo, hi) from the library generator.
double uniform(double lo, double hi);

}  // namespace birnn
