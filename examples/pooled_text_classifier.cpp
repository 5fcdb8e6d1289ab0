// Trains a PooledTextClassifier on a generated task: each text holds one to three marker tokens (ids 1, 2,
// 3) among filler tokens, and the class is the marker that comes first. Prints loss and held-out accuracy
// per epoch, saves the model, loads it back and classifies a few texts.
//
//   ./example_pooled_text_classifier            full run
//   ./example_pooled_text_classifier --quick    a few steps (smoke test)
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <vector>

#include <birnn/birnn.hpp>
#include <birnn/models/pooled_text_classifier.hpp>

using namespace birnn;

constexpr std::int64_t kVocab = 16, kMaxLen = 12;

struct Batch {
  Tensor ids, lengths, labels;
};

// n texts of length 4..kMaxLen, padded with id 0.
Batch make_texts(std::int64_t n, std::mt19937_64& g) {
  auto below = [&](std::int64_t k) { return static_cast<std::int64_t>(g() % static_cast<std::uint64_t>(k)); };
  std::vector<std::int64_t> ids(static_cast<std::size_t>(n * kMaxLen), 0), lengths, labels;
  for (std::int64_t i = 0; i < n; ++i) {
    std::int64_t* row = ids.data() + i * kMaxLen;
    const std::int64_t len = 4 + below(kMaxLen - 3);
    for (std::int64_t t = 0; t < len; ++t) row[t] = 4 + below(kVocab - 4);  // filler 4..15
    for (std::int64_t m = 0, k = 1 + below(3); m < k; ++m) row[below(len)] = 1 + below(3);
    std::int64_t first = 0;
    while (row[first] > 3) ++first;
    lengths.push_back(len);
    labels.push_back(row[first] - 1);
  }
  return {Tensor::from_vector(ids, {n, kMaxLen}), Tensor::from_vector(lengths, {n}), Tensor::from_vector(labels, {n})};
}

Tensor rows(const Tensor& t, std::int64_t start, std::int64_t count) { return narrow(t, 0, start, count).clone(); }

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  if (quick) set_num_threads(1);
  manual_seed(0);
  std::mt19937_64 g(42);
  const std::int64_t n_train = quick ? 64 : 1024, batch = 32, epochs = quick ? 2 : 5;
  const Batch train = make_texts(n_train, g), test = make_texts(quick ? 64 : 512, g);

  PooledTextClassifier model(PooledTextClassifierOptions(kVocab, 3)
                                 .embedding_dim(32)
                                 .mlp_dim(32)
                                 .hidden_size(32)
                                 .num_layers(quick ? 1 : 2)
                                 .lstm_dropout(0.1)
                                 .head_dim(32)
                                 .dropout(0.1));
  Adam opt(model.parameters(), 3e-3);
  std::printf("PooledTextClassifier, %lld parameters\n", static_cast<long long>(model.parameter_count()));

  for (std::int64_t epoch = 1; epoch <= epochs; ++epoch) {
    model.train();
    double total = 0;
    std::int64_t steps = 0;
    for (std::int64_t s = 0; s + batch <= n_train; s += batch, ++steps) {
      Tensor loss = model.loss(rows(train.ids, s, batch), rows(train.lengths, s, batch), rows(train.labels, s, batch));
      opt.zero_grad();
      loss.backward();
      clip_grad_norm(model.parameters(), 1.0);
      opt.step();
      total += loss.item();
    }
    model.eval();
    std::printf("epoch %lld  train loss %.4f  held-out accuracy %.3f\n", static_cast<long long>(epoch), total / steps,
                model.accuracy(test.ids, test.lengths, test.labels));
  }

  const std::string path = (std::filesystem::temp_directory_path() / "birnn_example_pooled_text_classifier").string();
  save_model(path, model);
  auto loaded = load_model<PooledTextClassifier>(path);
  loaded->eval();
  const Tensor pred = loaded->predict(rows(test.ids, 0, 4), rows(test.lengths, 0, 4));
  bool same = true;
  const Tensor pred_orig = model.predict(rows(test.ids, 0, 4), rows(test.lengths, 0, 4));
  for (std::int64_t i = 0; i < 4; ++i) {
    std::printf("text:");
    for (std::int64_t t = 0; t < test.lengths.data<std::int64_t>()[i]; ++t)
      std::printf(" %lld", static_cast<long long>(test.ids.data<std::int64_t>()[i * kMaxLen + t]));
    std::printf("  -> first marker %lld (true %lld)\n", static_cast<long long>(pred.data<std::int64_t>()[i] + 1),
                static_cast<long long>(test.labels.data<std::int64_t>()[i] + 1));
    same = same && pred.data<std::int64_t>()[i] == pred_orig.data<std::int64_t>()[i];
  }
  for (const char* ext : {".safetensors", ".json"}) std::filesystem::remove(path + ext);
  if (!same) {
    std::printf("the loaded model predicts differently from the saved one\n");
    return 1;
  }
  return 0;
}
