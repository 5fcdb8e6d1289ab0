# birnn train|eval|predict|info on the `pos` task with the committed sample (tests/data/tasks/pos_sample.conll).
set(task pos)
set(eval_pattern "accuracy [0-9.]+ oov_accuracy")
set(predict_input "The jury said it\n")
set(predict_pattern "^The/[^ ]+ jury/")
set(bad_file bad.conll)
set(bad_content "The\tat\njury nn\n")
include(${CMAKE_CURRENT_LIST_DIR}/task_train_eval_predict.cmake)
