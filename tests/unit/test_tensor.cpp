#include <gtest/gtest.h>

#include "birnn/birnn.hpp"
#include "core/tensor_impl.hpp"

namespace birnn {
namespace {

TEST(Tensor, ShapesAndDtypes) {
  Tensor t = Tensor::zeros({2, 3});
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.dim(), 2);
  EXPECT_EQ(t.size(-1), 3);
  EXPECT_EQ(t.dtype(), DType::f32);
  EXPECT_EQ(t.item(5), 0.0);
  EXPECT_THROW(t.size(2), ShapeError);
  EXPECT_THROW(t.data<double>(), ShapeError);
  EXPECT_EQ(Tensor::zeros({}).numel(), 1);
  EXPECT_EQ(Tensor::zeros({0, 4}).numel(), 0);
  EXPECT_THROW(Tensor::zeros({-1}), ShapeError);
  EXPECT_THROW(Tensor::empty({1LL << 40, 1LL << 40}), ShapeError);
}

TEST(Tensor, FromVectorConvertCloneDetach) {
  Tensor a = Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2});
  EXPECT_THROW(Tensor::from_vector(std::vector<float>{1, 2, 3}, {2, 2}), ShapeError);
  Tensor d = a.to(DType::f64);
  EXPECT_EQ(d.dtype(), DType::f64);
  EXPECT_EQ(d.item(3), 4.0);
  Tensor c = a.clone();
  c.data<float>()[0] = 9;
  EXPECT_EQ(a.item(0), 1.0);  // deep copy
  Tensor v = a.detach();
  v.data<float>()[0] = 7;
  EXPECT_EQ(a.item(0), 7.0);  // shares storage
  EXPECT_FALSE(v.requires_grad());
}

TEST(Tensor, StorageIsAlignedForSimd) {
  for (int n : {1, 3, 17, 1000}) {
    Tensor t = Tensor::empty({n});
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.raw_data()) % 64, 0u);
  }
}

// Variable-length batches give a new exact size almost every step: a freed large block must serve a
// slightly different size of its class (and a much larger one must not get it).
TEST(Tensor, FreedLargeBlockIsReusedForANearbySize) {
  if (!tensor_block_cache_on()) GTEST_SKIP() << "the block cache is off (AddressSanitizer build or BIRNN_BLOCK_CACHE=0)";
  const void* first = nullptr;
  {
    Tensor a = Tensor::empty({300000});  // 1.2 MB: class 1.25 MiB
    first = a.data<float>();
  }
  Tensor b = Tensor::empty({310000});  // 1.24 MB: the same class
  EXPECT_EQ(static_cast<const void*>(b.data<float>()), first);
  b.data<float>()[309999] = 1.f;  // the whole block is usable
  Tensor c = Tensor::empty({300000});  // b holds that block now
  EXPECT_NE(static_cast<const void*>(c.data<float>()), first);
}

#if defined(__SANITIZE_ADDRESS__)
// Why the block cache is off under AddressSanitizer: a write just past a large tensor, which the cache's
// larger-than-asked block would have absorbed unseen, is reported.
TEST(TensorDeathTest, AddressSanitizerSeesAWritePastALargeTensor) {
  Tensor t = Tensor::empty({300001});
  volatile float* p = t.data<float>();
  EXPECT_DEATH(p[300001] = 1.f, "heap-buffer-overflow");
}
#endif

TEST(Tensor, UndefinedTensorThrowsInsteadOfCrashing) {
  Tensor u;
  EXPECT_FALSE(u.defined());
  EXPECT_THROW(u.shape(), ShapeError);
  EXPECT_THROW(check_shape(u, {1}, "thing"), ShapeError);
}

}  // namespace
}  // namespace birnn
