// Ctrl-C during `birnn train`: the first SIGINT/SIGTERM asks the trainer to stop after the current step
// (it then writes its checkpoint and the command exits cleanly); a second one exits at once.
#pragma once
#include "birnn/trainer.hpp"

namespace birnn::cli {

/// Routes SIGINT and SIGTERM to trainer.request_stop() while alive; restores the old handlers after.
class StopOnInterrupt {
 public:
  explicit StopOnInterrupt(Trainer& trainer);
  ~StopOnInterrupt();
  StopOnInterrupt(const StopOnInterrupt&) = delete;
  StopOnInterrupt& operator=(const StopOnInterrupt&) = delete;
};

}  // namespace birnn::cli
