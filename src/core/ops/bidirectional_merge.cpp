// merge_directions: Keras' Bidirectional merge modes over an RNN output whose last dimension holds the
// forward half first, then the reverse half. Composed from narrow/add/mul/scale, so autograd comes with them.
#include "birnn/layers_functional.hpp"
#include "birnn/ops.hpp"

namespace birnn {

BiMerge bi_merge_from_string(const std::string& mode) {
  if (mode == "concat") return BiMerge::concat;
  if (mode == "sum") return BiMerge::sum;
  if (mode == "mul") return BiMerge::mul;
  if (mode == "ave") return BiMerge::ave;
  throw OptionError("bidirectional merge mode must be one of concat, sum, mul, ave; got \"" + mode + "\"");
}

const char* bi_merge_name(BiMerge mode) {
  switch (mode) {
    case BiMerge::concat: return "concat";
    case BiMerge::sum: return "sum";
    case BiMerge::mul: return "mul";
    case BiMerge::ave: return "ave";
  }
  return "?";
}

Tensor merge_directions(const Tensor& x, BiMerge mode) {
  if (!x.defined() || x.dim() < 1 || x.size(-1) % 2 != 0)
    throw ShapeError(std::string("merge_directions: the last dimension must hold both directions (2 * hidden), got shape ") +
                     (x.defined() ? shape_str(x.shape()) : std::string("none")));
  if (mode == BiMerge::concat) return x;
  const std::int64_t H = x.size(-1) / 2;
  const Tensor fwd = narrow(x, -1, 0, H), bwd = narrow(x, -1, H, H);  // x: (..., 2H) -> (..., H) each
  switch (mode) {
    case BiMerge::sum: return add(fwd, bwd);
    case BiMerge::mul: return mul(fwd, bwd);
    case BiMerge::ave: return scale(add(fwd, bwd), 0.5);
    case BiMerge::concat: break;
  }
  return x;
}

}  // namespace birnn
