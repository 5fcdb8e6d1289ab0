// The `pos` task (part-of-speech tagging with the BiLSTM-CNN-CRF tagger); see pos_task.cpp.
#pragma once
#include <memory>

#include "birnn/tasks/task.hpp"

namespace birnn::tasks {

std::unique_ptr<Task> make_pos_task();

}  // namespace birnn::tasks
