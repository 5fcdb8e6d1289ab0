#include "tasks/task_registry.hpp"

#include "tasks/pos_task.hpp"
#include "tasks/spam_task.hpp"
#include "tasks/births_task.hpp"
#include "tasks/charlm_task.hpp"

namespace birnn::tasks {

const std::vector<TaskEntry>& task_registry() {
  static const std::vector<TaskEntry> entries = {
      {"pos", make_pos_task},
      {"spam", make_spam_task},
      {"charlm", make_charlm_task},
      {"births", make_births_task},
  };
  return entries;
}

}  // namespace birnn::tasks
