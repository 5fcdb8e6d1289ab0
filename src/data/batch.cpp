#include "birnn/data/batch.hpp"

#include <algorithm>
#include <numeric>

#include "birnn/error.hpp"
#include "birnn/random.hpp"

namespace birnn::data {

std::vector<std::vector<std::int64_t>> plan_batches(const std::vector<std::int64_t>& lengths, const BatchOptions& options) {
  const std::int64_t B = options.batch_size();
  if (B < 1) throw OptionError("BatchOptions: batch_size must be >= 1, got " + std::to_string(B));
  if (options.bucket() < 0) throw OptionError("BatchOptions: bucket must be >= 0, got " + std::to_string(options.bucket()));
  const auto n = static_cast<std::int64_t>(lengths.size());
  std::vector<std::int64_t> order;
  if (options.shuffle()) {
    order = randperm(n);
  } else {
    order.resize(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
  }
  if (options.bucket() > 0) {
    const std::int64_t chunk = options.bucket() > INT64_MAX / B ? n : options.bucket() * B;
    for (std::int64_t s = 0; s < n; s += chunk) {
      const auto first = order.begin() + s, last = order.begin() + std::min(n, s + chunk);
      std::stable_sort(first, last, [&](std::int64_t a, std::int64_t b) { return lengths[static_cast<std::size_t>(a)] > lengths[static_cast<std::size_t>(b)]; });
    }
  }
  std::vector<std::vector<std::int64_t>> batches;
  for (std::int64_t s = 0; s < n; s += B) {
    const std::int64_t e = std::min(n, s + B);
    if (options.drop_last() && e - s < B) break;
    batches.emplace_back(order.begin() + s, order.begin() + e);
  }
  if (options.shuffle()) shuffle(batches);
  return batches;
}

namespace {

const std::vector<std::int64_t>& row(const std::vector<std::vector<std::int64_t>>& seqs, std::int64_t i) {
  if (i < 0 || i >= static_cast<std::int64_t>(seqs.size()))
    throw OptionError("pad_batch: index " + std::to_string(i) + " out of range [0, " + std::to_string(seqs.size()) + ")");
  return seqs[static_cast<std::size_t>(i)];
}

}  // namespace

TokenBatch pad_batch(const std::vector<std::vector<std::int64_t>>& seqs, const std::vector<std::int64_t>& indices, std::int64_t max_len,
                     std::int64_t pad_id) {
  if (indices.empty()) throw OptionError("pad_batch: no examples");
  if (max_len < 0) throw OptionError("pad_batch: max_len must be >= 0");
  const auto B = static_cast<std::int64_t>(indices.size());
  std::vector<std::int64_t> len(indices.size());
  std::int64_t T = 0;
  for (std::size_t b = 0; b < indices.size(); ++b) {
    const auto& s = row(seqs, indices[b]);
    if (s.empty()) throw OptionError("pad_batch: example " + std::to_string(indices[b]) + " is empty (lengths must be >= 1)");
    len[b] = max_len > 0 ? std::min<std::int64_t>(max_len, static_cast<std::int64_t>(s.size())) : static_cast<std::int64_t>(s.size());
    T = std::max(T, len[b]);
  }
  std::vector<std::int64_t> ids(static_cast<std::size_t>(B * T), pad_id);
  for (std::size_t b = 0; b < indices.size(); ++b) {
    const auto& s = row(seqs, indices[b]);
    std::copy(s.begin(), s.begin() + len[b], ids.begin() + static_cast<std::ptrdiff_t>(b) * T);
  }
  TokenBatch out;
  out.ids = Tensor::from_vector(ids, {B, T});
  out.lengths = Tensor::from_vector(len, {B});
  out.indices = indices;
  return out;
}

Tensor pad_char_batch(const std::vector<std::vector<std::vector<std::int64_t>>>& chars, const std::vector<std::int64_t>& indices,
                      std::int64_t max_word_chars, std::int64_t max_len, std::int64_t pad_id) {
  if (indices.empty()) throw OptionError("pad_char_batch: no examples");
  if (max_word_chars < 0 || max_len < 0) throw OptionError("pad_char_batch: max_word_chars and max_len must be >= 0");
  const auto B = static_cast<std::int64_t>(indices.size());
  std::int64_t T = 0, C = 1;
  const auto sent = [&](std::int64_t i) -> const std::vector<std::vector<std::int64_t>>& {
    if (i < 0 || i >= static_cast<std::int64_t>(chars.size()))
      throw OptionError("pad_char_batch: index " + std::to_string(i) + " out of range [0, " + std::to_string(chars.size()) + ")");
    return chars[static_cast<std::size_t>(i)];
  };
  const auto words = [&](std::int64_t i) {
    const auto n = static_cast<std::int64_t>(sent(i).size());
    return max_len > 0 ? std::min(max_len, n) : n;
  };
  for (auto i : indices) {
    if (sent(i).empty()) throw OptionError("pad_char_batch: example " + std::to_string(i) + " is empty (lengths must be >= 1)");
    T = std::max(T, words(i));
    for (std::int64_t t = 0; t < words(i); ++t) {
      const auto n = static_cast<std::int64_t>(sent(i)[static_cast<std::size_t>(t)].size());
      C = std::max(C, max_word_chars > 0 ? std::min(max_word_chars, n) : n);
    }
  }
  std::vector<std::int64_t> ids(static_cast<std::size_t>(B * T * C), pad_id);
  for (std::int64_t b = 0; b < B; ++b) {
    const auto& s = sent(indices[static_cast<std::size_t>(b)]);
    for (std::int64_t t = 0; t < words(indices[static_cast<std::size_t>(b)]); ++t) {
      const auto& w = s[static_cast<std::size_t>(t)];
      const auto n = std::min<std::int64_t>(C, static_cast<std::int64_t>(w.size()));
      std::copy(w.begin(), w.begin() + n, ids.begin() + (b * T + t) * C);
    }
  }
  return Tensor::from_vector(ids, {B, T, C});
}

}  // namespace birnn::data
