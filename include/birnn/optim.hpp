// Optimizers with PyTorch's update rules. step() reads each parameter's .grad() (skips those without).
#pragma once
#include <vector>

#include "birnn/tensor.hpp"

namespace birnn {

class Optimizer {
 public:
  explicit Optimizer(std::vector<Tensor> params) : params_(std::move(params)) {}
  virtual ~Optimizer() = default;
  virtual void step() = 0;
  void zero_grad();
  double learning_rate() const { return lr_; }
  void set_learning_rate(double lr) { lr_ = lr; }

 protected:
  std::vector<Tensor> params_;
  double lr_ = 1e-3;
};

/// torch.optim.SGD: momentum buffer b = momentum * b + g (dampening 0); nesterov uses g + momentum * b.
class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, double lr, double momentum = 0.0, bool nesterov = false, double weight_decay = 0.0);
  void step() override;

 private:
  double momentum_, weight_decay_;
  bool nesterov_;
  std::vector<std::vector<double>> buf_;
};

/// torch.optim.Adam (L2 weight decay) or, with decoupled = true, torch.optim.AdamW.
class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
       double weight_decay = 0.0, bool decoupled = false);
  void step() override;

 private:
  double b1_, b2_, eps_, wd_;
  bool decoupled_;
  long t_ = 0;
  std::vector<std::vector<double>> m_, v_;
};

/// Scales all gradients so their global L2 norm is at most max_norm; returns the norm before clipping.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm);

}  // namespace birnn
