// birnn bench: forward (no-grad) and forward+backward times of one RNN/LSTM/GRU module, medians of
// interleaved repetitions. The same flags drive bench/onednn_rnn_bench and bench/pytorch_rnn_bench.py.
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

#include "args.hpp"
#include "birnn/birnn.hpp"
#include "commands.hpp"

namespace birnn::cli {

namespace {

const char* kHelp =
    "usage: birnn bench --cell lstm|gru|rnn [--bidirectional] [--batch B] [--seq T] [--input I] [--hidden H]\n"
    "                   [--layers L] [--threads N] [--lengths uniform:MIN:MAX] [--precision fp32|bf16]\n"
    "                   [--reps R] [--warmup W] [--json]\n"
    "\n"
    "Times forward (inference, no autograd) and forward+backward (gradients of the input and every\n"
    "weight, upstream gradient of ones) on random data; prints medians and GFLOP/s.\n"
    "  --lengths uniform:MIN:MAX  variable lengths, identical in every peer tool: length_b = MIN + b*(MAX-MIN)/(B-1);\n"
    "                             T becomes MAX. Only the real steps are counted in GFLOP/s.\n"
    "  --precision bf16           the forward (inference) runs its weight GEMMs in bf16 with f32 accumulation\n"
    "                             (AVX-512 BF16; emulated, slower, on CPUs without it); forward+backward stays fp32.\n"
    "defaults: batch 64, seq 100, input 256, hidden 256, layers 1, threads 1, reps 10, warmup 2.\n";

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Process CPU time (all threads): on a shared machine, wall time alone hides stolen cores.
double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::vector<std::int64_t> parse_lengths(const std::string& spec, std::int64_t B, std::int64_t& T) {
  if (spec.empty()) return {};
  long long lo = 0, hi = 0;
  char tail = 0;
  if (std::sscanf(spec.c_str(), "uniform:%lld:%lld%c", &lo, &hi, &tail) != 2 || lo < 1 || hi < lo || hi > 100000)
    throw OptionError("--lengths: expected uniform:MIN:MAX with 1 <= MIN <= MAX <= 100000, got \"" + spec + "\"");
  std::vector<std::int64_t> L(static_cast<std::size_t>(B));
  for (std::int64_t b = 0; b < B; ++b) L[b] = B == 1 ? hi : lo + (b * (hi - lo)) / (B - 1);
  T = hi;
  return L;
}

}  // namespace

int cmd_bench(const std::vector<std::string>& argv) {
  Args a(argv, {"cell", "batch", "seq", "input", "hidden", "layers", "threads", "lengths", "precision", "reps", "warmup"},
         {"bidirectional", "json", "help"});
  if (a.flag("help")) {
    std::fputs(kHelp, stdout);
    return 0;
  }
  a.no_positional();
  const std::string cell = a.str("cell", "lstm");
  const std::int64_t B = a.integer("batch", 64, 1, 1 << 16), I = a.integer("input", 256, 1, 1 << 16),
                     H = a.integer("hidden", 256, 1, 1 << 16), L = a.integer("layers", 1, 1, 64),
                     threads = a.integer("threads", 1, 0, 1024), reps = a.integer("reps", 10, 1, 100000),
                     warmup = a.integer("warmup", 2, 0, 100000);
  std::int64_t T = a.integer("seq", 100, 1, 100000);
  const bool seq_given = a.has("seq");
  const bool bi = a.flag("bidirectional");
  const std::string lengths_spec = a.str("lengths", "");
  const Precision precision = parse_precision(a.str("precision", "fp32"), "--precision");
  const std::int64_t seq_asked = T;
  const auto lengths = parse_lengths(lengths_spec, B, T);
  if (!lengths.empty() && seq_given && seq_asked != T)
    throw OptionError("--seq " + std::to_string(seq_asked) + " disagrees with --lengths " + lengths_spec +
                      " (T is MAX; omit --seq or make it equal MAX)");
  set_num_threads(static_cast<int>(threads));
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double baseline_rss_mb = static_cast<double>(ru.ru_maxrss) / 1024.0;  // before the model and data

  std::unique_ptr<RecurrentBase> m;
  if (cell == "lstm") m = std::make_unique<LSTM>(LSTMOptions(I, H).num_layers(L).bidirectional(bi));
  else if (cell == "gru") m = std::make_unique<GRU>(GRUOptions(I, H).num_layers(L).bidirectional(bi));
  else if (cell == "rnn") m = std::make_unique<RNN>(RNNOptions(I, H).num_layers(L).bidirectional(bi));
  else throw OptionError("--cell must be lstm, gru or rnn, got \"" + cell + "\"");
  m->set_inference_precision(precision);
  const char* bf16_kernel = precision == Precision::fp32 ? "none" : bf16_native() ? "avx512_bf16" : "emulated";

  Tensor x = Tensor::empty({T, B, I});
  for (std::int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(uniform(-1, 1));
  const Tensor len = lengths.empty() ? Tensor() : Tensor::from_vector(lengths, {B});
  const std::int64_t D = bi ? 2 : 1;
  const Tensor ones = Tensor::full({T, B, D * H}, 1.0);
  // h0 (and c0) are given and differentiated, as in the peer benchmarks.
  const Tensor h0 = Tensor::zeros({L * D, B, H}), c0 = cell == "lstm" ? Tensor::zeros({L * D, B, H}) : Tensor();

  auto run_forward = [&] {
    NoGradGuard ng;
    m->eval();
    return m->forward(x, len, h0, c0).output;
  };
  auto leaf = [](const Tensor& t) { return t.defined() ? t.detach().set_requires_grad(true) : Tensor(); };
  Tensor xi, h0i, c0i;
  auto prepare_train = [&] {  // the optimizer's zero_grad, outside the timed region as in the peers
    m->train();
    m->zero_grad();
    xi = leaf(x), h0i = leaf(h0), c0i = leaf(c0);
  };
  auto run_train = [&] { m->forward(xi, len, h0i, c0i).output.backward(ones); };
  for (std::int64_t i = 0; i < warmup; ++i) run_forward(), prepare_train(), run_train();
  std::vector<double> fwd, fb, fwd_cpu, fb_cpu;
  for (std::int64_t i = 0; i < reps; ++i) {  // interleaved, so drift on a shared machine hits both alike
    double t0 = now_ms(), c0ms = cpu_ms();
    run_forward();
    fwd.push_back(now_ms() - t0);
    fwd_cpu.push_back(cpu_ms() - c0ms);
    prepare_train();
    t0 = now_ms(), c0ms = cpu_ms();
    run_train();
    fb.push_back(now_ms() - t0);
    fb_cpu.push_back(cpu_ms() - c0ms);
  }

  // FLOPs of the GEMMs on real (unpadded) steps; backward does twice the forward's.
  std::int64_t steps = 0;
  for (std::int64_t b = 0; b < B; ++b) steps += lengths.empty() ? T : lengths[b];
  const std::int64_t G = cell == "lstm" ? 4 : cell == "gru" ? 3 : 1;
  double flops = 0;
  for (std::int64_t l = 0; l < L; ++l) flops += 2.0 * D * static_cast<double>(steps) * (l == 0 ? I : D * H) * G * H + 2.0 * D * steps * H * G * H;
  const double f_ms = median(fwd), fb_ms = median(fb);
  getrusage(RUSAGE_SELF, &ru);
  const double rss_mb = static_cast<double>(ru.ru_maxrss) / 1024.0;

  if (a.flag("json")) {
    std::printf(
        "{\"tool\": \"birnn\", \"cell\": \"%s\", \"bidirectional\": %s, \"batch\": %lld, \"seq\": %lld, \"input\": %lld, "
        "\"hidden\": %lld, \"layers\": %lld, \"threads\": %d, \"lengths\": \"%s\", \"reps\": %lld, \"forward_ms\": %.4f, "
        "\"forward_backward_ms\": %.4f, \"forward_cpu_ms\": %.4f, \"forward_backward_cpu_ms\": %.4f, \"forward_gflops\": %.2f, \"forward_backward_gflops\": %.2f, \"peak_rss_mb\": %.1f, "
        "\"baseline_rss_mb\": %.1f, \"simd\": \"%s\", \"precision\": \"%s\", \"bf16_kernel\": \"%s\"}\n",
        cell.c_str(), bi ? "true" : "false", (long long)B, (long long)T, (long long)I, (long long)H, (long long)L,
        num_threads(), lengths_spec.empty() ? "dense" : lengths_spec.c_str(), (long long)reps, f_ms, fb_ms,
        median(fwd_cpu), median(fb_cpu), flops / f_ms / 1e6, 3 * flops / fb_ms / 1e6, rss_mb, baseline_rss_mb, simd_target(),
        precision_name(precision), bf16_kernel);
  } else {
    std::printf("%s%s B=%lld T=%lld I=%lld H=%lld L=%lld threads=%d lengths=%s precision=%s: forward %.3f ms (%.1f GFLOP/s), "
                "forward+backward %.3f ms (%.1f GFLOP/s), median of %lld\n",
                bi ? "bi" : "", cell.c_str(), (long long)B, (long long)T, (long long)I, (long long)H, (long long)L,
                num_threads(), lengths_spec.empty() ? "dense" : lengths_spec.c_str(), precision_name(precision), f_ms,
                flops / f_ms / 1e6, fb_ms,
                3 * flops / fb_ms / 1e6, (long long)reps);
  }
  return 0;
}

}  // namespace birnn::cli
