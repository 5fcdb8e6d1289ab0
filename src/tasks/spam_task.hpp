// The `spam` task (ham/spam e-mail classification with the BiGRU classifier); see spam_task.cpp.
#pragma once
#include <memory>

#include "birnn/tasks/task.hpp"

namespace birnn::tasks {

std::unique_ptr<Task> make_spam_task();

}  // namespace birnn::tasks
