// The CRF's computations (private to the library): the NLL / log-partition autograd op (forward
// algorithm, analytic forward-backward gradient) and Viterbi decoding. The CRF module calls these.
#pragma once
#include <cstdint>
#include <vector>

#include "birnn/crf.hpp"
#include "birnn/tensor.hpp"

namespace birnn::nn {

/// What is allowed in the lattice (1 = allowed), from CRFConstraints, checked against K.
struct CRFLattice {
  std::int64_t K = 0;
  std::vector<unsigned char> start, end;  // (K)
  std::vector<unsigned char> trans;       // (K, K): trans[i * K + j] allows tag j right after tag i
  static CRFLattice from(const CRFConstraints& c, std::int64_t K);
};

struct CRFArgs {
  Tensor emissions;               // (T, B, K) or (B, T, K)
  Tensor lengths;                 // int64 (B) or undefined
  Tensor start, end, transitions; // (K), (K), (K, K), same dtype as emissions
  const CRFLattice* lattice = nullptr;
  bool batch_first = false;
};

/// tags defined: the per-item nll = log Z - score(tags), reduced. tags undefined: log Z per item, (B).
Tensor crf_nll(const CRFArgs& a, const Tensor& tags, CRFReduction reduction);

/// Viterbi: the best allowed tag sequence of every item (ties: lowest tag id).
std::vector<std::vector<std::int64_t>> crf_viterbi(const CRFArgs& a);

}  // namespace birnn::nn
