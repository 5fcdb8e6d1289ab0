# The shared check of a classification/tagging task through the CLI, included by task_pos.cmake and
# task_spam.cmake after they set: task, eval_pattern (what `birnn eval` prints), predict_input and
# predict_pattern (a line in, the expected shape of its prediction), bad_file and bad_content (a data
# file whose line 2 is malformed). A tiny run writes last, best, metrics.jsonl and test.json; eval,
# predict and info read it back; a bad flag and a bad data file exit non-zero with a message naming the
# file, and create no output folder. CTest passes -DBIRNN=<birnn> -DSAMPLE=<sample file> -DWORK=<scratch>.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(out ${WORK}/run)

function(run_ok)
  execute_process(COMMAND ${BIRNN} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "birnn ${ARGN}: exit '${rc}'\nstdout: ${stdout}\nstderr: ${stderr}")
  endif()
  set(stdout "${stdout}" PARENT_SCOPE)
endfunction()

function(run_fails expected)
  execute_process(COMMAND ${BIRNN} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
  if(NOT (rc EQUAL 1 OR rc EQUAL 2) OR NOT stderr MATCHES "${expected}")
    message(FATAL_ERROR "birnn ${ARGN}: expected exit 1 or 2 and '${expected}' in stderr, got '${rc}': ${stderr}")
  endif()
endfunction()

run_ok(train ${task} --data ${SAMPLE} --epochs 2 --limit 24 --hidden 8 --embedding 8 --batch 4 --threads 1 --out ${out})
foreach(f last.json best.json metrics.jsonl test.json)
  file(GLOB found "${out}/${f}*")
  if(NOT EXISTS ${out}/${f} AND NOT found)
    message(FATAL_ERROR "birnn train ${task} did not write ${out}/${f}")
  endif()
endforeach()
file(STRINGS ${out}/metrics.jsonl lines)
list(LENGTH lines n)
if(NOT n EQUAL 2)
  message(FATAL_ERROR "metrics.jsonl: expected 2 lines (one per epoch), got ${n}")
endif()

run_ok(eval ${out}/best --threads 1)
if(NOT stdout MATCHES "${eval_pattern}")
  message(FATAL_ERROR "birnn eval: unexpected output: ${stdout}")
endif()
file(WRITE ${WORK}/input.txt "${predict_input}")
run_ok(predict ${out}/best ${WORK}/input.txt --threads 1)
if(NOT stdout MATCHES "${predict_pattern}")
  message(FATAL_ERROR "birnn predict: unexpected output: ${stdout}")
endif()
run_ok(info ${out}/best)

run_fails("bogus" train ${task} --data ${SAMPLE} --bogus 3 --out ${WORK}/bad-flag)
file(WRITE ${WORK}/${bad_file} "${bad_content}")
run_fails("${bad_file}:2" train ${task} --data ${WORK}/${bad_file} --epochs 1 --out ${WORK}/bad-data)
if(EXISTS ${WORK}/bad-data)
  message(FATAL_ERROR "birnn train on a bad data file created its output folder")
endif()
file(REMOVE_RECURSE ${WORK})
