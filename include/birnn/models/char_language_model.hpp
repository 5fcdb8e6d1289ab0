// CharLanguageModel: a character-level language model (Karpathy's char-rnn), ready to train and sample.
//
//   ids (B, T) int64 in [0, V), 0 = padding
//     -> x = embedding(ids) (B, T, E)          or one_hot(true): x = one_hot(ids) (B, T, V)
//     -> rnn: LSTM or GRU, num_layers, batch_first, dropout between layers (training only)
//     -> dropout (training only) -> fc: Linear(D*H, V) -> logits (B, T, V)
//   p(next char = v | ids[:, :t+1]) = softmax(logits[:, t, :])[v]
//
//   CharLanguageModel lm(CharLanguageModelOptions(V).hidden_size(512).num_layers(2));
//   Tensor l = lm.loss(ids);                           // next-char cross-entropy: inputs ids[:, :-1], targets ids[:, 1:]
//   double bpc = lm.bits_per_char(ids);                // loss / ln 2, no gradient recorded
//
//   // truncated BPTT over a long text: chunk k's inputs text[kT, (k+1)T), targets shifted by one;
//   RecurrentState s;                                   // empty = zeros; forward() leaves the final (h, c), detached
//   Tensor l = lm.loss(inputs, targets, Tensor(), &s);
//
//   GenerateResult g = lm.generate(prompt, 200, GenerateOptions().temperature(0.8).seed(1));
//
// Generation streams with RecurrentBase::step(): each new character costs one step, and the distribution
// it is drawn from equals softmax(forward(prompt + generated)[last] / temperature) (tested).
//
// bidirectional(true) is accepted (the seed code builds models that way) but is NOT a language model: the
// backward direction reads the characters to be predicted, so its "loss" is not a language-model loss
// (it falls far below a unidirectional model's by cheating) and generation is meaningless. warnings()
// says so (also printed once to std::cerr at construction) and generate() refuses with OptionError.
//
// PyTorch counterpart (tests/reference/make_model_char_language_model.py): attributes `embedding`
// (nn.Embedding(V, E, padding_idx=0); absent with one_hot), `rnn` (nn.LSTM/nn.GRU, batch_first=True),
// `fc` (nn.Linear); state_dict keys are identical.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "birnn/layers.hpp"
#include "birnn/linear.hpp"
#include "birnn/models/model.hpp"
#include "birnn/rnn.hpp"

namespace birnn {

class CharLanguageModelOptions {
 public:
  explicit CharLanguageModelOptions(std::int64_t vocab_size) : vocab_size_(vocab_size) {}
  /// Number of character ids V (id 0 is padding), >= 2.
  CharLanguageModelOptions& vocab_size(std::int64_t v) { vocab_size_ = v; return *this; }
  /// Width E of the character embedding (ignored with one_hot).
  CharLanguageModelOptions& embedding_dim(std::int64_t v) { embedding_dim_ = v; return *this; }
  /// Feed one-hot vectors (input size V) instead of a learned embedding; the model then has no `embedding`.
  CharLanguageModelOptions& one_hot(bool v) { one_hot_ = v; return *this; }
  /// Recurrent cell: "lstm" or "gru".
  CharLanguageModelOptions& cell(const std::string& v) { cell_ = v; return *this; }
  /// Hidden size H of each recurrent layer (per direction).
  CharLanguageModelOptions& hidden_size(std::int64_t v) { hidden_size_ = v; return *this; }
  /// Stacked recurrent layers.
  CharLanguageModelOptions& num_layers(std::int64_t v) { num_layers_ = v; return *this; }
  /// Dropout in [0, 1) between recurrent layers and before fc, training mode only.
  CharLanguageModelOptions& dropout(double v) { dropout_ = v; return *this; }
  /// Both directions (not a language model: see warnings()).
  CharLanguageModelOptions& bidirectional(bool v) { bidirectional_ = v; return *this; }

  std::int64_t vocab_size() const { return vocab_size_; }
  std::int64_t embedding_dim() const { return embedding_dim_; }
  bool one_hot() const { return one_hot_; }
  const std::string& cell() const { return cell_; }
  std::int64_t hidden_size() const { return hidden_size_; }
  std::int64_t num_layers() const { return num_layers_; }
  double dropout() const { return dropout_; }
  bool bidirectional() const { return bidirectional_; }

  /// Throws OptionError naming the field and its value.
  void validate() const;
  std::string to_json() const;
  /// Bad JSON, a missing vocab_size / cell / hidden_size or a field of the wrong type: OptionError.
  static CharLanguageModelOptions from_json(const std::string& json);

 private:
  std::int64_t vocab_size_;
  std::int64_t embedding_dim_ = 64;
  bool one_hot_ = false;
  std::string cell_ = "lstm";
  std::int64_t hidden_size_ = 256;
  std::int64_t num_layers_ = 1;
  double dropout_ = 0.0;
  bool bidirectional_ = false;
};

/// How generate() picks each character.
class GenerateOptions {
 public:
  /// Logits are divided by it before the softmax; > 0 unless greedy (T -> 0 approaches greedy).
  GenerateOptions& temperature(double v) { temperature_ = v; return *this; }
  /// Take the most likely character (argmax, lowest id on ties) instead of sampling.
  GenerateOptions& greedy(bool v) { greedy_ = v; return *this; }
  /// Draw from a private generator seeded with this; unset: draw from birnn::generator().
  GenerateOptions& seed(std::uint64_t v) { seed_ = v; return *this; }
  /// Also return each step's distribution (n x V values; softmax(logits / T), T = 1 when greedy).
  GenerateOptions& keep_probabilities(bool v) { keep_probabilities_ = v; return *this; }

  double temperature() const { return temperature_; }
  bool greedy() const { return greedy_; }
  std::optional<std::uint64_t> seed() const { return seed_; }
  bool keep_probabilities() const { return keep_probabilities_; }

 private:
  double temperature_ = 1.0;
  bool greedy_ = false;
  std::optional<std::uint64_t> seed_;
  bool keep_probabilities_ = false;
};

struct GenerateResult {
  std::vector<std::int64_t> ids;                   ///< the n new ids (the prompt is not repeated)
  std::vector<std::vector<double>> probabilities;  ///< with keep_probabilities: softmax(logits / T) before each pick
};

class CharLanguageModel : public Model {
 public:
  using Options = CharLanguageModelOptions;
  static constexpr const char* kModelType = "char_language_model";

  /// Validates the options; a bidirectional model records (and prints once) its warning.
  explicit CharLanguageModel(const Options& options);
  std::string model_type() const override { return kModelType; }
  std::string config_json() const override { return options_.to_json(); }
  const Options& options() const { return options_; }
  /// Text the CLI should show the user (empty unless bidirectional).
  const std::vector<std::string>& warnings() const { return warnings_; }

  /// ids (B, T) int64 in [0, V); lengths int64 (B) in 1..T or undefined (all T) -> logits (B, T, V)
  /// (fc's bias at padded steps). state: if not null, its h (L*D, B, H) [and c for LSTM] start the
  /// recurrence (undefined = zeros) and are replaced by the final h_n [, c_n], detached, so the next
  /// chunk continues where this one stopped without backpropagating into it (truncated BPTT).
  Tensor forward(const Tensor& ids, const Tensor& lengths = Tensor(), RecurrentState* state = nullptr);

  /// Mean next-character cross-entropy (nats) of ids (B, T), T >= 2: inputs ids[:, :-1], targets
  /// ids[:, 1:]; with lengths (each 2..T) item b predicts its chars 1..lengths[b]-1. One
  /// sequence_cross_entropy over every step.
  Tensor loss(const Tensor& ids, const Tensor& lengths = Tensor());
  /// The same with inputs (B, T) and targets (B, T) given separately (targets[b, t] follows
  /// inputs[b, t]): what truncated BPTT over consecutive chunks uses, with the state carried as forward().
  Tensor loss(const Tensor& inputs, const Tensor& targets, const Tensor& lengths, RecurrentState* state = nullptr);
  /// loss(ids, lengths) / ln 2, computed without recording gradients.
  double bits_per_char(const Tensor& ids, const Tensor& lengths = Tensor());

  /// Feeds prompt (ids in [1, V), at least one) through step() and then produces n ids, one step each.
  /// Runs without gradients and without dropout (the training mode is restored after). Temperature <= 0
  /// without greedy, or a bidirectional model, throws OptionError.
  GenerateResult generate(const std::vector<std::int64_t>& prompt, std::int64_t n, const GenerateOptions& options = {});

 private:
  Tensor inputs_of(const Tensor& ids);  // (B, T, E) or (B, T, V)
  Options options_;
  std::vector<std::string> warnings_;
  std::shared_ptr<Embedding> embedding_;
  std::shared_ptr<RecurrentBase> rnn_;
  std::shared_ptr<Linear> fc_;
};

}  // namespace birnn
