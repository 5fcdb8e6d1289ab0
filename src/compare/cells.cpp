#include "birnn/compare/cells.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "birnn/error.hpp"
#include "birnn/ops.hpp"

namespace birnn::compare {

namespace {
const char* base_id(CellKind c) {
  switch (c) {
    case CellKind::rnn_tanh: return "rnn";
    case CellKind::lstm: return "lstm";
    case CellKind::gru: return "gru";
    default: return "?";
  }
}
const char* base_label(CellKind c) {
  switch (c) {
    case CellKind::rnn_tanh: return "RNN";
    case CellKind::lstm: return "LSTM";
    case CellKind::gru: return "GRU";
    default: return "?";
  }
}
}  // namespace

std::string CellVariant::id() const { return std::string(bidirectional ? "bi" : "") + base_id(cell); }
std::string CellVariant::label() const { return std::string(bidirectional ? "Bi" : "") + base_label(cell); }

std::vector<CellVariant> all_cell_variants() {
  std::vector<CellVariant> v;
  for (bool bi : {false, true})
    for (CellKind c : {CellKind::rnn_tanh, CellKind::lstm, CellKind::gru}) v.push_back(CellVariant{c, bi});
  return v;
}

CellVariant parse_cell_variant(const std::string& name) {
  std::string n = name;
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  for (const auto& v : all_cell_variants())
    if (v.id() == n) return v;
  throw OptionError("unknown cell \"" + name + "\" (expected rnn, lstm, gru, birnn, bilstm or bigru)");
}

std::vector<CellVariant> parse_cell_variants(const std::string& list) {
  std::vector<CellVariant> out;
  std::set<std::string> seen;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = list.find(',', start);
    const std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty()) throw OptionError("empty cell name in \"" + list + "\" (expected e.g. rnn,lstm,gru)");
    const CellVariant v = parse_cell_variant(item);
    if (!seen.insert(v.id()).second) throw OptionError("cell \"" + item + "\" listed twice in \"" + list + "\"");
    out.push_back(v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

CellModel::CellModel(const CellVariant& variant, std::int64_t input_size, std::int64_t hidden_size, std::int64_t output_size)
    : variant_(variant) {
  switch (variant.cell) {
    case CellKind::rnn_tanh:
      rnn_ = std::make_shared<RNN>(RNNOptions(input_size, hidden_size).bidirectional(variant.bidirectional));
      break;
    case CellKind::lstm:
      rnn_ = std::make_shared<LSTM>(LSTMOptions(input_size, hidden_size).bidirectional(variant.bidirectional));
      break;
    case CellKind::gru:
      rnn_ = std::make_shared<GRU>(GRUOptions(input_size, hidden_size).bidirectional(variant.bidirectional));
      break;
    default: throw OptionError(std::string("compare: unsupported cell ") + cell_name(variant.cell));
  }
  head_ = std::make_shared<Linear>(LinearOptions(variant.directions() * hidden_size, output_size));
  register_module("rnn", rnn_);
  register_module("head", head_);
}

Tensor CellModel::forward(const Tensor& x) {
  const RecurrentOutput out = rnn_->forward(x);
  const std::int64_t D = variant_.directions(), B = out.h_n.size(1), H = out.h_n.size(2);
  Tensor feats = reshape(narrow(out.h_n, 0, 0, 1), {B, H});
  if (D == 2) feats = cat({feats, reshape(narrow(out.h_n, 0, 1, 1), {B, H})}, 1);
  return head_->forward(feats);
}

std::unique_ptr<CellModel> make_cell_model(const CellVariant& v, std::int64_t input_size, std::int64_t hidden_size,
                                           std::int64_t output_size) {
  return std::make_unique<CellModel>(v, input_size, hidden_size, output_size);
}

}  // namespace birnn::compare
