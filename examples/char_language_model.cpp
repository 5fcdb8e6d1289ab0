// A character language model on a generated toy text: train with truncated BPTT (the (h, c) state carried
// between consecutive chunks), report bits per character, save, load back, and generate text. Then the
// same training with bidirectional(true), to show in numbers why that is not a language model.
//
//   example_char_language_model           # a few hundred steps
//   example_char_language_model --quick   # a few steps (the smoke test)
#include <birnn/birnn.hpp>
#include <birnn/models/char_language_model.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

using namespace birnn;

// Sentences from a tiny grammar: "the cat sat on the mat. a dog ran to the red box. ..."
std::string toy_text(std::size_t n_sentences) {
  const std::vector<std::string> det{"the", "a"}, noun{"cat", "dog", "bird", "fox"}, verb{"sat", "ran", "hid", "slept"},
      prep{"on", "by", "under"}, adj{"red", "old", "big"}, place{"mat", "box", "tree", "bed"};
  auto pick = [](const std::vector<std::string>& v) { return v[random_below(v.size())]; };
  std::string s;
  for (std::size_t i = 0; i < n_sentences; ++i)
    s += pick(det) + " " + pick(noun) + " " + pick(verb) + " " + pick(prep) + " the " + pick(adj) + " " + pick(place) + ". ";
  return s;
}

// Cuts `ids` into `streams` equal rows; chunk k of the batch is columns [k*T, k*T + T) (inputs) and the
// same shifted by one (targets), so that chunk k+1 continues chunk k in every row.
struct Streams {
  std::vector<std::int64_t> data;  // (streams, len)
  std::int64_t rows, len;
  Streams(const std::vector<std::int64_t>& ids, std::int64_t streams) : rows(streams), len(static_cast<std::int64_t>(ids.size()) / streams) {
    data.assign(ids.begin(), ids.begin() + rows * len);
  }
  std::int64_t chunks(std::int64_t T) const { return (len - 1) / T; }
  Tensor columns(std::int64_t start, std::int64_t T) const {
    std::vector<std::int64_t> v(static_cast<std::size_t>(rows * T));
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t t = 0; t < T; ++t) v[static_cast<std::size_t>(r * T + t)] = data[static_cast<std::size_t>(r * len + start + t)];
    return Tensor::from_vector(v, {rows, T});
  }
};

// Mean loss (nats) of the model over every chunk of `s`, state carried, no gradients.
double evaluate(CharLanguageModel& m, const Streams& s, std::int64_t T) {
  NoGradGuard ng;
  m.eval();
  RecurrentState state;
  double total = 0;
  for (std::int64_t k = 0; k < s.chunks(T); ++k) total += m.loss(s.columns(k * T, T), s.columns(k * T + 1, T), Tensor(), &state).item();
  m.train();
  return total / static_cast<double>(s.chunks(T));
}

// Trains for `epochs` passes of truncated BPTT; prints per-epoch numbers when verbose.
void train(CharLanguageModel& m, const Streams& tr, const Streams& va, std::int64_t T, int epochs, bool verbose) {
  Adam opt(m.parameters(), AdamOptions(1e-2));
  for (int e = 1; e <= epochs; ++e) {
    RecurrentState state;  // a fresh start at the beginning of the text
    double sum = 0;
    for (std::int64_t k = 0; k < tr.chunks(T); ++k) {
      Tensor l = m.loss(tr.columns(k * T, T), tr.columns(k * T + 1, T), Tensor(), &state);
      opt.zero_grad();
      l.backward();
      clip_grad_norm(m.parameters(), 5.0);
      opt.step();
      sum += l.item();
    }
    const double va_loss = evaluate(m, va, T);
    if (verbose)
      std::printf("epoch %d  train loss %.3f  held-out loss %.3f nats = %.3f bits/char\n", e, sum / static_cast<double>(tr.chunks(T)),
                  va_loss, va_loss / std::log(2.0));
  }
}

int main(int argc, char** argv) try {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  if (quick) set_num_threads(1);
  manual_seed(42);

  // Characters -> ids; id 0 is padding.
  const std::string text = toy_text(quick ? 120 : 1500), held_out = toy_text(quick ? 30 : 200);
  std::vector<std::string> chars{"<pad>"};
  std::map<char, std::int64_t> id;
  for (char c : text + held_out)
    if (!id.count(c)) id[c] = static_cast<std::int64_t>(chars.size()), chars.push_back(std::string(1, c));
  auto encode = [&](const std::string& s) { std::vector<std::int64_t> v; for (char c : s) v.push_back(id.at(c)); return v; };
  const std::int64_t V = static_cast<std::int64_t>(chars.size()), T = 32;
  const Streams tr(encode(text), 8), va(encode(held_out), 4);
  std::printf("vocabulary %lld chars, %zu training chars, %zu held-out chars\n", static_cast<long long>(V), text.size(), held_out.size());

  CharLanguageModel model(CharLanguageModelOptions(V).embedding_dim(16).hidden_size(quick ? 32 : 128).num_layers(2).dropout(0.1));
  const int epochs = quick ? 1 : 8;
  train(model, tr, va, T, epochs, true);

  const std::string path = (std::filesystem::temp_directory_path() / "birnn_example_char_lm").string();
  save_model(path, model, {{"chars", chars}});
  CheckpointInfo info;
  auto loaded = load_model<CharLanguageModel>(path, &info);
  const auto& vocab = info.vocabularies.at("chars");
  loaded->eval();
  model.eval();
  const double bpc_saved = model.bits_per_char(va.columns(0, T)), bpc_loaded = loaded->bits_per_char(va.columns(0, T));
  std::printf("saved and loaded back: %.6f vs %.6f bits/char on a held-out chunk\n", bpc_saved, bpc_loaded);
  if (bpc_saved != bpc_loaded) throw Error("the loaded model differs from the saved one");

  const std::string prompt = "the cat ";
  const GenerateResult g = loaded->generate(encode(prompt), quick ? 40 : 200, GenerateOptions().temperature(0.8).seed(7));
  std::string sample = prompt;
  for (auto c : g.ids) sample += c == 0 ? std::string("") : vocab[static_cast<std::size_t>(c)];
  std::printf("sample (temperature 0.8): %s\n", sample.c_str());

  // bidirectional(true): the same steps, a "loss" that cheats.
  std::printf("\nthe same training with bidirectional(true):\n");
  manual_seed(42);
  CharLanguageModel uni(CharLanguageModelOptions(V).embedding_dim(16).hidden_size(32));
  manual_seed(42);
  CharLanguageModel bi(CharLanguageModelOptions(V).embedding_dim(16).hidden_size(32).bidirectional(true));
  for (const auto& w : bi.warnings()) std::printf("model warning: %s\n", w.c_str());
  const int cmp_epochs = quick ? 1 : 3;
  train(uni, tr, va, T, cmp_epochs, false);
  train(bi, tr, va, T, cmp_epochs, false);
  const double u = evaluate(uni, va, T) / std::log(2.0), b = evaluate(bi, va, T) / std::log(2.0);
  std::printf("held-out after %d epoch(s): unidirectional %.3f bits/char, bidirectional %.3f bits/char (it reads the answer)\n",
              cmp_epochs, u, b);
  try {
    bi.generate(encode(prompt), 10);
    throw Error("generate() on a bidirectional model should have been refused");
  } catch (const OptionError& e) {
    std::printf("generate() on it: %s\n", e.what());
  }
  for (const auto& f : {checkpoint_files(path).weights, checkpoint_files(path).sidecar}) std::filesystem::remove(f);
  return 0;
} catch (const std::exception& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
