#include "birnn/data/vocab.hpp"

#include <algorithm>

#include "birnn/data/text.hpp"
#include "birnn/error.hpp"

namespace birnn::data {

const char* const Vocabulary::kPadToken = "<pad>";
const char* const Vocabulary::kUnkToken = "<unk>";

Vocabulary::Vocabulary(bool reserved) : reserved_(reserved) {
  if (reserved_) {
    add(kPadToken);
    add(kUnkToken);
  }
}

Vocabulary Vocabulary::from_counts(const std::unordered_map<std::string, std::int64_t>& counts, const VocabularyOptions& options) {
  if (options.min_count() < 1) throw OptionError("VocabularyOptions: min_count must be >= 1, got " + std::to_string(options.min_count()));
  const std::int64_t n_reserved = options.reserved() ? 2 : 0;
  if (options.max_size() != 0 && options.max_size() < std::max<std::int64_t>(n_reserved, 1))
    throw OptionError("VocabularyOptions: max_size must be 0 (no limit) or >= " + std::to_string(std::max<std::int64_t>(n_reserved, 1)) +
                      ", got " + std::to_string(options.max_size()));
  std::vector<std::pair<std::string, std::int64_t>> kept;
  for (const auto& [tok, n] : counts)
    if (n >= options.min_count()) kept.emplace_back(tok, n);
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  Vocabulary v(options.reserved());
  for (const auto& [tok, n] : kept) {
    if (options.max_size() != 0 && v.size() >= options.max_size()) break;
    v.add(tok);  // a token equal to "<pad>"/"<unk>" keeps its reserved id
  }
  return v;
}

Vocabulary Vocabulary::build(const std::vector<std::vector<std::string>>& sequences, const VocabularyOptions& options) {
  std::unordered_map<std::string, std::int64_t> counts;
  for (const auto& seq : sequences)
    for (const auto& t : seq) ++counts[t];
  return from_counts(counts, options);
}

Vocabulary Vocabulary::from_strings(const std::vector<std::string>& strings, bool reserved) {
  if (reserved && (strings.size() < 2 || strings[0] != kPadToken || strings[1] != kUnkToken))
    throw FormatError("vocabulary: expected \"<pad>\" and \"<unk>\" as entries 0 and 1" +
                      (strings.empty() ? std::string(", got an empty list") : ", got \"" + strings[0] + "\"" + (strings.size() > 1 ? ", \"" + strings[1] + "\"" : "")));
  Vocabulary v(false);
  v.reserved_ = reserved;
  for (const auto& s : strings) {
    if (v.contains(s)) throw FormatError("vocabulary: duplicate entry \"" + s + "\" at id " + std::to_string(v.size()));
    v.add(s);
  }
  return v;
}

std::int64_t Vocabulary::find(const std::string& token) const {
  const auto it = ids_.find(token);
  return it == ids_.end() ? -1 : it->second;
}

std::int64_t Vocabulary::id(const std::string& token) const {
  const std::int64_t i = find(token);
  if (i >= 0) return i;
  if (reserved_) return kUnk;
  std::string known;
  for (std::size_t k = 0; k < tokens_.size() && k < 20; ++k) known += (k ? ", " : "") + tokens_[k];
  if (tokens_.size() > 20) known += ", ...";
  throw FormatError("unknown label \"" + token + "\" (the " + std::to_string(tokens_.size()) + " known: " + known + ")");
}

const std::string& Vocabulary::token(std::int64_t id) const {
  if (id < 0 || id >= size()) throw OptionError("vocabulary id " + std::to_string(id) + " out of range [0, " + std::to_string(size()) + ")");
  return tokens_[static_cast<std::size_t>(id)];
}

std::int64_t Vocabulary::add(const std::string& token) {
  const auto [it, inserted] = ids_.emplace(token, size());
  if (inserted) tokens_.push_back(token);
  return it->second;
}

std::vector<std::int64_t> Vocabulary::encode(const std::vector<std::string>& tokens) const {
  std::vector<std::int64_t> out;
  out.reserve(tokens.size());
  for (const auto& t : tokens) out.push_back(id(t));
  return out;
}

std::vector<std::string> Vocabulary::decode(const std::vector<std::int64_t>& ids) const {
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (auto i : ids) out.push_back(token(i));
  return out;
}

Vocabulary build_char_vocabulary(const std::vector<std::string>& texts, const VocabularyOptions& options) {
  std::unordered_map<std::string, std::int64_t> counts;
  for (const auto& t : texts)
    for (auto& c : utf8_chars(t)) ++counts[c];
  return Vocabulary::from_counts(counts, options);
}

}  // namespace birnn::data
