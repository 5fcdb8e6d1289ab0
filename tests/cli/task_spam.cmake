# birnn train|eval|predict|info on the `spam` task with the committed sample (tests/data/tasks/spam_sample.tsv).
set(task spam)
set(eval_pattern "accuracy [0-9.]+ precision")
set(predict_input "free money click here now\n")
set(predict_pattern "^(spam|ham)\t[0-9.]+")
set(bad_file bad.tsv)
set(bad_content "ham\thello\nspam free money\n")
include(${CMAKE_CURRENT_LIST_DIR}/task_train_eval_predict.cmake)
