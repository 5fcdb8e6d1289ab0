#include "birnn/autograd.hpp"

#include <unordered_map>

#include "core/tensor_impl.hpp"

namespace birnn {

namespace {
thread_local bool g_grad_enabled = true;
}

NoGradGuard::NoGradGuard() : previous_(g_grad_enabled) { g_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_grad_enabled = previous_; }
bool grad_mode_enabled() { return g_grad_enabled; }

namespace autograd {

bool record(const std::shared_ptr<Node>& node, std::vector<Tensor*> outputs) {
  if (!g_grad_enabled) return false;
  bool any = false;
  for (auto& in : node->inputs) any = any || (in.defined() && in.requires_grad());
  if (!any) return false;
  node->num_outputs = static_cast<int>(outputs.size());
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    if (!outputs[k] || !outputs[k]->defined()) continue;
    auto& impl = *outputs[k]->impl();
    impl.requires_grad = true;
    impl.grad_fn = node;
    impl.output_index = static_cast<int>(k);
  }
  return true;
}

namespace {

// Out of place on purpose: a node may hand the same gradient tensor to two inputs.
Tensor add_grads(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype())
    throw ShapeError("autograd: gradient of shape " + shape_str(b.shape()) + " does not match " + shape_str(a.shape()));
  Tensor out = a.clone();
  const std::int64_t n = a.numel();
  if (a.dtype() == DType::f32) {
    float* o = out.data<float>();
    const float* x = b.data<float>();
    for (std::int64_t i = 0; i < n; ++i) o[i] += x[i];
  } else {
    double* o = out.data<double>();
    const double* x = b.data<double>();
    for (std::int64_t i = 0; i < n; ++i) o[i] += x[i];
  }
  return out;
}

void accumulate(Tensor& slot, const Tensor& g) { slot = slot.defined() ? add_grads(slot, g) : g; }

struct Pending {
  std::vector<Tensor> grads;
  int dependencies = 0;
};

}  // namespace

void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots) {
  if (roots.size() != grad_roots.size()) throw Error("autograd::backward: one gradient per root is needed");
  std::unordered_map<Node*, Pending> pending;
  std::unordered_map<Node*, std::shared_ptr<Node>> keep;

  // Count, for every node, how many edges lead into it (its consumers), by DFS from the roots.
  std::vector<Node*> stack;
  for (auto& r : roots) {
    if (auto fn = r.grad_fn(); fn && !keep.count(fn.get())) {
      keep[fn.get()] = fn;
      stack.push_back(fn.get());
    }
  }
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (auto& in : n->inputs) {
      auto fn = in.grad_fn();
      if (!fn) continue;
      pending[fn.get()].dependencies++;
      if (!keep.count(fn.get())) {
        keep[fn.get()] = fn;
        stack.push_back(fn.get());
      }
    }
  }

  for (std::size_t k = 0; k < roots.size(); ++k) {
    const Tensor& r = roots[k];
    if (!r.defined() || !r.requires_grad()) continue;
    check_shape(grad_roots[k], r.shape(), "backward: upstream gradient");
    check_dtype(grad_roots[k], r.dtype(), "backward: upstream gradient");
    if (auto fn = r.grad_fn()) {
      auto& p = pending[fn.get()];
      p.grads.resize(static_cast<std::size_t>(fn->num_outputs));
      accumulate(p.grads[static_cast<std::size_t>(r.output_index())], grad_roots[k]);
    } else {
      accumulate(r.impl()->grad, grad_roots[k].clone());
    }
  }

  // Kahn's algorithm: a node runs once every consumer has passed its gradient down.
  std::vector<Node*> ready;
  for (auto& [ptr, fn] : keep)
    if (pending[ptr].dependencies == 0) ready.push_back(ptr);
  while (!ready.empty()) {
    Node* n = ready.back();
    ready.pop_back();
    auto& p = pending[n];
    p.grads.resize(static_cast<std::size_t>(n->num_outputs));
    bool any = false;
    for (auto& g : p.grads) any = any || g.defined();
    std::vector<Tensor> in_grads;
    if (any) in_grads = n->backward(p.grads);
    p.grads.clear();
    for (std::size_t i = 0; i < n->inputs.size(); ++i) {
      Tensor& in = n->inputs[i];
      auto fn = in.grad_fn();
      const bool has = i < in_grads.size() && in_grads[i].defined() && in.requires_grad();
      if (has) {
        if (fn) {
          auto& q = pending[fn.get()];
          q.grads.resize(static_cast<std::size_t>(fn->num_outputs));
          accumulate(q.grads[static_cast<std::size_t>(in.output_index())], in_grads[i]);
        } else {
          check_shape(in_grads[i], in.shape(), std::string("autograd: gradient from ") + n->name());
          // A leaf keeps its own copy: optimizers and clipping scale .grad() in place.
          Tensor& slot = in.impl()->grad;
          accumulate(slot, slot.defined() ? in_grads[i] : in_grads[i].clone());
        }
      }
      if (fn && --pending[fn.get()].dependencies == 0) ready.push_back(fn.get());
    }
  }
}

}  // namespace autograd
}  // namespace birnn
