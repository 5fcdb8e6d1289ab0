#include "birnn/models/last_step_classifier.hpp"

#include <algorithm>
#include <array>

#include "birnn/autograd.hpp"
#include "birnn/loss.hpp"
#include "birnn/ops.hpp"
#include "models/json_options.hpp"

namespace birnn {
namespace {

const char* const kWho = "LastStepClassifier";

CellKind cell_from_name(const std::string& name, const std::string& who) {
  constexpr std::array<CellKind, 5> all{CellKind::rnn_tanh, CellKind::rnn_relu, CellKind::lstm, CellKind::gru,
                                        CellKind::gru_reset_before};
  for (CellKind c : all)
    if (name == cell_name(c)) return c;
  throw OptionError(who + ": cell must be \"rnn_tanh\", \"rnn_relu\", \"lstm\", \"gru\" or \"gru_reset_before\", got \"" +
                    name + "\"");
}

// x must be (B, T, input_size) floating; the rnn checks dtype and lengths.
void check_input(const Tensor& x, std::int64_t input_size) {
  if (!x.defined() || x.dim() != 3)
    throw ShapeError(std::string(kWho) + ": x must be (B, T, " + std::to_string(input_size) + "), got " +
                     (x.defined() ? shape_str(x.shape()) : "none"));
  if (x.dtype() == DType::i64) throw ShapeError(std::string(kWho) + ": x must be float32 or float64, got int64");
  if (x.size(2) != input_size)
    throw ShapeError(std::string(kWho) + ": x has " + std::to_string(x.size(2)) + " features per step, input_size is " +
                     std::to_string(input_size));
}

}  // namespace

void LastStepClassifierOptions::validate() const {
  auto fail = [](const std::string& field, const std::string& rule, const std::string& got) {
    throw OptionError(std::string(kWho) + ": " + field + " must be " + rule + ", got " + got);
  };
  if (input_size_ < 1) fail("input_size", ">= 1", std::to_string(input_size_));
  if (hidden_size_ < 1) fail("hidden_size", ">= 1", std::to_string(hidden_size_));
  if (num_layers_ < 1) fail("num_layers", ">= 1", std::to_string(num_layers_));
  if (!(dropout_ >= 0.0 && dropout_ < 1.0)) fail("dropout", "in [0, 1)", std::to_string(dropout_));
  if (num_classes_ < 2) fail("num_classes", ">= 2", std::to_string(num_classes_));
  if (proj_size_ < 0) fail("proj_size", ">= 0", std::to_string(proj_size_));
  if (proj_size_ > 0 && cell_ != CellKind::lstm)
    fail("proj_size", "0 unless cell is lstm", std::to_string(proj_size_) + " with cell " + cell_name(cell_));
  if (proj_size_ > 0 && proj_size_ >= hidden_size_)
    fail("proj_size", "smaller than hidden_size (" + std::to_string(hidden_size_) + ")", std::to_string(proj_size_));
  recurrent_config().validate();  // the layer's own limits (sizes)
}

RecurrentConfig LastStepClassifierOptions::recurrent_config() const {
  RecurrentConfig c;
  c.cell = cell_;
  c.input_size = input_size_;
  c.hidden_size = hidden_size_;
  c.num_layers = num_layers_;
  c.proj_size = proj_size_;
  c.bidirectional = bidirectional_;
  c.dropout = dropout_;
  c.batch_first = true;
  return c;
}

std::string LastStepClassifierOptions::to_json() const {
  nlohmann::json j;
  j["cell"] = cell_name(cell_);
  j["input_size"] = input_size_;
  j["hidden_size"] = hidden_size_;
  j["num_layers"] = num_layers_;
  j["bidirectional"] = bidirectional_;
  j["dropout"] = dropout_;
  j["num_classes"] = num_classes_;
  j["proj_size"] = proj_size_;
  return j.dump();
}

LastStepClassifierOptions LastStepClassifierOptions::from_json(const std::string& json) {
  namespace mj = models_json;
  const std::string what = kWho;
  const auto j = mj::parse_object(json, what);
  LastStepClassifierOptions o(mj::get_required<std::int64_t>(j, "input_size", what),
                              mj::get_required<std::int64_t>(j, "hidden_size", what),
                              mj::get_required<std::int64_t>(j, "num_classes", what));
  o.cell(cell_from_name(mj::get_required<std::string>(j, "cell", what), what))
      .num_layers(mj::get_or<std::int64_t>(j, "num_layers", 1, what))
      .bidirectional(mj::get_or<bool>(j, "bidirectional", false, what))
      .dropout(mj::get_or<double>(j, "dropout", 0.0, what))
      .proj_size(mj::get_or<std::int64_t>(j, "proj_size", 0, what));
  o.validate();
  return o;
}

LastStepClassifier::LastStepClassifier(const Options& options) : options_(options) {
  options_.validate();
  rnn_ = std::make_shared<RecurrentBase>(options_.recurrent_config());
  const RecurrentConfig& c = rnn_->config();
  fc_ = std::make_shared<Linear>(LinearOptions(c.num_directions() * c.output_size(), options_.num_classes()));
  register_module("rnn", rnn_);
  register_module("fc", fc_);
}

Tensor LastStepClassifier::features(const Tensor& x, const Tensor& lengths) {
  check_input(x, options_.input_size());
  const RecurrentConfig& c = rnn_->config();
  const std::int64_t D = c.num_directions(), B = x.size(0), H = c.output_size();
  const Tensor h_n = rnn_->forward(x, lengths).h_n;  // (L*D, B, H)
  const std::int64_t last = (c.num_layers - 1) * D;
  if (D == 1) return reshape(narrow(h_n, 0, last, 1), {B, H});
  // (1, B, H) ++ (1, B, H) along features -> (B, 2H): forward final state first, as torch.cat([h_n[-2], h_n[-1]], 1).
  return reshape(cat({narrow(h_n, 0, last, 1), narrow(h_n, 0, last + 1, 1)}, 2), {B, 2 * H});
}

Tensor LastStepClassifier::forward(const Tensor& x, const Tensor& lengths) { return fc_->forward(features(x, lengths)); }

Tensor LastStepClassifier::predict(const Tensor& x, const Tensor& lengths) {
  NoGradGuard ng;
  const Tensor logits = forward(x, lengths);
  const std::int64_t B = logits.size(0), C = logits.size(1);
  const std::vector<double> v = logits.to_double_vector();
  std::vector<std::int64_t> out(static_cast<std::size_t>(B));
  for (std::int64_t b = 0; b < B; ++b) {
    const auto row = v.begin() + b * C;
    out[static_cast<std::size_t>(b)] = std::max_element(row, row + C) - row;
  }
  return Tensor::from_vector(out, {B});
}

namespace {
void check_labels(const Tensor& labels, std::int64_t B, std::int64_t C) {
  if (!labels.defined()) throw ShapeError(std::string(kWho) + ": labels are missing");
  check_dtype(labels, DType::i64, std::string(kWho) + " labels");
  check_shape(labels, {B}, std::string(kWho) + " labels (one per batch item)");
  const auto* y = labels.data<std::int64_t>();
  for (std::int64_t b = 0; b < B; ++b)
    if (y[b] < 0 || y[b] >= C)
      throw ShapeError(std::string(kWho) + ": labels[" + std::to_string(b) + "] = " + std::to_string(y[b]) +
                       " is not a class id in 0.." + std::to_string(C - 1));
}
}  // namespace

Tensor LastStepClassifier::loss(const Tensor& x, const Tensor& labels, const Tensor& lengths) {
  check_input(x, options_.input_size());
  check_labels(labels, x.size(0), options_.num_classes());
  return cross_entropy(forward(x, lengths), labels);
}

double LastStepClassifier::accuracy(const Tensor& x, const Tensor& labels, const Tensor& lengths) {
  check_input(x, options_.input_size());
  check_labels(labels, x.size(0), options_.num_classes());
  const Tensor pred = predict(x, lengths);
  std::int64_t right = 0;
  for (std::int64_t b = 0; b < pred.numel(); ++b) right += pred.data<std::int64_t>()[b] == labels.data<std::int64_t>()[b];
  return static_cast<double>(right) / static_cast<double>(pred.numel());
}

}  // namespace birnn
