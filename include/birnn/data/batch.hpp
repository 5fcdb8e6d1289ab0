// Batching: which examples go together (shuffled, optionally bucketed by length), and the padded
// tensors made from them.
//
//   using namespace birnn::data;
//   std::vector<std::vector<std::int64_t>> ids = ...;            // one id sequence per sentence
//   auto plan = plan_batches(sequence_lengths(ids), BatchOptions(32).shuffle(true).bucket(16));
//   for (const auto& idx : plan) {
//     TokenBatch b = pad_batch(ids, idx);     // b.ids (B, T) int64, b.lengths (B) int64
//     // models take (T, B, ...) unless batch_first: birnn::transpose(..) or batch_first(true)
//   }
//
// Padding uses id 0 (Vocabulary::kPad); T is the longest sequence of the batch, so a batch is never
// padded to the corpus maximum. Lengths follow the RNN rule 1 <= length <= T: an empty sequence is an
// OptionError naming its index.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "birnn/tensor.hpp"

namespace birnn::data {

/// How plan_batches groups examples.
class BatchOptions {
 public:
  explicit BatchOptions(std::int64_t batch_size = 32) : batch_size_(batch_size) {}
  /// Examples per batch (>= 1); the last batch may be smaller unless drop_last.
  BatchOptions& batch_size(std::int64_t v) { batch_size_ = v; return *this; }
  /// Shuffle the examples and then the batches with birnn::generator() (default false: keep order).
  BatchOptions& shuffle(bool v) { shuffle_ = v; return *this; }
  /// Bucketing: take the (shuffled) examples in chunks of k * batch_size, sort each chunk by length
  /// (longest first, ties in chunk order) and cut it into batches, so a batch holds similar lengths and
  /// little padding; the batches are then shuffled if shuffle(true). 0 = off (default).
  BatchOptions& bucket(std::int64_t k) { bucket_ = k; return *this; }
  /// Drop a last batch smaller than batch_size (default false).
  BatchOptions& drop_last(bool v) { drop_last_ = v; return *this; }

  std::int64_t batch_size() const { return batch_size_; }
  bool shuffle() const { return shuffle_; }
  std::int64_t bucket() const { return bucket_; }
  bool drop_last() const { return drop_last_; }

 private:
  std::int64_t batch_size_;
  bool shuffle_ = false;
  std::int64_t bucket_ = 0;
  bool drop_last_ = false;
};

/// The length of each sequence.
template <class Seq>
std::vector<std::int64_t> sequence_lengths(const std::vector<Seq>& seqs) {
  std::vector<std::int64_t> n;
  n.reserve(seqs.size());
  for (const auto& s : seqs) n.push_back(static_cast<std::int64_t>(s.size()));
  return n;
}

/// Batches as lists of example indices (each index exactly once, except those dropped by drop_last).
/// Deterministic given birnn::manual_seed. OptionError on batch_size < 1 or bucket < 0.
std::vector<std::vector<std::int64_t>> plan_batches(const std::vector<std::int64_t>& lengths, const BatchOptions& options);

/// A padded batch of token ids.
struct TokenBatch {
  Tensor ids;       ///< (B, T) int64, padded with pad_id
  Tensor lengths;   ///< (B) int64
  std::vector<std::int64_t> indices;  ///< the example index of each row
};
/// Pads seqs[indices[b]] into row b. max_len > 0 truncates longer sequences to their first max_len ids.
TokenBatch pad_batch(const std::vector<std::vector<std::int64_t>>& seqs, const std::vector<std::int64_t>& indices,
                     std::int64_t max_len = 0, std::int64_t pad_id = 0);

/// Characters of each word of each sentence for a tagger's character CNN: chars[i][t] are the char ids of
/// word t of sentence i. Gives (B, T, C) int64 padded with pad_id, C = the longest word of the batch
/// (words longer than max_word_chars, if > 0, keep their first max_word_chars characters); a word with no
/// characters gets one pad. T follows the same truncation as pad_batch(max_len).
Tensor pad_char_batch(const std::vector<std::vector<std::vector<std::int64_t>>>& chars, const std::vector<std::int64_t>& indices,
                      std::int64_t max_word_chars = 0, std::int64_t max_len = 0, std::int64_t pad_id = 0);

}  // namespace birnn::data
