// BiGRUClassifier example: Keras' Bidirectional(GRU(...)) + Dense(1) + sigmoid, trained with binary
// cross-entropy and Adam on two generated tasks with variable lengths:
//   1. per step, float features: is x[t-1] + x[t+1] > 0?  (needs both directions)
//   2. pooled, token ids: does the sequence contain token 3?
//
//   example_bigru_classifier [--quick]
//
// Prints loss and accuracy per epoch, saves the second model with save_model, loads it back with
// load_model and shows its predictions.
#include <birnn/birnn.hpp>
#include <birnn/models/bigru_classifier.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <vector>

using namespace birnn;
using Head = BiGRUClassifierOptions::Head;
using Pooling = BiGRUClassifierOptions::Pooling;

struct Batch {
  Tensor x, lengths, y;
};

std::int64_t random_length(std::int64_t lo, std::int64_t T) {
  return std::min(T, lo + static_cast<std::int64_t>(uniform(0, static_cast<double>(T - lo + 1))));
}

// Task 1: x (n, T, 1); y (n, T) = 1 where the neighbours of step t sum to more than 0 (missing ones count 0).
Batch neighbour_batch(std::int64_t n, std::int64_t T) {
  Batch b{Tensor::zeros({n, T, 1}), Tensor(), Tensor::zeros({n, T})};
  std::vector<std::int64_t> lengths;
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t len = random_length(3, T);
    lengths.push_back(len);
    float* x = b.x.data<float>() + i * T;
    for (std::int64_t t = 0; t < len; ++t) x[t] = static_cast<float>(uniform(-1, 1));
    for (std::int64_t t = 0; t < len; ++t)
      b.y.data<float>()[i * T + t] = ((t > 0 ? x[t - 1] : 0.f) + (t + 1 < len ? x[t + 1] : 0.f)) > 0 ? 1.f : 0.f;
  }
  b.lengths = Tensor::from_vector(lengths, {n});
  return b;
}

// Task 2: ids (n, T) from {1, 2, 4, 5, ...} with 0 as padding; y (n) = 1 if token 3 was put in.
Batch contains_batch(std::int64_t n, std::int64_t T, std::int64_t vocab) {
  Batch b{Tensor::zeros({n, T}, DType::i64), Tensor(), Tensor::zeros({n})};
  std::vector<std::int64_t> lengths;
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t len = random_length(2, T);
    lengths.push_back(len);
    std::int64_t* ids = b.x.data<std::int64_t>() + i * T;
    for (std::int64_t t = 0; t < len; ++t) {
      const std::int64_t id = 1 + static_cast<std::int64_t>(uniform(0, static_cast<double>(vocab - 2)));
      ids[t] = id >= 3 ? id + 1 : id;
    }
    if (uniform(0, 1) < 0.5) {
      ids[static_cast<std::int64_t>(uniform(0, static_cast<double>(len)))] = 3;
      b.y.data<float>()[i] = 1;
    }
  }
  b.lengths = Tensor::from_vector(lengths, {n});
  return b;
}

void train(BiGRUClassifier& model, const std::function<Batch()>& next, const Batch& valid, int epochs, int steps) {
  Adam opt(model.parameters(), 0.02);
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    model.train();
    double total = 0;
    for (int s = 0; s < steps; ++s) {
      const Batch b = next();
      Tensor loss = model.loss(b.x, b.y, b.lengths);  // BCE with logits (masked per step)
      opt.zero_grad();
      loss.backward();
      clip_grad_norm(model.parameters(), 5.0);
      opt.step();
      total += loss.item();
    }
    model.eval();
    std::printf("  epoch %2d  loss %.4f  valid accuracy %.3f\n", epoch, total / steps, model.accuracy(valid.x, valid.y, valid.lengths));
  }
}

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  if (quick) set_num_threads(1);
  manual_seed(7);
  const int epochs = quick ? 2 : 10, steps = quick ? 4 : 20;
  const std::int64_t T = 10, vocab = 8;

  std::printf("1. per-step labels, float features (merge_mode concat)\n");
  BiGRUClassifier tagger(BiGRUClassifierOptions().input_size(1).hidden_size(16).head(Head::per_step));
  train(tagger, [&] { return neighbour_batch(32, T); }, neighbour_batch(200, T), epochs, steps);

  std::printf("2. one label per sequence, token ids, max pooling (merge_mode sum)\n");
  BiGRUClassifier detector(BiGRUClassifierOptions()
                               .vocab_size(vocab)
                               .embedding_dim(8)
                               .hidden_size(16)
                               .merge_mode(BiMerge::sum)
                               .head(Head::pooled)
                               .pooling(Pooling::max)
                               .dropout(0.1));
  train(detector, [&] { return contains_batch(32, T, vocab); }, contains_batch(200, T, vocab), epochs, steps);

  const std::string path = (std::filesystem::temp_directory_path() / "birnn_example_bigru_classifier").string();
  save_model(path, detector);
  auto loaded = load_model<BiGRUClassifier>(path);
  loaded->eval();
  const Batch demo = contains_batch(4, T, vocab);
  const Tensor p = loaded->predict_proba(demo.x, demo.lengths);
  for (std::int64_t i = 0; i < 4; ++i) {
    std::printf("ids");
    for (std::int64_t t = 0; t < demo.lengths.data<std::int64_t>()[i]; ++t)
      std::printf(" %lld", static_cast<long long>(demo.x.data<std::int64_t>()[i * T + t]));
    std::printf("  -> p(contains 3) = %.3f (truth %.0f)\n", p.item(i), demo.y.item(i));
  }
  const auto files = checkpoint_files(path);
  std::filesystem::remove(files.weights);
  std::filesystem::remove(files.sidecar);
  return 0;
}
