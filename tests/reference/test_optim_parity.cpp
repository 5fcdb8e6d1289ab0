// PyTorch as the oracle for the optimizers, schedules and clipping: every fixture in
// reference/optim_fixtures (made by make_optim_fixtures.py from torch.optim / torch.nn.utils, PyTorch
// 1.13) is replayed step by step. Parameters match to 1e-6 in float64 and 1e-5 in float32 (relative to
// max(1, |reference|)); learning rates to 1e-12 of the base lr; the final optimizer state has PyTorch's
// names and values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "birnn/birnn.hpp"
#include "reference/parity_util.hpp"

namespace birnn {
namespace {

using parity::scaled_error;

using nlohmann::json;

std::string fixture_dir() { return std::string(BIRNN_REFERENCE_DIR) + "/optim_fixtures"; }

NamedTensors fixture(const std::string& name) { return load_safetensors(fixture_dir() + "/" + name + ".safetensors"); }

std::vector<std::string> optimizer_fixtures() {
  std::vector<std::string> v;
  for (const auto& e : std::filesystem::directory_iterator(fixture_dir())) {
    const std::string stem = e.path().stem().string();
    if (e.path().extension() == ".safetensors" && stem != "schedules" && stem != "clip") v.push_back(stem);
  }
  std::sort(v.begin(), v.end());
  return v;
}


std::shared_ptr<LRScheduler> make_scheduler(Optimizer& opt, const json& spec) {
  const std::string type = spec.at("type");
  if (type == "StepLR") return std::make_shared<StepLR>(opt, spec.at("step_size").get<std::int64_t>(), spec.value("gamma", 0.1));
  if (type == "LinearLR")
    return std::make_shared<LinearLR>(opt, spec.value("start_factor", 1.0 / 3), spec.value("end_factor", 1.0), spec.value("total_iters", 5));
  if (type == "CosineAnnealingLR") return std::make_shared<CosineAnnealingLR>(opt, spec.at("T_max").get<std::int64_t>(), spec.value("eta_min", 0.0));
  if (type == "SequentialLR") {
    std::vector<std::shared_ptr<LRScheduler>> children;
    for (const auto& c : spec.at("schedulers")) children.push_back(make_scheduler(opt, c));
    return std::make_shared<SequentialLR>(opt, children, spec.at("milestones").get<std::vector<std::int64_t>>());
  }
  ADD_FAILURE() << "unknown schedule " << type;
  return nullptr;
}

template <class O>
O adam_options(const json& o) {
  O opts(o.at("lr").get<double>());
  if (o.contains("betas")) opts.betas(o["betas"][0], o["betas"][1]);
  if (o.contains("eps")) opts.eps(o["eps"]);
  if (o.contains("weight_decay")) opts.weight_decay(o["weight_decay"]);
  opts.amsgrad(o.value("amsgrad", false)).maximize(o.value("maximize", false));
  return opts;
}

std::unique_ptr<Optimizer> make_optimizer(const std::string& kind, const std::vector<Tensor>& params, const json& o) {
  if (kind == "SGD") {
    SGDOptions opts(o.at("lr").get<double>());
    opts.momentum(o.value("momentum", 0.0)).dampening(o.value("dampening", 0.0)).nesterov(o.value("nesterov", false))
        .weight_decay(o.value("weight_decay", 0.0)).maximize(o.value("maximize", false));
    return std::make_unique<SGD>(params, opts);
  }
  if (kind == "Adam") return std::make_unique<Adam>(params, adam_options<AdamOptions>(o));
  if (kind == "AdamW") return std::make_unique<AdamW>(params, adam_options<AdamWOptions>(o));
  ADD_FAILURE() << "unknown optimizer " << kind;
  return nullptr;
}

struct Param {
  std::string fixture;
  DType dtype;
};
void PrintTo(const Param& p, std::ostream* os) { *os << p.fixture << (p.dtype == DType::f32 ? " float32" : " float64"); }

class OptimizerParity : public ::testing::TestWithParam<Param> {};

TEST_P(OptimizerParity, ParametersMatchAfterEveryStep) {
  const auto& [name, dt] = GetParam();
  const double tol = dt == DType::f32 ? 1e-5 : 1e-6;
  const NamedTensors fx = fixture(name);
  auto get = [&](const std::string& k) {
    auto it = fx.tensors.find(k);
    return it == fx.tensors.end() ? Tensor() : it->second;
  };
  const int steps = std::stoi(fx.metadata.at("steps")), count = std::stoi(fx.metadata.at("params"));
  std::vector<Tensor> params;
  for (int i = 0; i < count; ++i) params.push_back(get("param." + std::to_string(i) + ".init").to(dt).set_requires_grad(true));
  auto opt = make_optimizer(fx.metadata.at("optimizer"), params, json::parse(fx.metadata.at("options")));
  std::shared_ptr<LRScheduler> sched;
  if (!fx.metadata.at("schedule").empty()) sched = make_scheduler(*opt, json::parse(fx.metadata.at("schedule")));
  const Tensor lr_used = get("lr_used");

  for (int s = 0; s < steps; ++s) {
    for (int i = 0; i < count; ++i) {
      const Tensor g = get("grad." + std::to_string(s) + "." + std::to_string(i));
      if (g.defined()) params[i].set_grad(g.to(dt));
      else params[i].zero_grad();  // PyTorch's None: the parameter is skipped this step
    }
    EXPECT_NEAR(opt->learning_rate(), lr_used.item(s), 1e-12 * lr_used.item(0)) << "lr at step " << s;
    opt->step();
    if (sched) sched->step();
    for (int i = 0; i < count; ++i)
      EXPECT_LE(scaled_error(params[i], get("param." + std::to_string(i) + ".after" + std::to_string(s))), tol)
          << "parameter " << i << " after step " << s;
  }

  // The final state, under PyTorch's names: the same entries and values.
  const OptimizerState st = opt->state();
  std::size_t expected = 0;
  for (const auto& [key, ref] : fx.tensors) {
    if (key.rfind("state.", 0) != 0) continue;
    ++expected;
    if (key.size() > 5 && key.compare(key.size() - 5, 5, ".step") == 0) {
      ASSERT_TRUE(st.scalars.count(key)) << key;
      EXPECT_EQ(st.scalars.at(key), ref.item()) << key;
    } else {
      ASSERT_TRUE(st.tensors.count(key)) << key;
      EXPECT_LE(scaled_error(st.tensors.at(key), ref), tol) << key;
    }
  }
  std::size_t have = st.tensors.size();
  for (const auto& [key, v] : st.scalars) have += key.rfind("state.", 0) == 0;
  EXPECT_EQ(have, expected) << "state entries beyond PyTorch's";
}

std::vector<Param> all_params() {
  std::vector<Param> v;
  for (const auto& f : optimizer_fixtures())
    for (DType d : {DType::f64, DType::f32}) v.push_back({f, d});
  return v;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, OptimizerParity, ::testing::ValuesIn(all_params()), [](const auto& info) {
  return info.param.fixture + (info.param.dtype == DType::f32 ? "_f32" : "_f64");
});

TEST(OptimFixtures, AllPresent) { EXPECT_EQ(optimizer_fixtures().size(), 14u); }

TEST(ScheduleParity, LearningRatesMatchStepByStep) {
  const NamedTensors fx = fixture("schedules");
  const json specs = json::parse(fx.metadata.at("schedules"));
  EXPECT_EQ(specs.size(), 10u);
  for (const auto& [name, spec] : specs.items()) {
    SCOPED_TRACE(name);
    Tensor p = Tensor::zeros({1}, DType::f64).set_requires_grad(true);
    SGD opt({p}, spec.at("base_lr").get<double>());
    auto sched = make_scheduler(opt, spec.at("schedule"));
    const Tensor ref = fx.tensors.at("lr." + name);
    const std::int64_t steps = spec.at("steps");
    ASSERT_EQ(ref.numel(), steps + 1);
    const double tol = 1e-12 * spec.at("base_lr").get<double>();
    EXPECT_NEAR(opt.learning_rate(), ref.item(0), tol) << "after construction";
    for (std::int64_t s = 1; s <= steps; ++s) {
      sched->step();
      EXPECT_NEAR(opt.learning_rate(), ref.item(s), tol) << "after step " << s;
      EXPECT_EQ(sched->last_lr(), opt.learning_rate());
    }
  }
}

TEST(ClipParity, NormAndValueMatch) {
  const NamedTensors fx = fixture("clip");
  const json cases = json::parse(fx.metadata.at("cases"));
  EXPECT_EQ(cases.size(), 6u);
  for (DType dt : {DType::f64, DType::f32}) {
    const double tol = dt == DType::f32 ? 1e-6 : 1e-12;
    for (const auto& [name, c] : cases.items()) {
      SCOPED_TRACE(name + (dt == DType::f32 ? " float32" : " float64"));
      std::vector<Tensor> params;
      for (int i = 0; fx.tensors.count("clip." + name + ".grad." + std::to_string(i)); ++i) {
        const Tensor g = fx.tensors.at("clip." + name + ".grad." + std::to_string(i)).to(dt);
        params.push_back(Tensor::zeros(g.shape(), dt).set_requires_grad(true));
        params.back().set_grad(g.clone());
      }
      ASSERT_EQ(params.size(), 3u);
      if (c.at("kind") == "norm") {
        const double norm_type = c.at("norm_type").is_string() ? INFINITY : c.at("norm_type").get<double>();
        const double total = clip_grad_norm(params, c.at("max_norm").get<double>(), norm_type);
        EXPECT_NEAR(total, fx.tensors.at("clip." + name + ".total_norm").item(), tol * std::max(1.0, total));
      } else {
        clip_grad_value(params, c.at("clip_value").get<double>());
      }
      for (std::size_t i = 0; i < params.size(); ++i)
        EXPECT_LE(scaled_error(params[i].grad(), fx.tensors.at("clip." + name + ".out." + std::to_string(i))), tol) << i;
    }
  }
}

}  // namespace
}  // namespace birnn
