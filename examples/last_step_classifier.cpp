// LastStepClassifier example: does a variable-length sequence start with a positive number?
// The answer sits at step 0, so the recurrent state must carry it to the end of the sequence.
//
//   example_last_step_classifier [--quick]
//
// Trains an LSTM classifier with Adam, prints loss and accuracy per epoch, saves the model with
// save_model, loads it back with load_model and classifies a few new sequences.
#include <birnn/birnn.hpp>
#include <birnn/models/last_step_classifier.hpp>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

using namespace birnn;

struct Batch {
  Tensor x, lengths, labels;
};

// n sequences of T steps, 1 feature; lengths 2..T; label 1 if the first value is positive.
Batch make_batch(std::int64_t n, std::int64_t T) {
  Batch b{Tensor::zeros({n, T, 1}), Tensor(), Tensor()};
  std::vector<std::int64_t> lengths, labels;
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t len = 2 + static_cast<std::int64_t>(uniform(0, static_cast<double>(T - 1)));
    lengths.push_back(std::min(len, T));
    for (std::int64_t t = 0; t < lengths.back(); ++t) b.x.data<float>()[i * T + t] = static_cast<float>(uniform(-1, 1));
    labels.push_back(b.x.data<float>()[i * T] > 0 ? 1 : 0);
  }
  b.lengths = Tensor::from_vector(lengths, {n});
  b.labels = Tensor::from_vector(labels, {n});
  return b;
}

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  if (quick) set_num_threads(1);
  manual_seed(42);
  const std::int64_t T = 12;
  const int epochs = quick ? 3 : 15, steps_per_epoch = quick ? 5 : 20;

  LastStepClassifier model(LastStepClassifierOptions(/*input_size=*/1, /*hidden_size=*/16, /*num_classes=*/2)
                               .cell(CellKind::lstm)
                               .num_layers(1));
  Adam opt(model.parameters(), 0.02);
  const Batch valid = make_batch(256, T);

  for (int epoch = 1; epoch <= epochs; ++epoch) {
    model.train();
    double total = 0;
    for (int s = 0; s < steps_per_epoch; ++s) {
      const Batch b = make_batch(32, T);
      Tensor loss = model.loss(b.x, b.labels, b.lengths);
      opt.zero_grad();
      loss.backward();
      clip_grad_norm(model.parameters(), 5.0);
      opt.step();
      total += loss.item();
    }
    model.eval();
    std::printf("epoch %2d  loss %.4f  valid accuracy %.3f\n", epoch, total / steps_per_epoch,
                model.accuracy(valid.x, valid.labels, valid.lengths));
  }

  const std::string path = (std::filesystem::temp_directory_path() / "birnn_example_last_step_classifier").string();
  save_model(path, model);
  auto loaded = load_model<LastStepClassifier>(path);
  loaded->eval();
  const Batch demo = make_batch(4, T);
  const Tensor pred = loaded->predict(demo.x, demo.lengths);
  for (std::int64_t i = 0; i < 4; ++i)
    std::printf("sequence %lld: first value %+.3f, length %lld -> class %lld (truth %lld)\n", static_cast<long long>(i),
                demo.x.item(i * T), static_cast<long long>(demo.lengths.data<std::int64_t>()[i]),
                static_cast<long long>(pred.data<std::int64_t>()[i]), static_cast<long long>(demo.labels.data<std::int64_t>()[i]));
  const auto files = checkpoint_files(path);
  std::filesystem::remove(files.weights);
  std::filesystem::remove(files.sidecar);
  return 0;
}
