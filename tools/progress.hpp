// Training progress for `birnn train`: on a terminal, one redrawn line with a bar, loss, throughput and
// ETA; otherwise (logs, CI, pipes) a plain line every `every` steps and at the end of each epoch.
#pragma once
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace birnn::cli {

class Progress {
 public:
  /// steps_per_epoch * epochs steps in all; `unit` names what throughput counts ("tok", "seq", "char").
  Progress(std::int64_t epochs, std::int64_t steps_per_epoch, std::string unit, std::FILE* out = stdout);
  /// After each step: the step's loss and how many units it processed.
  void step(std::int64_t epoch, std::int64_t batch, double loss, std::int64_t units);
  /// Ends the epoch's line with the validation summary (e.g. "dev accuracy 0.9612 (best)").
  void end_epoch(std::int64_t epoch, const std::string& summary);
  /// A message that must not be overwritten by the bar (warnings, "stopping...").
  void note(const std::string& text);

  /// Mean loss and units/s of the epoch so far.
  double epoch_loss() const { return epoch_steps_ ? epoch_loss_sum_ / static_cast<double>(epoch_steps_) : 0.0; }
  double units_per_second() const;

 private:
  std::string eta(std::int64_t steps_left) const;
  void clear_line();

  std::int64_t epochs_, steps_per_epoch_;
  std::string unit_;
  std::FILE* out_;
  bool tty_;
  std::int64_t every_;
  std::int64_t done_ = 0, epoch_steps_ = 0, epoch_units_ = 0;
  double epoch_loss_sum_ = 0.0;
  std::chrono::steady_clock::time_point start_, epoch_start_;
  std::chrono::steady_clock::time_point last_tick_;  // when the last step (or epoch report) ended: the next step's start
  bool line_open_ = false;
};

/// "1.2k", "3.4M": compact counts for progress lines.
std::string compact_count(double v);

}  // namespace birnn::cli
