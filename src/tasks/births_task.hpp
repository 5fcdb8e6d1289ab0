// The births task (daily US births forecasting); births_task.cpp documents data, splits, metrics and formats.
#pragma once
#include <memory>

#include "birnn/tasks/task.hpp"

namespace birnn::tasks {

std::unique_ptr<Task> make_births_task();

}  // namespace birnn::tasks
