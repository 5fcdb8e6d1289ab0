// One function per subcommand; each returns the process exit code.
#pragma once
#include <string>
#include <vector>

namespace birnn::cli {

int cmd_demo(const std::vector<std::string>& args);
int cmd_bench(const std::vector<std::string>& args);
int cmd_data(const std::vector<std::string>& args);
int cmd_train(const std::vector<std::string>& args);
int cmd_eval(const std::vector<std::string>& args);
int cmd_predict(const std::vector<std::string>& args);
int cmd_info(const std::vector<std::string>& args);
int cmd_compare(const std::vector<std::string>& args);
int cmd_generate(const std::vector<std::string>& args);

}  // namespace birnn::cli
