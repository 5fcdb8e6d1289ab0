// serve_bench: a PyTorch-trained ready model served by birnn, request by request, timed the way
// bench/serve_latency.py times the same model in PyTorch (that script writes DIR and runs this).
//
//   serve_bench --model bigru_classifier|last_step_classifier --dir DIR --batch B [--threads N] [--passes P]
//
// DIR holds what a PyTorch user hands over: state_dict.safetensors (the model's float32 state_dict with
// PyTorch's names), config.json (the model's options, birnn's from_json format) and requests.safetensors:
// "input" (N, T_max) int64 token ids or (N, T_max, F) float features, "lengths" (N) int64. Requests are
// served B at a time in file order, each batch cut to its longest request (B = 1: the request alone, no
// lengths, as PyTorch is called at B = 1). One untimed pass warms up, then P timed passes; each batch's
// forward (eval mode, no autograd) is timed with a steady clock. Writes DIR/birnn_logits.safetensors (the
// first timed pass's logits, (N) or (N, C)) and prints one JSON line: the batch latencies in ms.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "birnn/birnn.hpp"
#include "birnn/models/bigru_classifier.hpp"
#include "birnn/models/last_step_classifier.hpp"

namespace {

using birnn::Tensor;
using I64 = std::int64_t;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Rows [i0, i0 + n) of a (N, T_max, ...) tensor, cut to T steps: a new contiguous (n, T, ...) tensor.
Tensor rows(const Tensor& all, I64 i0, I64 n, I64 T) {
  const auto& s = all.shape();
  const I64 feat = s.size() == 3 ? s[2] : 1;
  birnn::Shape shape = s.size() == 3 ? birnn::Shape{n, T, feat} : birnn::Shape{n, T};
  Tensor out = Tensor::empty(shape, all.dtype());
  const std::size_t el = birnn::dtype_size(all.dtype());
  const auto* src = static_cast<const char*>(all.raw_data());
  auto* dst = static_cast<char*>(out.raw_data());
  for (I64 i = 0; i < n; ++i)
    std::copy_n(src + ((i0 + i) * s[1] * feat) * el, static_cast<std::size_t>(T * feat) * el, dst + (i * T * feat) * el);
  return out;
}

struct Args {
  std::string model, dir;
  I64 batch = 1, passes = 5;
  int threads = 1;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (i + 1 >= argc) throw std::runtime_error("flag " + k + " needs a value");
    const std::string v = argv[++i];
    if (k == "--model") a.model = v;
    else if (k == "--dir") a.dir = v;
    else if (k == "--batch") a.batch = std::stoll(v);
    else if (k == "--passes") a.passes = std::stoll(v);
    else if (k == "--threads") a.threads = std::stoi(v);
    else throw std::runtime_error("unknown flag " + k);
  }
  if (a.model.empty() || a.dir.empty() || a.batch < 1 || a.passes < 1 || a.threads < 1)
    throw std::runtime_error("usage: serve_bench --model NAME --dir DIR --batch B [--threads N] [--passes P]");
  return a;
}

// The model behind one call: forward(input, lengths) -> logits.
std::function<Tensor(const Tensor&, const Tensor&)> make_model(const Args& a, std::shared_ptr<birnn::Module>& keep) {
  const std::string config = read_text(a.dir + "/config.json");
  const std::string state = a.dir + "/state_dict.safetensors";
  if (a.model == "bigru_classifier") {
    auto m = std::make_shared<birnn::BiGRUClassifier>(birnn::BiGRUClassifierOptions::from_json(config));
    birnn::load(*m, state);
    keep = m;
    return [m](const Tensor& x, const Tensor& len) { return m->forward(x, len); };
  }
  if (a.model == "last_step_classifier") {
    auto m = std::make_shared<birnn::LastStepClassifier>(birnn::LastStepClassifierOptions::from_json(config));
    birnn::load(*m, state);
    keep = m;
    return [m](const Tensor& x, const Tensor& len) { return m->forward(x, len); };
  }
  throw std::runtime_error("unknown --model " + a.model);
}

}  // namespace

int main(int argc, char** argv) try {
  const Args a = parse(argc, argv);
  birnn::set_num_threads(a.threads);
  std::shared_ptr<birnn::Module> keep;
  const auto forward = make_model(a, keep);
  keep->eval();
  const birnn::NamedTensors req = birnn::load_safetensors(a.dir + "/requests.safetensors");
  const Tensor& input = req.tensors.at("input");
  const Tensor& lengths = req.tensors.at("lengths");
  const I64 N = input.shape()[0];
  const auto* len = lengths.data<I64>();

  birnn::NoGradGuard no_grad;
  std::vector<double> ms;
  std::vector<Tensor> first_pass;
  for (I64 pass = 0; pass <= a.passes; ++pass) {  // pass 0 warms up
    for (I64 i0 = 0; i0 < N; i0 += a.batch) {
      const I64 n = std::min(a.batch, N - i0);
      const I64 T = *std::max_element(len + i0, len + i0 + n);
      const Tensor x = rows(input, i0, n, T);
      Tensor lens;  // undefined at B = 1: the whole (cut) sequence
      if (a.batch > 1) lens = Tensor::from_vector(std::vector<I64>(len + i0, len + i0 + n), {n});
      const auto t0 = std::chrono::steady_clock::now();
      Tensor y = forward(x, lens);
      const double dt = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (pass > 0) ms.push_back(dt);
      if (pass == 1) first_pass.push_back(y);
    }
  }
  // Logits of every request, in file order: the batches' outputs stacked along dimension 0.
  const Tensor& y0 = first_pass.front();
  const I64 per = y0.numel() / y0.shape()[0];
  std::vector<float> all;
  for (const Tensor& y : first_pass) {
    const Tensor f = y.to(birnn::DType::f32);
    all.insert(all.end(), f.data<float>(), f.data<float>() + f.numel());
  }
  birnn::Shape out_shape = per == 1 ? birnn::Shape{N} : birnn::Shape{N, per};
  birnn::save_safetensors(a.dir + "/birnn_logits.safetensors", {{"logits", Tensor::from_vector(all, out_shape)}});

  std::printf("{\"tool\": \"birnn\", \"model\": \"%s\", \"batch\": %lld, \"threads\": %d, \"batch_ms\": [", a.model.c_str(),
              static_cast<long long>(a.batch), a.threads);
  for (std::size_t i = 0; i < ms.size(); ++i) std::printf("%s%.4f", i ? ", " : "", ms[i]);
  std::printf("]}\n");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "serve_bench: %s\n", e.what());
  return 1;
}
