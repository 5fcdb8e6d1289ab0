// BiLSTM-CNN-CRF sequence tagger (Ma & Hovy 2016, "End-to-end Sequence Labeling via Bi-directional
// LSTM-CNNs-CRF"): word embeddings + a character CNN per word, a BiLSTM over the sentence, a linear layer
// giving tag scores (emissions) and a linear-chain CRF over them. For POS tagging, chunking, NER.
//
//   BiLSTMCNNCRFTagger model(BiLSTMCNNCRFTaggerOptions(word_vocab, char_vocab, num_tags).hidden(200));
//   Adam opt(model.parameters(), 1e-3);
//   Tensor loss = model.loss(words, chars, lengths, tags);      // CRF NLL (or masked cross-entropy)
//   opt.zero_grad(); loss.backward(); opt.step();
//   model.eval();
//   auto paths = model.decode(words, chars, lengths);            // paths[b]: lengths[b] tag ids (Viterbi)
//
// Inputs (batch-first):
//   words         int64 (B, T): word ids in [0, word_vocab); 0 = padding, 1 = unknown word (a convention
//                 of the vocabulary: the model treats 1 like any other id, but data readers map
//                 out-of-vocabulary words to it, so its row learns an "unknown word" vector).
//   chars         int64 (B, T, C): the characters of word (b, t), left-aligned, ids in [0, char_vocab);
//                 0 = padding (also 1 = unknown character by the same convention). Undefined is allowed
//                 when use_char_cnn is false. Only the characters of real words are read.
//   lengths       int64 (B): words per sentence, each in 1..T, or undefined (all T).
//   char_lengths  int64 (B, T), optional: characters of each word, in 1..C for real words (padded words
//                 are ignored). Undefined: one past the last nonzero char id of the word (a real word
//                 without any nonzero char id is a ShapeError).
//   tags          int64 (B, T): tag ids in [0, num_tags) at real words (padding may hold anything).
//
// Equations, for word t of a sentence (k = char_kernel, p = k / 2, D_c = char_dim, F = char_filters):
//   e_t   = word_embedding[w_t]                                                  (word_dim)
//   z_t,j = char_conv.bias + sum_{i<k} char_conv.weight[:, :, i] char_embedding[c_t,j+i-p]   (F), j < len_t
//           (positions outside 0..C-1 read zeros, as Conv1d(D_c, F, k, padding p))
//   r_t   = act(max_{j < len_t} z_t,j)      act = tanh (Ma & Hovy's code), relu or none     (F)
//   x_t   = dropout([e_t ; r_t])                                                  (word_dim + F)
//   h_t   = dropout(BiLSTM(x)_t)            num_layers layers, hidden per direction   (D * hidden)
//   s_t   = fc(h_t)                         emissions                              (num_tags)
//   use_crf: loss = CRF NLL of the gold tags (crf.hpp), decode = Viterbi
//   else:    loss = cross-entropy of softmax(s_t) over real words, decode = argmax_k s_t,k
// The recurrent layer is a BiLSTM by default; options cell ("rnn" = tanh RNN, "lstm", "gru") and
// bidirectional (D = 2, default; false: D = 1, left to right only) swap it for the other forms with the
// rest of the model unchanged, which is what `birnn compare pos` measures. The class keeps its name.
// act is monotone, so act(max z) = max act(z): it is applied after the pooling (F values a word, not C*F).
// Padding never changes a real word's output: padded words are skipped by the BiLSTM (variable lengths)
// and by the character CNN, which runs once per batch on the real words only, as one GEMM over
// (real words * chars, k * D_c) rows (no per-word work in autograd).
//
// Loss reduction (option loss_reduction): "token_mean" (default: sum over sentences / number of real
// words, so the learning rate does not depend on sentence length), "mean" (sum / B, pytorch-crf's
// "mean"), or "sum". The same for the CRF NLL and the cross-entropy.
//
// Parameter names (PyTorch attribute names of the reference model, tests/reference/make_model_
// bilstm_cnn_crf_tagger.py): word_embedding.weight, char_embedding.weight, char_conv.{weight,bias},
// lstm.{weight_ih_l0,...} (torch.nn.LSTM names, _reverse for the backward direction; the submodule is
// named after the cell: gru.* for cell "gru", rnn.* for "rnn"), fc.{weight,bias},
// crf.{start_transitions,end_transitions,transitions} (pytorch-crf's names). char_* exist only with
// use_char_cnn, crf.* only with use_crf.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "birnn/crf.hpp"
#include "birnn/layers.hpp"
#include "birnn/linear.hpp"
#include "birnn/models/model.hpp"
#include "birnn/rnn.hpp"

namespace birnn {

class BiLSTMCNNCRFTaggerOptions {
 public:
  BiLSTMCNNCRFTaggerOptions(std::int64_t word_vocab, std::int64_t char_vocab, std::int64_t num_tags)
      : word_vocab_(word_vocab), char_vocab_(char_vocab), num_tags_(num_tags) {}
  /// Rows of word_embedding, including 0 (padding) and 1 (unknown word).
  BiLSTMCNNCRFTaggerOptions& word_vocab(std::int64_t v) { word_vocab_ = v; return *this; }
  /// Rows of char_embedding, including 0 (padding); unused when use_char_cnn is false.
  BiLSTMCNNCRFTaggerOptions& char_vocab(std::int64_t v) { char_vocab_ = v; return *this; }
  /// Number of tags K (emissions are (B, T, K)).
  BiLSTMCNNCRFTaggerOptions& num_tags(std::int64_t v) { num_tags_ = v; return *this; }
  /// Word embedding size (Ma & Hovy: 100, GloVe).
  BiLSTMCNNCRFTaggerOptions& word_dim(std::int64_t v) { word_dim_ = v; return *this; }
  /// Character embedding size (Ma & Hovy: 30).
  BiLSTMCNNCRFTaggerOptions& char_dim(std::int64_t v) { char_dim_ = v; return *this; }
  /// Character CNN filters = character features per word (Ma & Hovy: 30).
  BiLSTMCNNCRFTaggerOptions& char_filters(std::int64_t v) { char_filters_ = v; return *this; }
  /// Character CNN window, odd (padding char_kernel / 2 keeps one output per character; Ma & Hovy: 3).
  BiLSTMCNNCRFTaggerOptions& char_kernel(std::int64_t v) { char_kernel_ = v; return *this; }
  /// Activation of the character features: "tanh" (default, as Ma & Hovy's code), "relu" or "none".
  BiLSTMCNNCRFTaggerOptions& char_activation(const std::string& v) { char_activation_ = v; return *this; }
  /// Recurrent cell: "lstm" (default), "gru" (PyTorch's form) or "rnn" (tanh); names the submodule.
  BiLSTMCNNCRFTaggerOptions& cell(const std::string& v) { cell_ = v; return *this; }
  /// Both directions (default, the BiLSTM) or left to right only.
  BiLSTMCNNCRFTaggerOptions& bidirectional(bool v) { bidirectional_ = v; return *this; }
  /// Recurrent hidden size per direction (Ma & Hovy: 200).
  BiLSTMCNNCRFTaggerOptions& hidden(std::int64_t v) { hidden_ = v; return *this; }
  /// Stacked BiLSTM layers.
  BiLSTMCNNCRFTaggerOptions& num_layers(std::int64_t v) { num_layers_ = v; return *this; }
  /// Dropout on the BiLSTM input, between BiLSTM layers and on its output, training only (Ma & Hovy: 0.5).
  BiLSTMCNNCRFTaggerOptions& dropout(double v) { dropout_ = v; return *this; }
  /// Whether to use the character CNN (false: word embeddings only, chars may be undefined).
  BiLSTMCNNCRFTaggerOptions& use_char_cnn(bool v) { use_char_cnn_ = v; return *this; }
  /// Whether to put a CRF on the emissions (false: per-word softmax and cross-entropy, argmax decoding).
  BiLSTMCNNCRFTaggerOptions& use_crf(bool v) { use_crf_ = v; return *this; }
  /// Forbidden transitions / start / end tags of the CRF (e.g. CRFConstraints::bio(names)); use_crf only.
  BiLSTMCNNCRFTaggerOptions& crf_constraints(CRFConstraints v) { crf_constraints_ = std::move(v); return *this; }
  /// "token_mean" (default), "mean" (over sentences) or "sum"; see the header comment.
  BiLSTMCNNCRFTaggerOptions& loss_reduction(const std::string& v) { loss_reduction_ = v; return *this; }
  /// Keep word_embedding fixed (e.g. pretrained vectors loaded with set_word_vectors()).
  BiLSTMCNNCRFTaggerOptions& freeze_word_embedding(bool v) { freeze_word_embedding_ = v; return *this; }

  std::int64_t word_vocab() const { return word_vocab_; }
  std::int64_t char_vocab() const { return char_vocab_; }
  std::int64_t num_tags() const { return num_tags_; }
  std::int64_t word_dim() const { return word_dim_; }
  std::int64_t char_dim() const { return char_dim_; }
  std::int64_t char_filters() const { return char_filters_; }
  std::int64_t char_kernel() const { return char_kernel_; }
  const std::string& char_activation() const { return char_activation_; }
  const std::string& cell() const { return cell_; }
  bool bidirectional() const { return bidirectional_; }
  std::int64_t directions() const { return bidirectional_ ? 2 : 1; }
  std::int64_t hidden() const { return hidden_; }
  std::int64_t num_layers() const { return num_layers_; }
  double dropout() const { return dropout_; }
  bool use_char_cnn() const { return use_char_cnn_; }
  bool use_crf() const { return use_crf_; }
  const CRFConstraints& crf_constraints() const { return crf_constraints_; }
  const std::string& loss_reduction() const { return loss_reduction_; }
  bool freeze_word_embedding() const { return freeze_word_embedding_; }

  /// Throws OptionError naming the first bad field and its value.
  void validate() const;
  std::string to_json() const;
  /// Missing optional fields take the defaults; word_vocab, char_vocab, num_tags are required.
  static BiLSTMCNNCRFTaggerOptions from_json(const std::string& text);

 private:
  std::int64_t word_vocab_, char_vocab_, num_tags_;
  std::int64_t word_dim_ = 100, char_dim_ = 30, char_filters_ = 30, char_kernel_ = 3;
  std::string char_activation_ = "tanh";
  std::string cell_ = "lstm";
  bool bidirectional_ = true;
  std::int64_t hidden_ = 200, num_layers_ = 1;
  double dropout_ = 0.5;
  bool use_char_cnn_ = true, use_crf_ = true;
  CRFConstraints crf_constraints_;
  std::string loss_reduction_ = "token_mean";
  bool freeze_word_embedding_ = false;
};

class BiLSTMCNNCRFTagger : public Model {
 public:
  using Options = BiLSTMCNNCRFTaggerOptions;
  static constexpr const char* kModelType = "bilstm_cnn_crf_tagger";

  explicit BiLSTMCNNCRFTagger(const Options& options);

  std::string model_type() const override { return kModelType; }
  std::string config_json() const override { return options_.to_json(); }
  const Options& options() const { return options_; }

  /// Copies pretrained vectors (word_vocab, word_dim), float32 or float64, into word_embedding, all rows
  /// including padding (Embedding::from_pretrained semantics); frozen if options().freeze_word_embedding().
  void set_word_vectors(const Tensor& vectors);

  /// Character features of every word: (B, T, char_filters), zero at padded words. use_char_cnn only.
  Tensor char_features(const Tensor& words, const Tensor& chars, const Tensor& lengths = Tensor(),
                       const Tensor& char_lengths = Tensor()) const;
  /// Tag scores (B, T, num_tags); at padded words they are fc's bias (the recurrent layer outputs zeros there).
  Tensor emissions(const Tensor& words, const Tensor& chars, const Tensor& lengths = Tensor(),
                   const Tensor& char_lengths = Tensor()) const;
  /// Scalar loss of the gold tags (B, T): CRF NLL, or cross-entropy without CRF; reduced by loss_reduction.
  Tensor loss(const Tensor& words, const Tensor& chars, const Tensor& lengths, const Tensor& tags,
              const Tensor& char_lengths = Tensor()) const;
  /// Loss from emissions already computed (e.g. to report the loss and decode from one forward pass).
  Tensor loss_from_emissions(const Tensor& emissions, const Tensor& lengths, const Tensor& tags) const;
  /// Best tag path of every sentence (paths[b] has lengths[b] ids): Viterbi with the CRF, else argmax.
  /// Records no autograd graph. Call eval() first for deterministic results.
  std::vector<std::vector<std::int64_t>> decode(const Tensor& words, const Tensor& chars, const Tensor& lengths = Tensor(),
                                                const Tensor& char_lengths = Tensor()) const;
  std::vector<std::vector<std::int64_t>> decode_emissions(const Tensor& emissions, const Tensor& lengths = Tensor()) const;
  /// Fraction of real words whose decoded tag equals the gold tag.
  double accuracy(const Tensor& words, const Tensor& chars, const Tensor& lengths, const Tensor& tags,
                  const Tensor& char_lengths = Tensor()) const;
  /// Number of positions t < paths[b].size() where paths[b][t] == tags[b][t]; tags (B, T) int64.
  static std::int64_t count_correct(const std::vector<std::vector<std::int64_t>>& paths, const Tensor& tags);

 private:
  Options options_;
  std::shared_ptr<Embedding> word_embedding_, char_embedding_;
  std::shared_ptr<Conv1d> char_conv_;
  std::shared_ptr<RecurrentBase> rnn_;  // LSTM, GRU or RNN per options().cell()
  std::shared_ptr<Linear> fc_;
  std::shared_ptr<CRF> crf_;
};

}  // namespace birnn
