#include "birnn/tensor.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <limits>
#include <new>
#include <sstream>

#include <stdlib.h>  // posix_memalign
#include <sys/mman.h>

#include "birnn/memory.hpp"
#include "core/tensor_impl.hpp"
#include "kernels/ab_switch.hpp"

namespace birnn {

const char* dtype_name(DType d) {
  switch (d) {
    case DType::f32: return "float32";
    case DType::f64: return "float64";
    case DType::i64: return "int64";
  }
  return "?";
}

std::size_t dtype_size(DType d) { return d == DType::f32 ? 4 : 8; }

std::string shape_str(const Shape& s) {
  std::ostringstream o;
  o << '(';
  for (std::size_t i = 0; i < s.size(); ++i) o << (i ? ", " : "") << s[i];
  if (s.size() == 1) o << ',';
  o << ')';
  return o.str();
}

std::int64_t shape_numel(const Shape& s) {
  std::int64_t n = 1;
  for (auto d : s) {
    if (d < 0) throw ShapeError("negative dimension in shape " + shape_str(s));
    if (d != 0 && n > std::numeric_limits<std::int64_t>::max() / d) throw ShapeError("shape " + shape_str(s) + " is too large");
    n *= d;
  }
  return n;
}

namespace {

// Keeps freed large blocks for reuse by the next tensor of about the same size. Training repeats the same
// shapes every step; without this, each multi-MB buffer is a fresh mmap whose page faults cost more
// than the GEMMs that fill it (measured: ~18% of an LSTM training step in the kernel's fault path).
// Blocks are kept by size class (four per power of two, so at most 25% larger than asked for): with
// variable-length batches almost every step has new exact sizes, and an exact-size cache then missed,
// filled to its cap with blocks nobody asked for again and faulted in fresh memory each time (measured:
// ~1 GB of cache and a quarter of the first 40 steps of a `pos` epoch in the fault path).
class BlockCache {
 public:
  void* get(std::size_t bytes) {
    if (bytes < kMinCached) return allocate(bytes);
    const std::size_t cls = block_size(bytes);
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = free_.find(cls);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_ -= cls;
        return p;
      }
    }
    return allocate(cls);
  }
  void put(void* p, std::size_t bytes) {
    if (bytes >= kMinCached) {
      const std::size_t cls = block_size(bytes);
      std::lock_guard<std::mutex> lock(mu_);
      if (cached_ + cls <= kMaxCached) {
        free_[cls].push_back(p);
        cached_ += cls;
        return;
      }
    }
    release(p, bytes < kMinCached ? bytes : block_size(bytes));
  }
  /// The size of the block that holds `bytes` (>= kMinCached): rounded up to 1, 1.25, 1.5, 1.75 or 2
  /// times a power of two.
  static std::size_t block_size(std::size_t bytes) {
    std::size_t pow2 = kMinCached;
    while (pow2 * 2 <= bytes) pow2 *= 2;
    const std::size_t step = pow2 / 4;
    return (bytes + step - 1) / step * step;
  }

 private:
  static void* allocate(std::size_t bytes) {
    if (bytes >= kHugeMin) return map_huge(bytes);
    void* p = std::aligned_alloc(64, bytes);
    if (!p) throw std::bad_alloc();
    return p;
  }
  static void release(void* p, std::size_t bytes) {
    if (bytes >= kHugeMin) munmap(p, bytes);
    else std::free(p);
  }
  // Blocks of 2 MB and more are mapped at a 2 MB boundary and offered to transparent huge pages: the
  // first touch of each 4 KB page is a fault that costs more than filling the page on this (virtual)
  // machine, and a training run's first steps touch hundreds of MB (measured: 150k faults and ~10% of the
  // first `pos` epoch; glibc's heap gets huge pages only through a GLIBC_TUNABLES setting).
  // Block sizes from 2 MB on are multiples of 512 KB (block_size), so whole pages, as munmap needs.
  static void* map_huge(std::size_t bytes) {
    const std::size_t span = bytes + kHuge;
    void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc();
    const auto start = reinterpret_cast<std::uintptr_t>(raw);
    const std::uintptr_t aligned = (start + kHuge - 1) / kHuge * kHuge;
    if (aligned > start) munmap(raw, aligned - start);
    const std::uintptr_t end = aligned + bytes, raw_end = start + span;
    if (raw_end > end) munmap(reinterpret_cast<void*>(end), raw_end - end);
    void* p = reinterpret_cast<void*>(aligned);
    madvise(p, bytes, MADV_HUGEPAGE);  // a hint: without THP (or with it off) these are ordinary pages
    return p;
  }
  static constexpr std::size_t kHuge = std::size_t(2) << 20;
  static constexpr std::size_t kHugeMin = kHuge;
  static constexpr std::size_t kMinCached = std::size_t(1) << 16;  // malloc is fast below this
  static constexpr std::size_t kMaxCached = std::size_t(1) << 30;
  std::mutex mu_;
  std::unordered_map<std::size_t, std::vector<void*>> free_;
  std::size_t cached_ = 0;
};

// Never destroyed: tensors in other static objects may be freed after it would be.
BlockCache& block_cache() {
  static BlockCache* cache = new BlockCache;
  return *cache;
}

// Live and peak bytes of tensor storage (memory.hpp). Relaxed atomics: a counter, not a synchronisation.
std::atomic<std::size_t> g_live_bytes{0}, g_peak_bytes{0};

void note_allocated(std::size_t bytes) {
  const std::size_t live = g_live_bytes.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  std::size_t peak = g_peak_bytes.load(std::memory_order_relaxed);
  while (live > peak && !g_peak_bytes.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {
  }
}

}  // namespace

std::size_t tensor_bytes_live() { return g_live_bytes.load(std::memory_order_relaxed); }
std::size_t peak_tensor_bytes() { return g_peak_bytes.load(std::memory_order_relaxed); }
void reset_peak_tensor_bytes() { g_peak_bytes.store(g_live_bytes.load(std::memory_order_relaxed), std::memory_order_relaxed); }

// Without the block cache every tensor is its own heap block of exactly the size asked, so that a write past
// a tensor's end, or a read of memory no one wrote, is seen by AddressSanitizer or valgrind (the cache hands
// out blocks up to 25% larger than asked, maps the large ones itself and recycles written memory).
bool tensor_block_cache_on() {
#if defined(__SANITIZE_ADDRESS__)
  return false;
#else
  static const bool on = kernels::ab_switch_on("BIRNN_BLOCK_CACHE");
  return on;
#endif
}

Storage::Storage(std::size_t n) : bytes(std::max<std::size_t>(64, ((n + 63) / 64) * 64)) {
  if (tensor_block_cache_on()) ptr = block_cache().get(bytes);
  else if (posix_memalign(&ptr, 64, std::max<std::size_t>(1, n)) != 0) throw std::bad_alloc();  // any size, unlike aligned_alloc
  note_allocated(bytes);
}
Storage::~Storage() {
  g_live_bytes.fetch_sub(bytes, std::memory_order_relaxed);
  if (tensor_block_cache_on()) block_cache().put(ptr, bytes);
  else std::free(ptr);
}

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->numel = shape_numel(shape);
  impl->dtype = dtype;
  impl->storage = std::make_shared<Storage>(static_cast<std::size_t>(shape_numel(shape)) * dtype_size(dtype));
  return Tensor(impl);
}

Tensor Tensor::zeros(const Shape& shape, DType dtype) {
  Tensor t = empty(shape, dtype);
  std::memset(t.raw_data(), 0, t.nbytes());
  return t;
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype) {
  Tensor t = empty(shape, dtype);
  const std::int64_t n = t.numel();
  switch (dtype) {
    case DType::f32: for (std::int64_t i = 0; i < n; ++i) t.data<float>()[i] = static_cast<float>(value); break;
    case DType::f64: for (std::int64_t i = 0; i < n; ++i) t.data<double>()[i] = value; break;
    case DType::i64: for (std::int64_t i = 0; i < n; ++i) t.data<std::int64_t>()[i] = static_cast<std::int64_t>(value); break;
  }
  return t;
}

template <class T>
static Tensor from_vec(const std::vector<T>& v, const Shape& shape, DType dtype) {
  if (shape_numel(shape) != static_cast<std::int64_t>(v.size()))
    throw ShapeError("from_vector: " + std::to_string(v.size()) + " values do not fill shape " + shape_str(shape));
  Tensor t = Tensor::empty(shape, dtype);
  if (!v.empty()) std::memcpy(t.raw_data(), v.data(), v.size() * sizeof(T));
  return t;
}
Tensor Tensor::from_vector(const std::vector<float>& v, const Shape& s) { return from_vec(v, s, DType::f32); }
Tensor Tensor::from_vector(const std::vector<double>& v, const Shape& s) { return from_vec(v, s, DType::f64); }
Tensor Tensor::from_vector(const std::vector<std::int64_t>& v, const Shape& s) { return from_vec(v, s, DType::i64); }

static const TensorImpl& need(const std::shared_ptr<TensorImpl>& p) {
  if (!p) throw ShapeError("use of an undefined tensor");
  return *p;
}

const Shape& Tensor::shape() const { return need(impl_).shape; }
DType Tensor::dtype() const { return need(impl_).dtype; }
std::int64_t Tensor::numel() const { return need(impl_).numel; }

std::int64_t Tensor::size(std::int64_t d) const {
  const auto n = dim();
  if (d < 0) d += n;
  if (d < 0 || d >= n) throw ShapeError("dimension " + std::to_string(d) + " out of range for shape " + shape_str(shape()));
  return shape()[static_cast<std::size_t>(d)];
}

template <class T>
static constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, float>) return DType::f32;
  else if constexpr (std::is_same_v<T, double>) return DType::f64;
  else return DType::i64;
}

template <class T>
T* Tensor::data() {
  if (dtype() != dtype_of<T>())
    throw ShapeError(std::string("tensor is ") + dtype_name(dtype()) + ", accessed as " + dtype_name(dtype_of<T>()));
  return static_cast<T*>(impl_->storage->ptr);
}
template <class T>
const T* Tensor::data() const {
  return const_cast<Tensor*>(this)->data<T>();
}
template float* Tensor::data<float>();
template double* Tensor::data<double>();
template std::int64_t* Tensor::data<std::int64_t>();
template const float* Tensor::data<float>() const;
template const double* Tensor::data<double>() const;
template const std::int64_t* Tensor::data<std::int64_t>() const;

void* Tensor::raw_data() { return need(impl_).storage->ptr; }
const void* Tensor::raw_data() const { return need(impl_).storage->ptr; }

double Tensor::item(std::int64_t i) const {
  if (i < 0 || i >= numel()) throw ShapeError("item index " + std::to_string(i) + " out of range for shape " + shape_str(shape()));
  switch (dtype()) {
    case DType::f32: return data<float>()[i];
    case DType::f64: return data<double>()[i];
    case DType::i64: return static_cast<double>(data<std::int64_t>()[i]);
  }
  return 0;
}

namespace {

template <class To, class From>
void convert(const From* src, To* dst, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) dst[i] = static_cast<To>(src[i]);
}

// dst[i] = (To)src[i] for a tensor of any dtype.
template <class To>
void convert_from(const Tensor& src, To* dst) {
  const std::int64_t n = src.numel();
  switch (src.dtype()) {
    case DType::f32: convert(src.data<float>(), dst, n); break;
    case DType::f64: convert(src.data<double>(), dst, n); break;
    case DType::i64: convert(src.data<std::int64_t>(), dst, n); break;
  }
}

}  // namespace

std::vector<double> Tensor::to_double_vector() const {
  std::vector<double> v(static_cast<std::size_t>(numel()));
  convert_from(*this, v.data());
  return v;
}

Tensor Tensor::clone() const {
  Tensor t = empty(shape(), dtype());
  std::memcpy(t.raw_data(), raw_data(), nbytes());
  return t;
}

Tensor Tensor::to(DType d) const {
  if (d == dtype()) return detach();
  Tensor t = empty(shape(), d);
  switch (d) {
    case DType::f32: convert_from(*this, t.data<float>()); break;
    case DType::f64: convert_from(*this, t.data<double>()); break;
    case DType::i64: convert_from(*this, t.data<std::int64_t>()); break;
  }
  return t;
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape();
  impl->numel = impl_->numel;
  impl->dtype = dtype();
  impl->storage = impl_->storage;
  return Tensor(impl);
}

std::uint64_t Tensor::version() const { return need(impl_).storage->version; }
void Tensor::bump_version() { ++need(impl_).storage->version; }

bool Tensor::requires_grad() const { return impl_ && impl_->requires_grad; }

Tensor& Tensor::set_requires_grad(bool v) {
  need(impl_);
  if (impl_->grad_fn) throw Error("set_requires_grad: only leaf tensors (not op outputs) can be marked");
  if (v && dtype() == DType::i64) throw Error("set_requires_grad: an int64 tensor cannot have a gradient");
  impl_->requires_grad = v;
  return *this;
}

Tensor Tensor::grad() const { return need(impl_).grad; }
void Tensor::zero_grad() { need(impl_); impl_->grad = Tensor(); }
void Tensor::set_grad(const Tensor& g) { need(impl_); impl_->grad = g; }
std::shared_ptr<autograd::Node> Tensor::grad_fn() const { return impl_ ? impl_->grad_fn : nullptr; }
int Tensor::output_index() const { return impl_ ? impl_->output_index : 0; }

void Tensor::backward(const Tensor& grad_output) const {
  Tensor g = grad_output;
  if (!g.defined()) {
    if (numel() != 1) throw ShapeError("backward() on a non-scalar tensor " + shape_str(shape()) + " needs an upstream gradient");
    g = Tensor::full(shape(), 1.0, dtype());
  }
  autograd::backward({*this}, {g});
}

void check_shape(const Tensor& t, const Shape& expected, const std::string& what) {
  if (!t.defined()) throw ShapeError(what + ": expected a tensor of shape " + shape_str(expected) + ", got none");
  if (t.shape() != expected)
    throw ShapeError(what + ": expected shape " + shape_str(expected) + ", got " + shape_str(t.shape()));
}

void check_dtype(const Tensor& t, DType expected, const std::string& what) {
  if (t.dtype() != expected)
    throw ShapeError(what + ": expected dtype " + std::string(dtype_name(expected)) + ", got " + dtype_name(t.dtype()));
}

}  // namespace birnn
