// The seeds' claims about recurrent cells, each judged by measured numbers in a Report's rows (and, for
// the vanishing-gradient claim, by the adding problem and the gradient flow, summarised by the caller).
// A claim whose numbers are missing comes back "not measured" with what it needs.
#pragma once
#include <string>
#include <vector>

#include "birnn/report/markdown.hpp"

namespace birnn::report {

inline const char* kClaimBiDoubles = "Bi doubles parameters and compute";
inline const char* kClaimGruCheaper = "GRU is cheaper than LSTM";
inline const char* kClaimGatesCure = "Gates cure vanishing gradients";
inline const char* kClaimBiHelpsTagging = "Bi helps tagging";

/// For every base cell with a 1- and a 2-direction row on `task`: recurrent parameters ratio (must be
/// 2.00 +- 2%) and forward+backward time ratio (must be in [1.5, 2.5]; `threads` > 1 lets the two
/// directions run at once, which the evidence says).
Claim claim_bi_doubles(const std::vector<CellRow>& rows, const std::string& task, int threads);
/// GRU vs LSTM on `task`, unidirectional: fewer parameters and less forward+backward time.
Claim claim_gru_cheaper(const std::vector<CellRow>& rows, const std::string& task);

/// What decides "gates cure vanishing gradients" (filled by the adding comparison).
struct VanishingEvidence {
  struct PerT {
    long long T = 0;
    bool rnn_learned = false, lstm_learned = false, gru_learned = false;
    bool has_rnn = false, has_lstm = false, has_gru = false;
  };
  std::vector<PerT> adding;
  /// norms[T-1]/norms[0] of the gradient flow (unidirectional cells), at init and after training; < 0 = not run.
  double rnn_ratio_init = -1, lstm_ratio_init = -1, gru_ratio_init = -1;
  double rnn_ratio_trained = -1, lstm_ratio_trained = -1, gru_ratio_trained = -1;
  long long flow_T = 0;
};
/// Confirmed when, at some T, LSTM and GRU learned the adding problem and the RNN did not, and after
/// training the gated cells pass more of the gradient over the whole sequence than the RNN.
Claim claim_gates_cure(const VanishingEvidence& e);

/// Needs rows of `task` (e.g. "pos") with a metric for a cell and its bidirectional form; until a task
/// adds them the claim is "not measured". Confirmed when every bidirectional form beats its
/// one-direction form; when both rows give metric_count n (an accuracy over n trials), "beats" means by
/// more than twice the binomial standard error of the difference, sqrt(p1(1-p1)/n + p2(1-p2)/n).
Claim claim_bi_helps(const std::vector<CellRow>& rows, const std::string& task, const std::string& claim_text);

}  // namespace birnn::report
