// birnn demo: a small BiLSTM classifier trained on generated variable-length sequences, printing the
// loss falling epoch by epoch. The task needs memory in both directions: the class is given by a
// marker near the start of the sequence and a marker near the end.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "args.hpp"
#include "birnn/birnn.hpp"
#include "commands.hpp"

namespace birnn::cli {

namespace {

const char* kHelp =
    "usage: birnn demo [--epochs N] [--hidden H] [--seed S] [--threads N]\n"
    "\n"
    "Trains BiLSTM(8 -> H) + Linear(2H -> 4) with Adam on 2048 generated sequences of 20..60 steps.\n"
    "Class = 2*a + b: a is the sign of a spike in feature 0 somewhere in the first half of the item,\n"
    "b the sign of a spike in feature 1 somewhere in its second half; everything else is noise.\n"
    "Prints training loss and held-out accuracy per epoch (chance: 25%).\n";

struct Batch {
  Tensor x, lengths, labels;
};

Batch make_batch(std::int64_t B, std::int64_t T, std::int64_t I) {
  Batch b;
  b.x = Tensor::zeros({T, B, I});
  std::vector<std::int64_t> len(static_cast<std::size_t>(B)), lab(static_cast<std::size_t>(B));
  float* x = b.x.data<float>();
  for (std::int64_t i = 0; i < B; ++i) {
    len[i] = std::min<std::int64_t>(T, 20 + static_cast<std::int64_t>(uniform(0, 41)));
    const int a = uniform(0, 1) < 0.5, c = uniform(0, 1) < 0.5;
    lab[i] = 2 * a + c;
    for (std::int64_t t = 0; t < len[i]; ++t)
      for (std::int64_t f = 0; f < I; ++f) x[(t * B + i) * I + f] = static_cast<float>(uniform(-0.4, 0.4));
    const auto half = len[i] / 2;
    const auto ta = static_cast<std::int64_t>(uniform(0, static_cast<double>(half)));
    const auto tc = half + static_cast<std::int64_t>(uniform(0, static_cast<double>(len[i] - half)));
    x[(ta * B + i) * I + 0] = a ? 1.f : -1.f;
    x[(tc * B + i) * I + 1] = c ? 1.f : -1.f;
  }
  b.lengths = Tensor::from_vector(len, {B});
  b.labels = Tensor::from_vector(lab, {B});
  return b;
}

// Last real step of the forward direction and first step of the backward one = h_n's two rows.
Tensor features(LSTM& lstm, const Batch& b) {
  auto out = lstm.forward(b.x, b.lengths);
  const std::int64_t B = b.x.size(1), H = lstm.config().hidden_size;
  return cat({reshape(narrow(out.h_n, 0, 0, 1), {B, H}), reshape(narrow(out.h_n, 0, 1, 1), {B, H})}, 1);
}

}  // namespace

int cmd_demo(const std::vector<std::string>& argv) {
  Args a(argv, {"epochs", "hidden", "seed", "threads"}, {"help"});
  if (a.flag("help")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  a.no_positional();
  const std::int64_t epochs = a.integer("epochs", 15, 1, 10000), H = a.integer("hidden", 32, 1, 4096);
  set_num_threads(static_cast<int>(a.integer("threads", 0, 0, 1024)));
  manual_seed(static_cast<std::uint64_t>(a.integer("seed", 1, 0, INT64_MAX)));
  const std::int64_t I = 8, T = 60, B = 64, train_batches = 32;

  LSTM lstm(LSTMOptions(I, H).bidirectional(true));
  Linear head(LinearOptions(2 * H, 4));
  std::vector<Tensor> params = lstm.parameters();
  for (auto& p : head.parameters()) params.push_back(p);
  Adam opt(params, 3e-3);
  std::vector<Batch> train, test;
  for (std::int64_t i = 0; i < train_batches; ++i) train.push_back(make_batch(B, T, I));
  for (int i = 0; i < 8; ++i) test.push_back(make_batch(B, T, I));

  std::printf("BiLSTM(%lld -> %lld) + Linear(%lld -> 4): %lld parameters, %lld training sequences, threads=%d\n",
              (long long)I, (long long)H, (long long)(2 * H), (long long)(lstm.parameter_count() + head.parameter_count()),
              (long long)(B * train_batches), num_threads());
  for (std::int64_t e = 1; e <= epochs; ++e) {
    const auto t0 = std::chrono::steady_clock::now();
    double total = 0;
    lstm.train();
    for (const auto& b : train) {
      Tensor loss = cross_entropy(head.forward(features(lstm, b)), b.labels);
      opt.zero_grad();
      loss.backward();
      clip_grad_norm(params, 5.0);
      opt.step();
      total += loss.item();
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::int64_t correct = 0, seen = 0;
    {
      NoGradGuard ng;
      lstm.eval();
      for (const auto& b : test) {
        Tensor logits = head.forward(features(lstm, b));
        for (std::int64_t i = 0; i < B; ++i) {
          std::int64_t best = 0;
          for (std::int64_t c = 1; c < 4; ++c)
            if (logits.data<float>()[i * 4 + c] > logits.data<float>()[i * 4 + best]) best = c;
          correct += best == b.labels.data<std::int64_t>()[i];
          ++seen;
        }
      }
    }
    std::printf("epoch %2lld  train loss %.4f  held-out accuracy %5.1f%%  (%.2f s)\n", (long long)e,
                total / static_cast<double>(train.size()), 100.0 * static_cast<double>(correct) / static_cast<double>(seen), secs);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace birnn::cli
