#include "tasks/task_registry.hpp"

namespace birnn::tasks {

const std::vector<TaskEntry>& task_registry() {
  static const std::vector<TaskEntry> entries = {};
  return entries;
}

}  // namespace birnn::tasks
