#include <cstring>

#include "birnn/layers.hpp"
#include "birnn/random.hpp"

namespace birnn {

namespace {

void check_options(const EmbeddingOptions& o) {
  if (o.num_embeddings() < 1 || o.embedding_dim() < 1)
    throw OptionError("Embedding: num_embeddings and embedding_dim must be >= 1, got " + std::to_string(o.num_embeddings()) + ", " +
                      std::to_string(o.embedding_dim()));
  if (auto p = o.padding_idx(); p && (*p < -o.num_embeddings() || *p >= o.num_embeddings()))
    throw OptionError("Embedding: padding_idx " + std::to_string(*p) + " must be within num_embeddings (" +
                      std::to_string(o.num_embeddings()) + ")");
}

// torch's rule: padding_idx in [-V, V), negative counts from the end.
EmbeddingOptions normalized(EmbeddingOptions o) {
  check_options(o);
  if (auto p = o.padding_idx(); p && *p < 0) o.padding_idx(*p + o.num_embeddings());
  return o;
}

// N(0, 1) like torch.nn.Embedding, with the padding row zeroed.
Tensor normal_table(const EmbeddingOptions& o) {
  check_options(o);
  Tensor w = Tensor::empty({o.num_embeddings(), o.embedding_dim()});
  float* p = w.data<float>();
  for (std::int64_t i = 0; i < w.numel(); ++i) p[i] = static_cast<float>(normal());
  if (auto pad = normalized(o).padding_idx())
    std::memset(p + *pad * o.embedding_dim(), 0, sizeof(float) * static_cast<std::size_t>(o.embedding_dim()));
  return w;
}

}  // namespace

Embedding::Embedding(const EmbeddingOptions& o) : Embedding(o, normal_table(o)) {}

Embedding::Embedding(const EmbeddingOptions& o, Tensor weight) : options_(normalized(o)) {
  register_parameter("weight", std::move(weight));
}

Embedding Embedding::from_pretrained(const Tensor& embeddings, bool freeze, std::optional<std::int64_t> padding_idx) {
  if (!embeddings.defined() || embeddings.dim() != 2)
    throw ShapeError("Embedding::from_pretrained: embeddings must be 2-D (num_embeddings, embedding_dim), got " +
                     (embeddings.defined() ? shape_str(embeddings.shape()) : std::string("none")));
  if (embeddings.dtype() == DType::i64) throw ShapeError("Embedding::from_pretrained: embeddings must be float32 or float64, got int64");
  Embedding e(EmbeddingOptions(embeddings.size(0), embeddings.size(1)).padding_idx(padding_idx), embeddings.clone());
  e.freeze(freeze);
  return e;
}

void Embedding::freeze(bool on) {
  frozen_ = on;
  param("weight").set_requires_grad(!on);
}

Tensor Embedding::forward(const Tensor& ids) const {
  // detach() as well as requires_grad(false): Module::to() turns requires_grad back on for every parameter.
  const Tensor& w = param("weight");
  return embedding(ids, frozen_ ? w.detach() : w, options_.padding_idx());
}

}  // namespace birnn
