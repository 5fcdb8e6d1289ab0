#include "birnn/crf.hpp"

#include "birnn/random.hpp"
#include "nn/crf_op.hpp"

namespace birnn {

CRFConstraints CRFConstraints::bio(const std::vector<std::string>& tag_names) {
  // Split each name into its prefix (O, B, I) and entity type.
  const auto K = static_cast<std::int64_t>(tag_names.size());
  std::vector<char> prefix(tag_names.size());
  std::vector<std::string> type(tag_names.size());
  for (std::size_t k = 0; k < tag_names.size(); ++k) {
    const std::string& n = tag_names[k];
    if (n == "O") {
      prefix[k] = 'O';
    } else if (n.size() > 2 && (n[0] == 'B' || n[0] == 'I') && n[1] == '-') {
      prefix[k] = n[0];
      type[k] = n.substr(2);
    } else {
      throw OptionError("CRFConstraints::bio: tag " + std::to_string(k) + " is \"" + n + "\"; BIO tags are \"O\", \"B-X\" or \"I-X\"");
    }
  }
  CRFConstraints c;
  for (std::int64_t j = 0; j < K; ++j) {
    const auto uj = static_cast<std::size_t>(j);
    if (prefix[uj] != 'I') continue;
    c.forbid_start(j);  // I-X cannot open a sequence
    for (std::int64_t i = 0; i < K; ++i) {
      const auto ui = static_cast<std::size_t>(i);
      const bool same_entity = (prefix[ui] == 'B' || prefix[ui] == 'I') && type[ui] == type[uj];
      if (!same_entity) c.forbid(i, j);
    }
  }
  return c;
}

CRFReduction crf_reduction_from_string(const std::string& name) {
  if (name == "none") return CRFReduction::none;
  if (name == "sum") return CRFReduction::sum;
  if (name == "mean") return CRFReduction::mean;
  if (name == "token_mean") return CRFReduction::token_mean;
  throw OptionError("CRF reduction must be \"none\", \"sum\", \"mean\" or \"token_mean\", got \"" + name + "\"");
}

CRF::CRF(const CRFOptions& o) : options_(o) {
  if (o.num_tags() < 1) throw OptionError("CRF: num_tags must be >= 1, got " + std::to_string(o.num_tags()));
  nn::CRFLattice::from(o.constraints(), o.num_tags());  // validates the constraints now, not at the first call
  const std::int64_t K = o.num_tags();
  auto init = [](Shape s) {
    Tensor t = Tensor::empty(s);
    for (std::int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(uniform(-0.1, 0.1));
    return t;
  };
  register_parameter("start_transitions", init({K}));
  register_parameter("end_transitions", init({K}));
  register_parameter("transitions", init({K, K}));
}

// The lattice is rebuilt per call: O(K^2), small next to the O(T B K^2) of the algorithms.
Tensor CRF::nll(const Tensor& emissions, const Tensor& tags, const Tensor& lengths) const {
  if (!tags.defined()) throw ShapeError("CRF nll: tags are required (log_partition() gives log Z alone)");
  const nn::CRFLattice lat = nn::CRFLattice::from(options_.constraints(), options_.num_tags());
  return nn::crf_nll({emissions, lengths, param("start_transitions"), param("end_transitions"), param("transitions"), &lat,
                      options_.batch_first()},
                     tags, options_.reduction());
}

Tensor CRF::log_partition(const Tensor& emissions, const Tensor& lengths) const {
  const nn::CRFLattice lat = nn::CRFLattice::from(options_.constraints(), options_.num_tags());
  return nn::crf_nll({emissions, lengths, param("start_transitions"), param("end_transitions"), param("transitions"), &lat,
                      options_.batch_first()},
                     Tensor(), CRFReduction::none);
}

std::vector<std::vector<std::int64_t>> CRF::decode(const Tensor& emissions, const Tensor& lengths) const {
  const nn::CRFLattice lat = nn::CRFLattice::from(options_.constraints(), options_.num_tags());
  return nn::crf_viterbi({emissions, lengths, param("start_transitions"), param("end_transitions"), param("transitions"), &lat,
                          options_.batch_first()});
}

}  // namespace birnn
