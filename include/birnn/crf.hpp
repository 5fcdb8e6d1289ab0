// Linear-chain conditional random field for sequence tagging, with pytorch-crf's parameter names.
//
//   CRF crf(CRFOptions(K).constraints(CRFConstraints::bio(tag_names)));
//   Tensor em = head.forward(lstm.forward(x, lengths).output);     // emissions (T, B, K)
//   Tensor loss = crf.nll(em, tags, lengths);                       // tags int64 (T, B); reduction sum
//   auto best = crf.decode(em, lengths);                            // best[b]: lengths[b] tag ids (Viterbi)
//
// The score of tags y_0..y_{L-1} of one item with emissions e (L = its length):
//   score(y) = start_transitions[y_0] + sum_t e[t, y_t] + sum_{t>0} transitions[y_{t-1}, y_t] + end_transitions[y_{L-1}]
// and nll = log Z - score(y) with log Z = logsumexp over all K^L tag sequences, computed by the forward
// algorithm in log space. nll() is one autograd op whose backward is analytic: the forward-backward
// marginals minus the gold indicators (not a tape of per-step ops).
//
// Constraints (optional): forbidden transitions (from, to), start tags and end tags are removed from the
// lattice: their score is exactly -inf, in the likelihood (log Z sums only over allowed sequences) and in
// Viterbi (decode never returns a forbidden sequence). The matching entries of the parameters are then
// unused and get a zero gradient. Gold tags that break a constraint throw ShapeError naming the item and
// step (a likelihood of 0 would make the loss infinite).
//
// Shapes: emissions (T, B, K) float32/float64 with tags (T, B), or (B, T, K) and (B, T) with
// batch_first(true); lengths int64 (B), each in 1..T, or undefined (all T). Steps t >= lengths[b] are
// ignored (tags there may hold anything); tag ids at real steps must be in 0..K-1.
#pragma once
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "birnn/module.hpp"
#include "birnn/tensor.hpp"

namespace birnn {

/// Forbidden transitions and start/end tags; tag ids are checked against num_tags when the CRF is built.
class CRFConstraints {
 public:
  /// Forbids tag `to` right after tag `from`.
  CRFConstraints& forbid(std::int64_t from, std::int64_t to) { transitions_.insert({from, to}); return *this; }
  /// Forbids sequences that start with `tag`.
  CRFConstraints& forbid_start(std::int64_t tag) { start_.insert(tag); return *this; }
  /// Forbids sequences that end with `tag`.
  CRFConstraints& forbid_end(std::int64_t tag) { end_.insert(tag); return *this; }

  /// BIO (IOB2) rules from tag names "O", "B-X", "I-X": I-X may only follow B-X or I-X and may not start
  /// a sequence. A name that is none of these throws OptionError.
  static CRFConstraints bio(const std::vector<std::string>& tag_names);

  const std::set<std::pair<std::int64_t, std::int64_t>>& transitions() const { return transitions_; }
  const std::set<std::int64_t>& start() const { return start_; }
  const std::set<std::int64_t>& end() const { return end_; }
  bool empty() const { return transitions_.empty() && start_.empty() && end_.empty(); }

 private:
  std::set<std::pair<std::int64_t, std::int64_t>> transitions_;
  std::set<std::int64_t> start_, end_;
};

/// How nll() reduces the per-item values: none (B), sum (pytorch-crf's default), mean over items, or
/// token_mean (sum divided by the total number of real steps).
enum class CRFReduction { none, sum, mean, token_mean };
/// "none" | "sum" | "mean" | "token_mean"; anything else throws OptionError.
CRFReduction crf_reduction_from_string(const std::string& name);

class CRFOptions {
 public:
  explicit CRFOptions(std::int64_t num_tags) : num_tags_(num_tags) {}
  /// Emissions (B, T, K) and tags (B, T) instead of (T, B, K) and (T, B).
  CRFOptions& batch_first(bool v) { batch_first_ = v; return *this; }
  /// How nll() reduces over the batch (default sum, as pytorch-crf).
  CRFOptions& reduction(CRFReduction v) { reduction_ = v; return *this; }
  /// Forbidden transitions / start / end tags, excluded from likelihood and decoding.
  CRFOptions& constraints(CRFConstraints v) { constraints_ = std::move(v); return *this; }

  std::int64_t num_tags() const { return num_tags_; }
  bool batch_first() const { return batch_first_; }
  CRFReduction reduction() const { return reduction_; }
  const CRFConstraints& constraints() const { return constraints_; }

 private:
  std::int64_t num_tags_;
  bool batch_first_ = false;
  CRFReduction reduction_ = CRFReduction::sum;
  CRFConstraints constraints_;
};

/// Parameters (pytorch-crf's names, init U(-0.1, 0.1)): start_transitions (K), end_transitions (K),
/// transitions (K, K) with transitions[i][j] the score of tag i followed by tag j.
class CRF : public Module {
 public:
  explicit CRF(const CRFOptions& o);
  /// Negative log-likelihood of `tags`, reduced as options().reduction(). Differentiable w.r.t. the
  /// emissions and the three parameters.
  Tensor nll(const Tensor& emissions, const Tensor& tags, const Tensor& lengths = Tensor()) const;
  /// log Z per item, (B); differentiable (its gradient w.r.t. the emissions is the tag marginals).
  Tensor log_partition(const Tensor& emissions, const Tensor& lengths = Tensor()) const;
  /// The highest-scoring allowed tag sequence of every item (Viterbi; ties go to the lower tag id):
  /// result[b] has lengths[b] tag ids. No gradient.
  std::vector<std::vector<std::int64_t>> decode(const Tensor& emissions, const Tensor& lengths = Tensor()) const;
  const CRFOptions& options() const { return options_; }

 private:
  CRFOptions options_;
};

}  // namespace birnn
