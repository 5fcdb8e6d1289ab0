// `birnn compare TASK` for the tasks of `birnn train` (cmd_compare.cpp dispatches here for any task but
// adding). argv is the command's arguments, task name included.
#pragma once
#include <string>
#include <vector>

namespace birnn::cli {

int compare_task(const std::string& task, const std::vector<std::string>& argv);

}  // namespace birnn::cli
