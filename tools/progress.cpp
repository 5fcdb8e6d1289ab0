#include "progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace birnn::cli {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

std::string compact_count(double v) {
  char buf[32];
  if (v >= 1e9) std::snprintf(buf, sizeof buf, "%.1fG", v / 1e9);
  else if (v >= 1e6) std::snprintf(buf, sizeof buf, "%.1fM", v / 1e6);
  else if (v >= 1e3) std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

Progress::Progress(std::int64_t epochs, std::int64_t steps_per_epoch, std::string unit, std::FILE* out)
    : epochs_(epochs), steps_per_epoch_(std::max<std::int64_t>(1, steps_per_epoch)), unit_(std::move(unit)), out_(out),
      tty_(isatty(fileno(out)) != 0), every_(std::max<std::int64_t>(1, steps_per_epoch_ / 10)),
      start_(std::chrono::steady_clock::now()), epoch_start_(start_), last_tick_(start_) {}

double Progress::units_per_second() const {
  const double s = seconds_since(epoch_start_);
  return s > 0 ? static_cast<double>(epoch_units_) / s : 0.0;
}

std::string Progress::eta(std::int64_t steps_left) const {
  if (done_ == 0) return "?";
  const double s = seconds_since(start_) / static_cast<double>(done_) * static_cast<double>(steps_left);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s / 3600), static_cast<int>(std::fmod(s, 3600) / 60));
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s / 60), static_cast<int>(std::fmod(s, 60)));
  else std::snprintf(buf, sizeof buf, "%.0fs", s);
  return buf;
}

void Progress::clear_line() {
  if (tty_ && line_open_) std::fputs("\r\033[K", out_);
  line_open_ = false;
}

void Progress::step(std::int64_t epoch, std::int64_t batch, double loss, std::int64_t units) {
  if (batch == 0) {
    epoch_start_ = last_tick_;  // when this step began (now() would leave its time out of the epoch's rate)
    epoch_steps_ = epoch_units_ = 0;
    epoch_loss_sum_ = 0.0;
  }
  ++done_;
  ++epoch_steps_;
  epoch_units_ += units;
  epoch_loss_sum_ += loss;
  const std::int64_t total = epochs_ * steps_per_epoch_;
  const std::string rate = compact_count(units_per_second()) + " " + unit_ + "/s";
  if (tty_) {
    constexpr int kWidth = 24;
    const int filled = static_cast<int>(kWidth * (batch + 1) / steps_per_epoch_);
    std::fprintf(out_, "\r\033[Kepoch %lld/%lld [%s%s] %lld/%lld loss %.4f %s ETA %s", static_cast<long long>(epoch + 1),
                 static_cast<long long>(epochs_), std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(kWidth - filled), ' ').c_str(), static_cast<long long>(batch + 1),
                 static_cast<long long>(steps_per_epoch_), epoch_loss(), rate.c_str(), eta(total - done_).c_str());
    line_open_ = true;
  } else if ((batch + 1) % every_ == 0 && batch + 1 != steps_per_epoch_) {
    std::fprintf(out_, "epoch %lld/%lld step %lld/%lld loss %.4f %s ETA %s\n", static_cast<long long>(epoch + 1),
                 static_cast<long long>(epochs_), static_cast<long long>(batch + 1), static_cast<long long>(steps_per_epoch_),
                 epoch_loss(), rate.c_str(), eta(total - done_).c_str());
  }
  std::fflush(out_);
  last_tick_ = std::chrono::steady_clock::now();
}

void Progress::end_epoch(std::int64_t epoch, const std::string& summary) {
  clear_line();
  std::fprintf(out_, "epoch %lld/%lld loss %.4f %s %s/s %.1fs  %s\n", static_cast<long long>(epoch + 1),
               static_cast<long long>(epochs_), epoch_loss(), compact_count(units_per_second()).c_str(), unit_.c_str(),
               seconds_since(epoch_start_), summary.c_str());
  std::fflush(out_);
  last_tick_ = std::chrono::steady_clock::now();  // the dev evaluation is not the next epoch's time
}

void Progress::note(const std::string& text) {
  clear_line();
  std::fprintf(out_, "%s\n", text.c_str());
  std::fflush(out_);
}

}  // namespace birnn::cli
