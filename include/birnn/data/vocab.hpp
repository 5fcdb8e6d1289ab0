// Vocabularies: token <-> id maps built from counts, saved with the model as a list of strings
// (CheckpointInfo::vocabularies["words"] = vocab.to_strings()).
//
//   auto words = birnn::data::Vocabulary::build(sentences, VocabularyOptions().min_count(2).max_size(50000));
//   std::vector<std::int64_t> ids = words.encode(tokens);   // unknown tokens -> 1 (<unk>)
//   auto tags = birnn::data::Vocabulary::build(tag_seqs, VocabularyOptions().reserved(false));  // labels: no <pad>/<unk>
//   info.vocabularies["words"] = words.to_strings();  ...  Vocabulary::from_strings(info.vocabularies["words"])
//
// Ids: a vocabulary with reserved entries (the default, for model inputs) has "<pad>" = 0 and "<unk>" = 1,
// then the kept tokens by count, most frequent first, ties in byte order (so a build is deterministic).
// A label vocabulary (reserved(false), for tags and classes) has only the labels, ids from 0, same order.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace birnn::data {

/// How Vocabulary::build keeps tokens.
class VocabularyOptions {
 public:
  /// Keep tokens seen at least this often (default 1).
  VocabularyOptions& min_count(std::int64_t v) { min_count_ = v; return *this; }
  /// Largest vocabulary size, the reserved entries included (default 0 = no limit); the rarest go first.
  VocabularyOptions& max_size(std::int64_t v) { max_size_ = v; return *this; }
  /// Reserve <pad> = 0 and <unk> = 1 (default true); false for label sets.
  VocabularyOptions& reserved(bool v) { reserved_ = v; return *this; }

  std::int64_t min_count() const { return min_count_; }
  std::int64_t max_size() const { return max_size_; }
  bool reserved() const { return reserved_; }

 private:
  std::int64_t min_count_ = 1, max_size_ = 0;
  bool reserved_ = true;
};

class Vocabulary {
 public:
  static constexpr std::int64_t kPad = 0;  ///< id of "<pad>" (reserved vocabularies)
  static constexpr std::int64_t kUnk = 1;  ///< id of "<unk>" (reserved vocabularies)
  static const char* const kPadToken;      ///< "<pad>"
  static const char* const kUnkToken;      ///< "<unk>"

  /// An empty vocabulary: just <pad> and <unk> if reserved, nothing otherwise.
  explicit Vocabulary(bool reserved = true);

  /// Counts every token of every sequence and keeps them as options says (OptionError on min_count < 1
  /// or a max_size smaller than the reserved entries).
  static Vocabulary build(const std::vector<std::vector<std::string>>& sequences, const VocabularyOptions& options = {});
  /// Same from counts already made (token -> count).
  static Vocabulary from_counts(const std::unordered_map<std::string, std::int64_t>& counts, const VocabularyOptions& options = {});
  /// Rebuilds a vocabulary from to_strings() output: id i is strings[i]. reserved: strings must start with
  /// "<pad>", "<unk>". Duplicates or a missing reserved entry throw FormatError.
  static Vocabulary from_strings(const std::vector<std::string>& strings, bool reserved = true);

  /// The tokens in id order (what checkpoints store).
  const std::vector<std::string>& to_strings() const { return tokens_; }
  std::int64_t size() const { return static_cast<std::int64_t>(tokens_.size()); }
  bool reserved() const { return reserved_; }
  bool contains(const std::string& token) const { return ids_.count(token) > 0; }
  /// The id of token, or -1 if absent.
  std::int64_t find(const std::string& token) const;
  /// The id of token; an unknown token gives kUnk in a reserved vocabulary and throws FormatError
  /// (naming the token) in a label vocabulary.
  std::int64_t id(const std::string& token) const;
  /// The token of an id; OptionError if id is out of range.
  const std::string& token(std::int64_t id) const;
  /// Adds token at the end if absent; returns its id.
  std::int64_t add(const std::string& token);

  std::vector<std::int64_t> encode(const std::vector<std::string>& tokens) const;
  std::vector<std::string> decode(const std::vector<std::int64_t>& ids) const;

 private:
  bool reserved_;
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, std::int64_t> ids_;
};

/// A reserved vocabulary of the characters (code points, see utf8_chars) of texts: for character
/// language models and the character CNN of taggers (pass the words as texts).
Vocabulary build_char_vocabulary(const std::vector<std::string>& texts, const VocabularyOptions& options = {});

}  // namespace birnn::data
