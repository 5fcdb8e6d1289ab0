// The list of tasks make_task() knows. Each task adds one line to task_registry.cpp.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "birnn/tasks/task.hpp"

namespace birnn::tasks {

struct TaskEntry {
  std::string name;
  std::function<std::unique_ptr<Task>()> make;
};
const std::vector<TaskEntry>& task_registry();

}  // namespace birnn::tasks
