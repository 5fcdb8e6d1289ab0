// The charlm task (character language model on Moby Dick); charlm_task.cpp documents data, splits,
// truncated BPTT, metrics and formats.
#pragma once
#include <memory>

#include "birnn/tasks/task.hpp"

namespace birnn::tasks {

std::unique_ptr<Task> make_charlm_task();

}  // namespace birnn::tasks
