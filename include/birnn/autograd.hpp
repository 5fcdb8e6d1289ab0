// Reverse-mode autograd over coarse ops. Each op records one Node holding the inputs it needs;
// backward() walks the nodes in reverse topological order and accumulates gradients into leaves.
#pragma once
#include <memory>
#include <vector>

#include "birnn/tensor.hpp"

namespace birnn {

/// While alive, ops record nothing (inference). Thread-local, nestable.
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};
bool grad_mode_enabled();

namespace autograd {

/// One recorded op. `inputs` are the tensors gradients flow to; backward() gets one gradient per
/// output (undefined when that output got none) and returns one gradient per input (undefined where
/// the input does not need one: check needs_grad(i) and skip that work).
struct Node {
  std::vector<Tensor> inputs;
  int num_outputs = 1;
  virtual ~Node() = default;
  virtual const char* name() const = 0;
  virtual std::vector<Tensor> backward(const std::vector<Tensor>& grad_outputs) = 0;
  bool needs_grad(std::size_t i) const { return i < inputs.size() && inputs[i].defined() && inputs[i].requires_grad(); }
};

/// Connects freshly computed outputs to `node` if grad mode is on and any input requires grad.
/// Returns true if the node was recorded.
bool record(const std::shared_ptr<Node>& node, std::vector<Tensor*> outputs);

/// Runs backward from several roots at once (torch.autograd.backward(tensors, grad_tensors)).
void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots);

}  // namespace autograd
}  // namespace birnn
