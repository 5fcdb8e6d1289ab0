// Trains a CNNLSTMBiGRUClassifier on a generated task: is token 5 anywhere in the text? Prints loss and
// held-out accuracy per epoch, saves the model, loads it back and classifies a few texts.
//
//   ./example_cnn_lstm_bigru_classifier            full run
//   ./example_cnn_lstm_bigru_classifier --quick    a few steps (smoke test)
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <vector>

#include <birnn/birnn.hpp>
#include <birnn/models/cnn_lstm_bigru_classifier.hpp>

using namespace birnn;

constexpr std::int64_t kVocab = 16, kMaxLen = 16;

struct Batch {
  Tensor ids, lengths, labels;
};

// n texts of length 3..kMaxLen over tokens 1..15, padded with id 0; label 1 iff token 5 occurs.
Batch make_texts(std::int64_t n, std::mt19937_64& g) {
  auto below = [&](std::int64_t k) { return static_cast<std::int64_t>(g() % static_cast<std::uint64_t>(k)); };
  std::vector<std::int64_t> ids(static_cast<std::size_t>(n * kMaxLen), 0), lengths, labels;
  for (std::int64_t i = 0; i < n; ++i) {
    std::int64_t* row = ids.data() + i * kMaxLen;
    const std::int64_t len = 3 + below(kMaxLen - 2), label = below(2);
    for (std::int64_t t = 0; t < len; ++t) {
      row[t] = 1 + below(kVocab - 1);
      if (row[t] == 5) row[t] = 6;  // token 5 only where the label puts it
    }
    if (label == 1) row[below(len)] = 5;
    lengths.push_back(len);
    labels.push_back(label);
  }
  return {Tensor::from_vector(ids, {n, kMaxLen}), Tensor::from_vector(lengths, {n}), Tensor::from_vector(labels, {n})};
}

Tensor rows(const Tensor& t, std::int64_t start, std::int64_t count) { return narrow(t, 0, start, count).clone(); }

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  if (quick) set_num_threads(1);
  manual_seed(0);
  std::mt19937_64 g(42);
  const std::int64_t n_train = quick ? 64 : 1024, batch = 32, epochs = quick ? 2 : 4;
  const Batch train = make_texts(n_train, g), test = make_texts(quick ? 64 : 512, g);

  CNNLSTMBiGRUClassifier model(CNNLSTMBiGRUClassifierOptions(kVocab, 2)
                                   .embedding_dim(32)
                                   .filters(32)
                                   .kernel_size(3)
                                   .pool_size(2)
                                   .lstm_hidden(32)
                                   .gru_hidden(32)
                                   .pooling("max")
                                   .dropout(0.1));
  Adam opt(model.parameters(), 3e-3);
  std::printf("CNNLSTMBiGRUClassifier, %lld parameters\n", static_cast<long long>(model.parameter_count()));

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

  const std::string path = (std::filesystem::temp_directory_path() / "birnn_example_cnn_lstm_bigru_classifier").string();
  save_model(path, model);
  auto loaded = load_model<CNNLSTMBiGRUClassifier>(path);
  loaded->eval();
  const Tensor pred = loaded->predict(rows(test.ids, 0, 4), rows(test.lengths, 0, 4));
  const Tensor pred_orig = model.predict(rows(test.ids, 0, 4), rows(test.lengths, 0, 4));
  bool same = true;
  for (std::int64_t i = 0; i < 4; ++i) {
    std::printf("text:");
    for (std::int64_t t = 0; t < test.lengths.data<std::int64_t>()[i]; ++t)
      std::printf(" %lld", static_cast<long long>(test.ids.data<std::int64_t>()[i * kMaxLen + t]));
    std::printf("  -> %s (true: %s)\n", pred.data<std::int64_t>()[i] ? "has 5" : "no 5",
                test.labels.data<std::int64_t>()[i] ? "has 5" : "no 5");
    same = same && pred.data<std::int64_t>()[i] == pred_orig.data<std::int64_t>()[i];
  }
  for (const char* ext : {".safetensors", ".json"}) std::filesystem::remove(path + ext);
  if (!same) {
    std::printf("the loaded model predicts differently from the saved one\n");
    return 1;
  }
  return 0;
}
