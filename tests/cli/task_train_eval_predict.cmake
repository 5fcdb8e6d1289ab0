# The shared check of a classification/tagging task through the CLI, included by task_pos.cmake and
# task_spam.cmake after they set: task, eval_pattern (what `birnn eval` prints), predict_input and
# predict_pattern (a line in, the expected shape of its prediction), bad_file and bad_content (a data
# file whose line 2 is malformed). A tiny run writes last, best, metrics.jsonl and test.json; eval,
# predict (fp32 and bf16) and info read it back; a bad flag and a bad data file exit non-zero with a message naming the
# file, and create no output folder. CTest passes -DBIRNN=<birnn> -DSAMPLE=<sample file> -DWORK=<scratch>.
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

expect_failure("bogus" train ${task} --data ${SAMPLE} --bogus 3 --out ${WORK}/bad-flag)
file(WRITE ${WORK}/${bad_file} "${bad_content}")
expect_failure("${bad_file}:2" train ${task} --data ${WORK}/${bad_file} --epochs 1 --out ${WORK}/bad-data)
if(EXISTS ${WORK}/bad-data)
  message(FATAL_ERROR "birnn train on a bad data file created its output folder")
endif()
file(REMOVE_RECURSE ${WORK})
