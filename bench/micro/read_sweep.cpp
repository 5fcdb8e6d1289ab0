// The read-bandwidth reference of the micro-benchmarks: sum a buffer that stays in cache with the widest
// vectors this CPU has (Highway picks them at run time), four independent sums so that the loads, not
// the adds, set the pace. The matvec and the gate passes mostly read, so this is their roofline.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "micro/read_sweep.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/highway.h>

#include <cstddef>

HWY_BEFORE_NAMESPACE();
namespace birnn::micro::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

float SumFloats(const float* p, std::size_t n) {
  const hn::ScalableTag<float> d;
  const std::size_t L = hn::Lanes(d);
  auto s0 = hn::Zero(d), s1 = s0, s2 = s0, s3 = s0;
  std::size_t i = 0;
  for (; i + 4 * L <= n; i += 4 * L) {
    s0 = hn::Add(s0, hn::LoadU(d, p + i));
    s1 = hn::Add(s1, hn::LoadU(d, p + i + L));
    s2 = hn::Add(s2, hn::LoadU(d, p + i + 2 * L));
    s3 = hn::Add(s3, hn::LoadU(d, p + i + 3 * L));
  }
  float s = hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
  for (; i < n; ++i) s += p[i];
  return s;
}

}  // namespace birnn::micro::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace birnn::micro {
HWY_EXPORT(SumFloats);
float sum_floats(const float* p, std::size_t n) { return HWY_DYNAMIC_DISPATCH(SumFloats)(p, n); }
}  // namespace birnn::micro
#endif
