// A tiny training run shared by the reproducibility and checkpoint tests: a 2-layer LSTM with dropout
// between layers and on its features, a Linear head, Adam + warm-up/cosine schedule, gradient clipping,
// and a batch drawn by shuffling at every step. Everything random comes from birnn::generator(), so the
// run is a pure function of the seed, the thread count and (after a restore) the RNG state.
#pragma once
#include <memory>
#include <vector>

#include "birnn/birnn.hpp"

namespace birnn::testing {

/// 16 sequences (T=5, 3 features) with labels 0/1, drawn from their own seed.
struct TinyData {
  static constexpr std::int64_t N = 16, T = 5, I = 3, B = 4;
  std::vector<float> x;             // (T, N, I)
  std::vector<std::int64_t> y;      // (N)
  TinyData() {
    const std::string saved = get_rng_state();
    manual_seed(12345);
    x.resize(static_cast<std::size_t>(T * N * I));
    for (auto& v : x) v = static_cast<float>(uniform(-1, 1));
    for (std::int64_t n = 0; n < N; ++n) y.push_back(x[static_cast<std::size_t>(n * I)] > 0 ? 1 : 0);
    set_rng_state(saved);  // the data do not disturb the caller's generator
  }
  /// A batch of B sequences picked by shuffling 0..N-1 with the library generator.
  std::pair<Tensor, Tensor> batch() const {
    const std::vector<std::int64_t> perm = randperm(N);
    Tensor xb = Tensor::zeros({T, B, I});
    std::vector<std::int64_t> yb;
    for (std::int64_t b = 0; b < B; ++b) {
      const std::int64_t n = perm[static_cast<std::size_t>(b)];
      for (std::int64_t t = 0; t < T; ++t)
        for (std::int64_t f = 0; f < I; ++f) xb.data<float>()[(t * B + b) * I + f] = x[static_cast<std::size_t>((t * N + n) * I + f)];
      yb.push_back(y[static_cast<std::size_t>(n)]);
    }
    return {xb, Tensor::from_vector(yb, {B})};
  }
};

/// Model, optimizer and schedule, built from the generator's current state.
struct TinyRun {
  LSTM lstm{LSTMOptions(TinyData::I, 8).num_layers(2).dropout(0.3)};
  Linear head{LinearOptions(8, 2)};
  Adam opt{params(), AdamOptions(0.02).weight_decay(1e-4)};
  std::unique_ptr<SequentialLR> sched = warmup_cosine(opt, 3, 0.2, 20, 1e-4);

  std::vector<Tensor> params() const {
    std::vector<Tensor> p = lstm.parameters();
    for (auto& q : head.parameters()) p.push_back(q);
    return p;
  }
  /// The model as one module for checkpoints: "lstm.*" and "head.*" parameters.
  struct Both : Module {
    Both(LSTM& l, Linear& h) {
      register_module("lstm", std::shared_ptr<Module>(&l, [](Module*) {}));
      register_module("head", std::shared_ptr<Module>(&h, [](Module*) {}));
    }
  };
  Both model{lstm, head};

  void train_steps(const TinyData& data, int n) {
    for (int s = 0; s < n; ++s) {
      auto [x, y] = data.batch();
      auto out = lstm.forward(x);
      Tensor feats = dropout(reshape(narrow(out.h_n, 0, 1, 1), {TinyData::B, 8}), 0.2, true);
      Tensor loss = cross_entropy(head.forward(feats), y);
      opt.zero_grad();
      loss.backward();
      clip_grad_norm(params(), 1.0);
      opt.step();
      sched->step();
    }
  }
  /// Every parameter's bytes, in order (for bit-for-bit comparisons).
  std::vector<std::vector<unsigned char>> weights() const {
    std::vector<std::vector<unsigned char>> w;
    for (const auto& p : params()) {
      const auto* b = static_cast<const unsigned char*>(p.raw_data());
      w.emplace_back(b, b + p.nbytes());
    }
    return w;
  }
};

}  // namespace birnn::testing
