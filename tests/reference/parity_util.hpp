// Shared by the PyTorch-oracle tests: listing a fixture folder, running each fixture in float32 and float64,
// reading a fixture's tensors and weights, and comparing tensors and gradients with PyTorch's.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "birnn/module.hpp"
#include "birnn/ops.hpp"
#include "birnn/serialize.hpp"
#include "birnn/tensor.hpp"

namespace birnn::parity {

/// The stems of the .safetensors files in dir, sorted.
inline std::vector<std::string> fixture_stems(const std::string& dir) {
  std::vector<std::string> v;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".safetensors") v.push_back(e.path().stem().string());
  std::sort(v.begin(), v.end());
  return v;
}

/// max |a - b| / max |b|, or max |a - b| when b is all zeros (the bound is then absolute). Tolerances
/// are thus relative to each tensor's scale, so tiny-valued fixtures still test something. A shape
/// mismatch is infinitely wrong; NaN must meet NaN (losses that average over nothing are NaN in torch).
inline double scaled_error(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return INFINITY;
  double diff = 0, scale = 0;
  for (std::int64_t i = 0; i < b.numel(); ++i) {
    const double x = a.item(i), y = b.item(i);
    if (std::isnan(x) || std::isnan(y)) {
      if (!(std::isnan(x) && std::isnan(y))) return INFINITY;
      continue;
    }
    diff = std::max(diff, std::abs(x - y));
    scale = std::max(scale, std::abs(y));
  }
  return scale > 0 ? diff / scale : diff;
}

/// The stems in fixture_stems(dir) that start with prefix.
inline std::vector<std::string> fixture_stems(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> v;
  for (const auto& s : fixture_stems(dir))
    if (s.rfind(prefix, 0) == 0) v.push_back(s);
  return v;
}

/// One fixture of a parameterised parity test and the dtype it runs in.
struct FixtureParam {
  std::string fixture;
  DType dtype;
};

inline void PrintTo(const FixtureParam& p, std::ostream* os) {
  *os << p.fixture << (p.dtype == DType::f32 ? " float32" : " float64");
}

/// Each fixture once in float32 and once in float64.
inline std::vector<FixtureParam> in_both_dtypes(const std::vector<std::string>& fixtures) {
  std::vector<FixtureParam> v;
  for (const auto& f : fixtures) v.push_back({f, DType::f32}), v.push_back({f, DType::f64});
  return v;
}

/// The gtest name of p: the fixture without its first `skip` characters, then "_f32" or "_f64"; any
/// character that is not a letter or digit becomes '_'.
inline std::string test_name(const FixtureParam& p, std::size_t skip = 0) {
  std::string n = p.fixture.substr(skip) + (p.dtype == DType::f32 ? "_f32" : "_f64");
  std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return n;
}

/// The bounds on scaled_error: outputs 1e-5 and gradients 1e-4 in float32, both 1e-9 in float64.
struct Tolerance {
  double output, gradient;
};
inline Tolerance tolerance(DType dt) { return dt == DType::f32 ? Tolerance{1e-5, 1e-4} : Tolerance{1e-9, 1e-9}; }

/// The fixture's tensor named k, or an undefined Tensor if it has none.
inline Tensor tensor_or_none(const NamedTensors& fx, const std::string& k) {
  auto it = fx.tensors.find(k);
  return it == fx.tensors.end() ? Tensor() : it->second;
}

/// The fixture's tensors that are not data (inputs, outputs, gradients): the weights to load strictly.
inline std::map<std::string, Tensor> weights_of(const NamedTensors& fx, const std::function<bool(const std::string&)>& is_data) {
  std::map<std::string, Tensor> w;
  for (const auto& [n, t] : fx.tensors)
    if (!is_data(n)) w[n] = t;
  return w;
}

/// Every parameter of m has a gradient within `tol` (scaled_error) of the fixture's "grad.<name>". Returns
/// the worst error; `checked` (if given) receives how many parameters were compared.
inline double expect_gradients_match(const Module& m, const NamedTensors& fx, double tol, std::size_t* checked = nullptr) {
  double worst = 0;
  std::size_t n = 0;
  for (const auto& [name, p] : m.named_parameters()) {
    if (!p.grad().defined()) {
      ADD_FAILURE() << "no gradient for " << name;
      continue;
    }
    const auto it = fx.tensors.find("grad." + name);
    if (it == fx.tensors.end()) {
      ADD_FAILURE() << "the fixture has no grad." << name;
      continue;
    }
    const double e = scaled_error(p.grad(), it->second);
    EXPECT_LE(e, tol) << "grad." << name;
    worst = std::max(worst, e);
    ++n;
  }
  if (checked) *checked = n;
  return worst;
}

/// A fixture of make_model_bigru_classifier.py or make_model_last_step_classifier.py: metadata "config"
/// (M::Options JSON); tensors "input" (float, or int64 token ids), "lengths" (optional), the target named
/// `target`, "logits", "loss", "grad.<parameter>", and the weights (every other name not in `data`). In float32
/// and in float64: loads the weights strictly, checks logits, model.loss(input, target, lengths) and every
/// gradient; worst[0 float32 | 1 float64][0 output | 1 gradient] keeps the largest errors.
template <class M>
void expect_classifier_fixture_matches(const NamedTensors& nt, const std::set<std::string>& data, const std::string& target,
                                       double worst[2][2]) {
  const auto opts = M::Options::from_json(nt.metadata.at("config"));
  const auto weights = weights_of(nt, [&](const std::string& k) { return data.count(k) || k.rfind("grad.", 0) == 0; });
  const auto& t = nt.tensors;
  const Tensor lengths = t.count("lengths") ? t.at("lengths") : Tensor();
  for (DType dt : {DType::f32, DType::f64}) {
    SCOPED_TRACE(dt == DType::f32 ? "float32" : "float64");
    const Tolerance tol = tolerance(dt);
    M model(opts);
    model.to(dt);
    model.load_state_dict(weights, /*strict=*/true);
    model.eval();
    const Tensor x = t.at("input").dtype() == DType::i64 ? t.at("input") : t.at("input").to(dt);
    const int k = dt == DType::f32 ? 0 : 1;
    const double e_logits = scaled_error(model.forward(x, lengths), t.at("logits"));
    EXPECT_LT(e_logits, tol.output);
    Tensor loss = model.loss(x, t.at(target), lengths);
    const double e_loss = scaled_error(loss, t.at("loss"));
    EXPECT_LT(e_loss, tol.output);
    worst[k][0] = std::max({worst[k][0], e_logits, e_loss});
    model.zero_grad();
    loss.backward();
    std::size_t checked = 0;
    worst[k][1] = std::max(worst[k][1], expect_gradients_match(model, nt, tol.gradient, &checked));
    EXPECT_EQ(checked, weights.size());
  }
}

/// A token-classifier fixture (make_model_cnn_lstm_bigru_classifier.py, make_model_pooled_text_classifier.py):
/// tensors "input.ids", "input.lengths", "input.labels", "output.logits", "output.loss", "grad.<parameter>"
/// and the weights; metadata "dtype" ("f32" or "f64") and "full_lengths" ("1": no lengths). Loads the weights
/// into `model` (built from the fixture's options) strictly and checks logits, loss and every gradient.
template <class M>
void expect_token_classifier_matches(M& model, const NamedTensors& f, const std::string& stem) {
  const bool f64 = f.metadata.at("dtype") == "f64";
  if (f64) model.to(DType::f64);
  const auto state = weights_of(f, [](const std::string& k) {
    return k.rfind("input.", 0) == 0 || k.rfind("output.", 0) == 0 || k.rfind("grad.", 0) == 0;
  });
  model.load_state_dict(state, /*strict=*/true);
  model.eval();
  const Tensor lengths = f.metadata.at("full_lengths") == "1" ? Tensor() : f.tensors.at("input.lengths");
  const Tensor loss = model.loss(f.tensors.at("input.ids"), lengths, f.tensors.at("input.labels"));
  const Tensor logits = model.forward(f.tensors.at("input.ids"), lengths);
  const Tolerance tol = tolerance(f64 ? DType::f64 : DType::f32);
  const double fwd_err = scaled_error(logits, f.tensors.at("output.logits"));
  EXPECT_LT(fwd_err, tol.output);
  EXPECT_LT(scaled_error(reshape(loss, {1}), f.tensors.at("output.loss")), tol.output);
  loss.backward();
  std::size_t checked = 0;
  const double worst_grad = expect_gradients_match(model, f, tol.gradient, &checked);
  EXPECT_EQ(checked, state.size());
  std::printf("  %s: logits error %.2e, worst gradient error %.2e\n", stem.c_str(), fwd_err, worst_grad);
}

}  // namespace birnn::parity
