// onednn_rnn_bench: the oneDNN 2.6 RNN primitives timed the way birnn and PyTorch are timed, so that
// bench/compare.py can put the three side by side.
//
//   onednn_rnn_bench --cell lstm|gru|rnn [--bidirectional] --batch B --seq T --input I --hidden H
//                    [--layers L] [--threads N] [--lengths uniform:MIN:MAX] [--reps R] [--warmup W] [--json]
//
// What is timed (medians over --reps, after --warmup untimed repetitions; the two kinds alternate):
//   forward          : prop_kind::forward_inference, then stream.wait().
//   forward_backward : prop_kind::forward_training (saves the workspace) + the backward primitive, which
//                      gives the gradients of the input, of h0 (and c0) and of every weight and bias, with an
//                      all-ones upstream gradient on the output sequence and zeros on h_n (c_n).
// Also reported: the medians of the process CPU time of the same regions ("*_cpu_ms"); on one thread they
// do not count time the process was descheduled, so they are steadier on a shared machine.
// Primitives, memory and the one-off weight reorders into the layouts oneDNN picks (format_tag::any) are
// created once, outside the timed region, as a real user would. oneDNN's backward accumulates into the
// weight gradients, so they are zeroed before each training step, outside the timed region (that is the
// optimizer's zero_grad, which the benchmark excludes).
//
// Cells: lstm -> lstm_forward/backward; gru -> lbr_gru_forward/backward (linear-before-reset, PyTorch's GRU);
// rnn -> vanilla_rnn_forward/backward with eltwise_tanh. Directions: unidirectional_left2right or
// bidirectional_concat (output = [forward | backward], like PyTorch).
// Stacking: a multi-layer oneDNN primitive needs every layer to have the same input width, and in its
// bidirectional form each direction stacks on its own (layer k+1 does not see the concatenation), which is
// not PyTorch's model. So one primitive holds all L layers only for unidirectional cells with
// input == hidden; otherwise one primitive per layer is chained (layer k's output memory is layer k+1's
// input memory, and backward runs the chain in reverse). The JSON says which ("stacking":
// "one_primitive" | "chained").
// Variable lengths: oneDNN has none. With --lengths the whole batch is run padded to MAX steps and the
// JSON says "padded": true; that is the cost a oneDNN user pays.
// Data: f32, deterministic pseudo-random inputs U(-1,1), weights and biases U(-1/sqrt(H), 1/sqrt(H)), h0 and
// c0 U(-1,1). Denormals are flushed to zero (FTZ/DAZ) in every OpenMP thread, as in birnn and the PyTorch bench.

#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>
#if defined(__x86_64__) || defined(__i386__)
#include <pmmintrin.h>
#endif
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <random>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

namespace {

// ---- options ----------------------------------------------------------------------------------------

struct Options {
  std::string cell = "lstm";
  bool bidirectional = false;
  long batch = 64, seq = 100, input = 256, hidden = 256, layers = 1, threads = 1, reps = 10, warmup = 2;
  bool json = false;
  std::string lengths = "dense";  // "dense" or "uniform:MIN:MAX"
  long len_min = 0, len_max = 0;
};

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr,
               "onednn_rnn_bench: %s\n"
               "usage: onednn_rnn_bench --cell lstm|gru|rnn [--bidirectional] --batch B --seq T --input I "
               "--hidden H [--layers L] [--threads N] [--lengths uniform:MIN:MAX] [--reps R] [--warmup W] "
               "[--json]\n",
               msg.c_str());
  std::exit(2);
}

long parse_count(const std::string& flag, const std::string& text, long min_value) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < min_value || v > (1L << 30))
    usage_error(flag + " expects an integer >= " + std::to_string(min_value) + ", got '" + text + "'");
  return v;
}

Options parse_args(int argc, char** argv) {
  Options o;
  bool seq_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--cell") {
      o.cell = value();
      if (o.cell != "lstm" && o.cell != "gru" && o.cell != "rnn")
        usage_error("--cell must be lstm, gru or rnn, got '" + o.cell + "'");
    } else if (a == "--bidirectional") o.bidirectional = true;
    else if (a == "--batch") o.batch = parse_count(a, value(), 1);
    else if (a == "--seq") { o.seq = parse_count(a, value(), 1); seq_given = true; }
    else if (a == "--input") o.input = parse_count(a, value(), 1);
    else if (a == "--hidden") o.hidden = parse_count(a, value(), 1);
    else if (a == "--layers") o.layers = parse_count(a, value(), 1);
    else if (a == "--threads") o.threads = parse_count(a, value(), 1);
    else if (a == "--reps") o.reps = parse_count(a, value(), 1);
    else if (a == "--warmup") o.warmup = parse_count(a, value(), 0);
    else if (a == "--json") o.json = true;
    else if (a == "--lengths") {
      std::string s = value();
      if (s != "dense") {
        long mn = 0, mx = 0;
        char tail = 0;
        if (std::sscanf(s.c_str(), "uniform:%ld:%ld%c", &mn, &mx, &tail) != 2 || mn < 1 || mx < mn)
          usage_error("--lengths expects dense or uniform:MIN:MAX with 1 <= MIN <= MAX, got '" + s + "'");
        o.len_min = mn;
        o.len_max = mx;
      }
      o.lengths = s;
    } else if (a == "-h" || a == "--help") {
      usage_error("help");
    } else {
      usage_error("unknown argument '" + a + "'");
    }
  }
  if (o.lengths != "dense") {
    if (seq_given && o.seq != o.len_max)
      usage_error("--seq " + std::to_string(o.seq) + " disagrees with --lengths " + o.lengths +
                  " (T is MAX; omit --seq or make it equal MAX)");
    o.seq = o.len_max;
  }
  return o;
}

// ---- helpers ----------------------------------------------------------------------------------------

void fill_uniform(const memory& m, std::mt19937& rng, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  float* p = static_cast<float*>(m.get_data_handle());
  size_t n = m.get_desc().get_size() / sizeof(float);
  for (size_t i = 0; i < n; ++i) p[i] = dist(rng);
}

void fill_value(const memory& m, float v) {
  float* p = static_cast<float*>(m.get_data_handle());
  size_t n = m.get_desc().get_size() / sizeof(float);
  std::fill(p, p + n, v);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

const char* isa_name(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

// ---- one RNN primitive (one layer, or all L layers when oneDNN can stack them) ----------------------

struct Geometry {
  std::string cell;
  dnnl::rnn_direction dir;
  memory::dim T, B, slc, H, L, D, G, Gb;  // slc: input width of this primitive; Gb: bias gates (G+1 for lbr_gru)
};

// All memory descriptors of one primitive. Weights use format_tag::any so oneDNN picks its layouts.
struct Descs {
  memory::desc src_layer, src_iter, src_iter_c, w_layer_any, w_iter_any, bias, dst_layer, dst_iter, dst_iter_c;
  explicit Descs(const Geometry& g)
      : src_layer({g.T, g.B, g.slc}, dt::f32, tag::tnc),
        src_iter({g.L, g.D, g.B, g.H}, dt::f32, tag::ldnc),
        src_iter_c({g.L, g.D, g.B, g.H}, dt::f32, tag::ldnc),
        w_layer_any({g.L, g.D, g.slc, g.G, g.H}, dt::f32, tag::any),
        w_iter_any({g.L, g.D, g.H, g.G, g.H}, dt::f32, tag::any),
        bias({g.L, g.D, g.Gb, g.H}, dt::f32, tag::ldgo),
        dst_layer({g.T, g.B, g.D * g.H}, dt::f32, tag::tnc),
        dst_iter({g.L, g.D, g.B, g.H}, dt::f32, tag::ldnc),
        dst_iter_c({g.L, g.D, g.B, g.H}, dt::f32, tag::ldnc) {}
};

struct Pds {
  dnnl::primitive_desc fwd;  // forward_inference or forward_training
  dnnl::primitive_desc bwd;  // empty unless training
};

// Builds the forward pd for `prop`, and for training also the backward pd hinted by it.
Pds make_pds(const Geometry& g, const dnnl::engine& eng, dnnl::prop_kind prop, bool with_backward) {
  Descs d(g);
  const memory::desc& ws_l = d.w_layer_any;
  const memory::desc& ws_i = d.w_iter_any;
  Pds out;
  auto bwd = dnnl::prop_kind::backward;
  if (g.cell == "lstm") {
    dnnl::lstm_forward::desc fd(prop, g.dir, d.src_layer, d.src_iter, d.src_iter_c, ws_l, ws_i, d.bias,
                                d.dst_layer, d.dst_iter, d.dst_iter_c);
    dnnl::lstm_forward::primitive_desc fpd(fd, eng);
    out.fwd = fpd;
    if (with_backward) {
      dnnl::lstm_backward::desc bd(bwd, g.dir, d.src_layer, d.src_iter, d.src_iter_c, ws_l, ws_i, d.bias,
                                   d.dst_layer, d.dst_iter, d.dst_iter_c, d.src_layer, d.src_iter,
                                   d.src_iter_c, ws_l, ws_i, d.bias, d.dst_layer, d.dst_iter, d.dst_iter_c);
      out.bwd = dnnl::lstm_backward::primitive_desc(bd, eng, fpd);
    }
  } else if (g.cell == "gru") {
    dnnl::lbr_gru_forward::desc fd(prop, g.dir, d.src_layer, d.src_iter, ws_l, ws_i, d.bias, d.dst_layer,
                                   d.dst_iter);
    dnnl::lbr_gru_forward::primitive_desc fpd(fd, eng);
    out.fwd = fpd;
    if (with_backward) {
      dnnl::lbr_gru_backward::desc bd(bwd, g.dir, d.src_layer, d.src_iter, ws_l, ws_i, d.bias, d.dst_layer,
                                      d.dst_iter, d.src_layer, d.src_iter, ws_l, ws_i, d.bias, d.dst_layer,
                                      d.dst_iter);
      out.bwd = dnnl::lbr_gru_backward::primitive_desc(bd, eng, fpd);
    }
  } else {
    auto act = dnnl::algorithm::eltwise_tanh;
    dnnl::vanilla_rnn_forward::desc fd(prop, act, g.dir, d.src_layer, d.src_iter, ws_l, ws_i, d.bias,
                                       d.dst_layer, d.dst_iter);
    dnnl::vanilla_rnn_forward::primitive_desc fpd(fd, eng);
    out.fwd = fpd;
    if (with_backward) {
      dnnl::vanilla_rnn_backward::desc bd(bwd, act, g.dir, d.src_layer, d.src_iter, ws_l, ws_i, d.bias,
                                          d.dst_layer, d.dst_iter, d.src_layer, d.src_iter, ws_l, ws_i, d.bias,
                                          d.dst_layer, d.dst_iter);
      out.bwd = dnnl::vanilla_rnn_backward::primitive_desc(bd, eng, fpd);
    }
  }
  return out;
}

memory::desc md_of(const dnnl::primitive_desc& pd, int arg) {
  return pd.query_md(dnnl::query::exec_arg_md, arg);
}

// Memory in the layout the primitive wants, filled by one reorder from the user's plain-layout memory.
memory reordered(memory user, const memory::desc& want, const dnnl::engine& eng, dnnl::stream& s) {
  if (user.get_desc() == want) return user;
  memory m(want, eng);
  dnnl::reorder(user, m).execute(s, user, m);
  s.wait();
  return m;
}

// One primitive with everything it needs for inference and for a training step.
struct RnnBlock {
  Geometry g;
  bool lstm = false;
  dnnl::primitive fwd_inf, fwd_trn, bwd;
  // user data (plain layouts)
  memory src_layer, src_iter, src_iter_c, w_layer, w_iter, bias;
  // weights in the layouts each primitive chose
  memory w_layer_inf, w_iter_inf, w_layer_trn, w_iter_trn, w_layer_bwd, w_iter_bwd;
  // outputs
  memory dst_layer, dst_iter, dst_iter_c, workspace;
  // gradients
  memory diff_src_layer, diff_src_iter, diff_src_iter_c, diff_w_layer, diff_w_iter, diff_bias;
  memory diff_dst_layer, diff_dst_iter, diff_dst_iter_c;

  // `input` is the memory holding this block's input sequence (the previous block's dst_layer when
  // chained), `diff_dst_top` the upstream gradient of its output when it is the top of the stack.
  RnnBlock(const Geometry& geom, const dnnl::engine& eng, dnnl::stream& s, std::mt19937& rng,
           const memory* input)
      : g(geom), lstm(geom.cell == "lstm") {
    Pds inf = make_pds(g, eng, dnnl::prop_kind::forward_inference, false);
    Pds trn = make_pds(g, eng, dnnl::prop_kind::forward_training, true);
    Descs d(g);

    src_layer = input ? *input : memory(d.src_layer, eng);
    if (!input) fill_uniform(src_layer, rng, -1.f, 1.f);
    src_iter = memory(d.src_iter, eng);
    fill_uniform(src_iter, rng, -1.f, 1.f);
    src_iter_c = memory(d.src_iter_c, eng);
    fill_uniform(src_iter_c, rng, -1.f, 1.f);

    const float k = 1.f / std::sqrt(static_cast<float>(g.H));
    w_layer = memory({{g.L, g.D, g.slc, g.G, g.H}, dt::f32, tag::ldigo}, eng);
    w_iter = memory({{g.L, g.D, g.H, g.G, g.H}, dt::f32, tag::ldigo}, eng);
    bias = memory(d.bias, eng);
    fill_uniform(w_layer, rng, -k, k);
    fill_uniform(w_iter, rng, -k, k);
    fill_uniform(bias, rng, -k, k);

    w_layer_inf = reordered(w_layer, md_of(inf.fwd, DNNL_ARG_WEIGHTS_LAYER), eng, s);
    w_iter_inf = reordered(w_iter, md_of(inf.fwd, DNNL_ARG_WEIGHTS_ITER), eng, s);
    w_layer_trn = reordered(w_layer, md_of(trn.fwd, DNNL_ARG_WEIGHTS_LAYER), eng, s);
    w_iter_trn = reordered(w_iter, md_of(trn.fwd, DNNL_ARG_WEIGHTS_ITER), eng, s);
    w_layer_bwd = reordered(w_layer, md_of(trn.bwd, DNNL_ARG_WEIGHTS_LAYER), eng, s);
    w_iter_bwd = reordered(w_iter, md_of(trn.bwd, DNNL_ARG_WEIGHTS_ITER), eng, s);

    dst_layer = memory(d.dst_layer, eng);
    dst_iter = memory(d.dst_iter, eng);
    dst_iter_c = memory(d.dst_iter_c, eng);
    workspace = memory(trn.fwd.workspace_desc(), eng);

    diff_src_layer = memory(md_of(trn.bwd, DNNL_ARG_DIFF_SRC_LAYER), eng);
    diff_src_iter = memory(md_of(trn.bwd, DNNL_ARG_DIFF_SRC_ITER), eng);
    diff_w_layer = memory(md_of(trn.bwd, DNNL_ARG_DIFF_WEIGHTS_LAYER), eng);
    diff_w_iter = memory(md_of(trn.bwd, DNNL_ARG_DIFF_WEIGHTS_ITER), eng);
    diff_bias = memory(md_of(trn.bwd, DNNL_ARG_DIFF_BIAS), eng);
    diff_dst_layer = memory(d.dst_layer, eng);
    fill_value(diff_dst_layer, 1.f);  // all-ones upstream gradient (replaced by the next block's when chained)
    diff_dst_iter = memory(d.dst_iter, eng);
    fill_value(diff_dst_iter, 0.f);
    if (lstm) {
      diff_src_iter_c = memory(md_of(trn.bwd, DNNL_ARG_DIFF_SRC_ITER_C), eng);
      diff_dst_iter_c = memory(d.dst_iter_c, eng);
      fill_value(diff_dst_iter_c, 0.f);
    }

    fwd_inf = dnnl::primitive(inf.fwd);
    fwd_trn = dnnl::primitive(trn.fwd);
    bwd = dnnl::primitive(trn.bwd);
  }

  void forward_inference(dnnl::stream& s) {
    std::unordered_map<int, memory> args = {
        {DNNL_ARG_SRC_LAYER, src_layer},       {DNNL_ARG_SRC_ITER, src_iter},
        {DNNL_ARG_WEIGHTS_LAYER, w_layer_inf}, {DNNL_ARG_WEIGHTS_ITER, w_iter_inf},
        {DNNL_ARG_BIAS, bias},                 {DNNL_ARG_DST_LAYER, dst_layer},
        {DNNL_ARG_DST_ITER, dst_iter}};
    if (lstm) {
      args[DNNL_ARG_SRC_ITER_C] = src_iter_c;
      args[DNNL_ARG_DST_ITER_C] = dst_iter_c;
    }
    fwd_inf.execute(s, args);
  }

  void forward_training(dnnl::stream& s) {
    std::unordered_map<int, memory> args = {
        {DNNL_ARG_SRC_LAYER, src_layer},       {DNNL_ARG_SRC_ITER, src_iter},
        {DNNL_ARG_WEIGHTS_LAYER, w_layer_trn}, {DNNL_ARG_WEIGHTS_ITER, w_iter_trn},
        {DNNL_ARG_BIAS, bias},                 {DNNL_ARG_DST_LAYER, dst_layer},
        {DNNL_ARG_DST_ITER, dst_iter},         {DNNL_ARG_WORKSPACE, workspace}};
    if (lstm) {
      args[DNNL_ARG_SRC_ITER_C] = src_iter_c;
      args[DNNL_ARG_DST_ITER_C] = dst_iter_c;
    }
    fwd_trn.execute(s, args);
  }

  void zero_weight_grads() {
    fill_value(diff_w_layer, 0.f);
    fill_value(diff_w_iter, 0.f);
    fill_value(diff_bias, 0.f);
  }

  void backward(dnnl::stream& s) {
    std::unordered_map<int, memory> args = {
        {DNNL_ARG_SRC_LAYER, src_layer},
        {DNNL_ARG_SRC_ITER, src_iter},
        {DNNL_ARG_WEIGHTS_LAYER, w_layer_bwd},
        {DNNL_ARG_WEIGHTS_ITER, w_iter_bwd},
        {DNNL_ARG_BIAS, bias},
        {DNNL_ARG_DST_LAYER, dst_layer},
        {DNNL_ARG_DST_ITER, dst_iter},
        {DNNL_ARG_WORKSPACE, workspace},
        {DNNL_ARG_DIFF_SRC_LAYER, diff_src_layer},
        {DNNL_ARG_DIFF_SRC_ITER, diff_src_iter},
        {DNNL_ARG_DIFF_WEIGHTS_LAYER, diff_w_layer},
        {DNNL_ARG_DIFF_WEIGHTS_ITER, diff_w_iter},
        {DNNL_ARG_DIFF_BIAS, diff_bias},
        {DNNL_ARG_DIFF_DST_LAYER, diff_dst_layer},
        {DNNL_ARG_DIFF_DST_ITER, diff_dst_iter}};
    if (lstm) {
      args[DNNL_ARG_SRC_ITER_C] = src_iter_c;
      args[DNNL_ARG_DST_ITER_C] = dst_iter_c;
      args[DNNL_ARG_DIFF_SRC_ITER_C] = diff_src_iter_c;
      args[DNNL_ARG_DIFF_DST_ITER_C] = diff_dst_iter_c;
    }
    bwd.execute(s, args);
  }
};

// ---- the benchmark ----------------------------------------------------------------------------------

struct Result {
  std::vector<double> fwd_ms, fwdbwd_ms;
  std::vector<double> fwd_cpu_ms, fwdbwd_cpu_ms;  // process CPU time: on one thread, immune to being descheduled
  bool one_primitive = true;
  std::string isa;
};

Result run(const Options& o) {
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream s(eng);
  std::mt19937 rng(20240601u);

  const memory::dim D = o.bidirectional ? 2 : 1;
  const memory::dim G = o.cell == "lstm" ? 4 : o.cell == "gru" ? 3 : 1;
  const memory::dim Gb = o.cell == "gru" ? 4 : G;  // lbr_gru has a separate bias for W_hn h
  Geometry base{o.cell,
                o.bidirectional ? dnnl::rnn_direction::bidirectional_concat
                                : dnnl::rnn_direction::unidirectional_left2right,
                o.seq, o.batch, o.input, o.hidden, o.layers, D, G, Gb};

  Result r;
  r.isa = isa_name(dnnl::get_effective_cpu_isa());
  std::vector<RnnBlock> blocks;
  blocks.reserve(static_cast<size_t>(o.layers));
  r.one_primitive = o.layers == 1 || (!o.bidirectional && o.input == o.hidden);
  if (r.one_primitive) {
    blocks.emplace_back(base, eng, s, rng, nullptr);
  } else {
    for (long l = 0; l < o.layers; ++l) {
      Geometry g = base;
      g.L = 1;
      g.slc = l == 0 ? o.input : D * o.hidden;
      blocks.emplace_back(g, eng, s, rng, l == 0 ? nullptr : &blocks.back().dst_layer);
    }
    // Chain the gradients: block k's upstream gradient is block k+1's input gradient.
    for (size_t k = 0; k + 1 < blocks.size(); ++k) blocks[k].diff_dst_layer = blocks[k + 1].diff_src_layer;
  }

  using clock = std::chrono::steady_clock;
  auto ms_since = [](clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(clock::now() - t0).count();
  };
  auto cpu_ms = [] {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return 1e3 * static_cast<double>(ts.tv_sec) + 1e-6 * static_cast<double>(ts.tv_nsec);
  };
  for (long rep = 0; rep < o.warmup + o.reps; ++rep) {
    double c0 = cpu_ms();
    auto t0 = clock::now();
    for (auto& b : blocks) b.forward_inference(s);
    s.wait();
    double f = ms_since(t0), fc = cpu_ms() - c0;

    for (auto& b : blocks) b.zero_weight_grads();  // the optimizer's zero_grad: not timed
    c0 = cpu_ms();
    t0 = clock::now();
    for (auto& b : blocks) b.forward_training(s);
    for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) it->backward(s);
    s.wait();
    double fb = ms_since(t0), fbc = cpu_ms() - c0;
    if (rep >= o.warmup) {
      r.fwd_ms.push_back(f);
      r.fwdbwd_ms.push_back(fb);
      r.fwd_cpu_ms.push_back(fc);
      r.fwdbwd_cpu_ms.push_back(fbc);
    }
  }
  return r;
}

std::string json_list(const std::vector<double>& v) {
  std::string out = "[";
  char buf[32];
  for (size_t i = 0; i < v.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s%.4f", i ? ", " : "", v[i]);
    out += buf;
  }
  return out + "]";
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv);
  omp_set_num_threads(static_cast<int>(o.threads));
  // Flush denormals to zero in every OpenMP thread (they persist in the pool), as birnn and the PyTorch bench do:
  // denormal numbers have slowed LSTMs by orders of magnitude in oneDNN and ONNX Runtime.
#if defined(__x86_64__) || defined(__i386__)
#pragma omp parallel
  {
    _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
    _MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
  }
#endif
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  const double baseline_rss_mb = static_cast<double>(ru.ru_maxrss) / 1024.0;  // before primitives and data
  Result r;
  try {
    r = run(o);
  } catch (const dnnl::error& e) {
    std::fprintf(stderr, "onednn_rnn_bench: oneDNN refused this configuration: %s (status %d)\n", e.what(),
                 static_cast<int>(e.status));
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "onednn_rnn_bench: %s\n", e.what());
    return 1;
  }
  getrusage(RUSAGE_SELF, &ru);
  const double rss_mb = static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
  const dnnl_version_t* v = dnnl_version();
  const bool padded = o.lengths != "dense";
  const double fwd = median(r.fwd_ms), fb = median(r.fwdbwd_ms);

  if (o.json) {
    std::printf(
        "{\"tool\": \"onednn\", \"version\": \"%d.%d.%d\", \"isa\": \"%s\", \"cell\": \"%s\", "
        "%s\"bidirectional\": %s, \"batch\": %ld, \"seq\": %ld, \"input\": %ld, "
        "\"hidden\": %ld, \"layers\": %ld, \"threads\": %ld, \"lengths\": \"%s\", \"padded\": %s, "
        "\"stacking\": \"%s\", \"reps\": %ld, \"warmup\": %ld, \"forward_ms\": %.4f, "
        "\"forward_backward_ms\": %.4f, \"forward_ms_reps\": %s, \"forward_backward_ms_reps\": %s, "
        "\"forward_cpu_ms\": %.4f, \"forward_backward_cpu_ms\": %.4f, \"peak_rss_mb\": %.1f, \"baseline_rss_mb\": %.1f}\n",
        v->major, v->minor, v->patch, r.isa.c_str(), o.cell.c_str(), o.cell == "gru" ? "\"gru_form\": \"linear_before_reset\", " : "",
        o.bidirectional ? "true" : "false", o.batch, o.seq, o.input, o.hidden, o.layers, o.threads,
        o.lengths.c_str(), padded ? "true" : "false", r.one_primitive ? "one_primitive" : "chained", o.reps,
        o.warmup, fwd, fb, json_list(r.fwd_ms).c_str(), json_list(r.fwdbwd_ms).c_str(), median(r.fwd_cpu_ms),
        median(r.fwdbwd_cpu_ms), rss_mb, baseline_rss_mb);
  } else {
    std::printf("oneDNN %d.%d.%d (%s)  %s%s  B=%ld T=%ld I=%ld H=%ld L=%ld threads=%ld lengths=%s%s  [%s]\n",
                v->major, v->minor, v->patch, r.isa.c_str(), o.bidirectional ? "bi" : "", o.cell.c_str(),
                o.batch, o.seq, o.input, o.hidden, o.layers, o.threads, o.lengths.c_str(),
                padded ? " (run padded to MAX: oneDNN has no variable lengths)" : "",
                r.one_primitive ? "one primitive" : "chained per layer");
    std::printf("  forward (inference)     median %9.3f ms  (min %.3f, max %.3f, %ld reps)\n", fwd,
                *std::min_element(r.fwd_ms.begin(), r.fwd_ms.end()),
                *std::max_element(r.fwd_ms.begin(), r.fwd_ms.end()), o.reps);
    std::printf("  forward+backward        median %9.3f ms  (min %.3f, max %.3f)\n", fb,
                *std::min_element(r.fwdbwd_ms.begin(), r.fwdbwd_ms.end()),
                *std::max_element(r.fwdbwd_ms.begin(), r.fwdbwd_ms.end()));
    std::printf("  peak RSS %.1f MB\n", rss_mb);
  }
  return 0;
}
