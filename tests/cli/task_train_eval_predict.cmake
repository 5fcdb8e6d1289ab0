# The shared check of a classification/tagging task through the CLI, included by task_pos.cmake and
# task_spam.cmake after they set: task, eval_pattern (what `birnn eval` prints), predict_input and
# predict_pattern (a line in, the expected shape of its prediction), bad_file and bad_content (a data
# file whose line 2 is malformed), small_file and small_content (two valid examples). A tiny run writes
# last, best, metrics.jsonl and test.json; eval, predict (fp32 and bf16) and info read it back; eval --data
# scores the whole of another file and the held-out split of a copy of the training file; a bad flag, a bad
# data file, too few examples for a dev split and a negative max_length in a config file exit non-zero with a
# message naming the file or field, and create no output folder; predict stops an endless line (/dev/zero) and reports a folder given as its input.
# CTest passes -DBIRNN=<birnn> -DSAMPLE=<sample file> -DWORK=<scratch>.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(run ${WORK}/run)

include(${CMAKE_CURRENT_LIST_DIR}/cli_checks.cmake)

run_ok(train ${task} --data ${SAMPLE} --epochs 2 --limit 24 --hidden 8 --embedding 8 --batch 4 --threads 1 --out ${run})
foreach(f last.json best.json metrics.jsonl test.json)
  file(GLOB found "${run}/${f}*")
  if(NOT EXISTS ${run}/${f} AND NOT found)
    message(FATAL_ERROR "birnn train ${task} did not write ${run}/${f}")
  endif()
endforeach()
file(STRINGS ${run}/metrics.jsonl lines)
list(LENGTH lines n)
if(NOT n EQUAL 2)
  message(FATAL_ERROR "metrics.jsonl: expected 2 lines (one per epoch), got ${n}")
endif()

run_ok(eval ${run}/best --threads 1)
if(NOT out MATCHES "${eval_pattern}")
  message(FATAL_ERROR "birnn eval: unexpected output: ${out}")
endif()
file(WRITE ${WORK}/input.txt "${predict_input}")
run_ok(predict ${run}/best ${WORK}/input.txt --threads 1)
if(NOT out MATCHES "${predict_pattern}")
  message(FATAL_ERROR "birnn predict: unexpected output: ${out}")
endif()
run_ok(predict ${run}/best ${WORK}/input.txt --threads 1 --precision bf16)
if(NOT out MATCHES "${predict_pattern}")
  message(FATAL_ERROR "birnn predict --precision bf16: unexpected output: ${out}")
endif()
expect_failure("--precision" predict ${run}/best ${WORK}/input.txt --precision fp16)
run_ok(info ${run}/best)

# eval --data FILE scores every example of FILE: a two-example file has no held-out part of its own (it
# used to be scored over nothing: "accuracy 0.0000 ... loss 0.0000").
file(WRITE ${WORK}/${small_file} "${small_content}")
run_ok(eval ${run}/best --data ${WORK}/${small_file} --threads 1)
if(NOT out MATCHES "${eval_pattern}" OR out MATCHES "loss 0\\.0000" OR NOT err MATCHES "scoring all of")
  message(FATAL_ERROR "birnn eval --data ${small_file}: expected metrics over its two examples and the note that "
                      "it is scored whole, got: ${out}${err}")
endif()
expect_failure("no dev split" eval ${run}/best --data ${WORK}/${small_file} --split dev)
# A copy of the training file (another path, from another folder) is still the training file: its held-out
# split is scored, as for the training path itself, never the examples the model was trained on.
get_filename_component(sample_name ${SAMPLE} NAME)
file(MAKE_DIRECTORY ${WORK}/copy)
file(COPY ${SAMPLE} DESTINATION ${WORK}/copy)
run_ok(eval ${run}/best --threads 1)
set(held_out "${out}")
execute_process(COMMAND ${BIRNN} eval ${run}/best --data copy/${sample_name} --threads 1 WORKING_DIRECTORY ${WORK}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out STREQUAL held_out OR NOT err MATCHES "is the file the model was trained on")
  message(FATAL_ERROR "birnn eval --data <a copy of the training file>: expected the held-out result\n${held_out}"
                      "with a note, got (exit ${rc}):\n${out}${err}")
endif()
# predict: an endless line stops at the task's line limit; a folder as input is an error, not an empty answer.
expect_failure("input line 1 is longer than" predict ${run}/best /dev/zero)
expect_failure("is a folder" predict ${run}/best ${WORK})

expect_failure("bogus" train ${task} --data ${SAMPLE} --bogus 3 --out ${WORK}/bad-flag)
file(WRITE ${WORK}/${bad_file} "${bad_content}")
expect_failure("${bad_file}:2" train ${task} --data ${WORK}/${bad_file} --epochs 1 --out ${WORK}/bad-data)
if(EXISTS ${WORK}/bad-data)
  message(FATAL_ERROR "birnn train on a bad data file created its output folder")
endif()
# --limit 10 leaves no dev example (every 20th): refused before training, not scored as accuracy 0.
expect_failure("10 training, 0 dev" train ${task} --data ${SAMPLE} --limit 10 --epochs 1 --out ${WORK}/no-dev)
if(EXISTS ${WORK}/no-dev)
  message(FATAL_ERROR "birnn train with an empty dev split created its output folder")
endif()
# A knob out of range in a config file is an error naming the field (spam used to die of an internal error).
file(WRITE ${WORK}/negative.json "{\"task\": \"${task}\", \"data\": \"${SAMPLE}\", \"epochs\": 1, \"max_length\": -1}")
expect_failure("max_length" train --config ${WORK}/negative.json --out ${WORK}/negative)
file(REMOVE_RECURSE ${WORK})
