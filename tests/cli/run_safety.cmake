# What a training run must never lose, and the argument mistakes that must stop before any work (the births
# task on the committed CSV: seconds). Invoked by CTest with -DBIRNN=<birnn> -DDATA=<tests/data> -DWORK=<scratch>.
include(${CMAKE_CURRENT_LIST_DIR}/cli_checks.cmake)
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(run ${WORK}/run)
set(tiny --data ${DATA}/generic/births.csv --epochs 1 --limit 60 --hidden 4 --layers 1 --max-length 14 --batch 16 --threads 1)

run_ok(train births ${tiny} --out ${run})
file(SHA256 ${run}/best.safetensors best_before)

# A second run into the same folder would replace the first run's best checkpoint: refused, nothing touched.
expect_failure("--resume.*--overwrite" train births ${tiny} --out ${run})
file(SHA256 ${run}/best.safetensors best_after)
if(NOT best_before STREQUAL best_after)
  message(FATAL_ERROR "a refused run changed ${run}/best.safetensors")
endif()
run_ok(train births ${tiny} --hidden 6 --out ${run} --overwrite)  # a flag given again: the last value wins
file(STRINGS ${run}/metrics.jsonl lines)
list(LENGTH lines n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "--overwrite kept the old metrics.jsonl lines: ${n} lines")
endif()

# --resume: nothing to continue, or other model flags than the run's: a message naming it, no folder made.
expect_failure("nothing to continue" train births ${tiny} --out ${WORK}/none --resume)
if(EXISTS ${WORK}/none)
  message(FATAL_ERROR "train --resume on a missing run created its folder")
endif()
expect_failure("--hidden 6" train births ${tiny} --hidden 8 --epochs 2 --out ${run} --resume)
expect_failure("contradict" train births ${tiny} --out ${run} --resume --overwrite)
# A hand-edited best.json whose dev_score is not a finite number (NaN would never be beaten): refused by name.
file(READ ${run}/best.json sidecar)
foreach(score abc nan 1e999)
  string(REGEX REPLACE "\"dev_score\": *\"[^\"]*\"" "\"dev_score\": \"${score}\"" edited "${sidecar}")
  file(WRITE ${run}/best.json "${edited}")
  expect_failure("dev_score" train births ${tiny} --hidden 6 --epochs 2 --out ${run} --resume)
endforeach()
file(WRITE ${run}/best.json "${sidecar}")

# --out that cannot be a folder; a value forgotten before the next flag.
file(WRITE ${WORK}/afile "x")
expect_failure("not a folder" train births ${tiny} --out ${WORK}/afile)
expect_failure("not a folder" train births ${tiny} --out ${WORK}/afile/sub)
expect_failure("empty" train births ${tiny} --out=)
expect_failure("--out needs a value" train births ${tiny} --out --resume)
expect_failure("not a folder" compare adding --quick --out ${WORK}/afile)
expect_failure("--optimizer" train births ${tiny} --optimizer foo --out ${WORK}/opt)
if(EXISTS ${WORK}/opt)
  message(FATAL_ERROR "train --optimizer foo created its output folder")
endif()

# --config values get the flags' ranges; whole numbers only in integer fields; a folder is not a file.
foreach(bad "\"max_length\": -1" "\"epochs\": 1e20" "\"hidden\": 5.5" "\"layers\": 1000" "\"lr\": -1")
  file(WRITE ${WORK}/bad.json "{\"task\": \"births\", ${bad}}")
  string(REGEX MATCH "[a-z_]+" field "${bad}")
  expect_failure("${field}" train --config ${WORK}/bad.json --data ${DATA}/generic/births.csv --out ${WORK}/cfg)
endforeach()
expect_failure("folder" train --config ${WORK} --out ${WORK}/cfg)
if(EXISTS ${WORK}/cfg)
  message(FATAL_ERROR "train with a bad --config created its output folder")
endif()

# predict: a folder as input, and output that cannot be written (a full disk), are errors, not exit 0.
expect_failure("folder" predict ${run}/best ${WORK})
file(WRITE ${WORK}/series.txt "1 2 3 4 5 6 7 8 9 10 11 12 13 14\n")
execute_process(COMMAND ${BIRNN} predict ${run}/best ${WORK}/series.txt RESULT_VARIABLE rc OUTPUT_FILE /dev/full
                ERROR_VARIABLE err)
if(NOT rc EQUAL 1 OR NOT err MATCHES "standard output")
  message(FATAL_ERROR "predict into a full disk: expected exit 1 naming standard output, got '${rc}': ${err}")
endif()
file(REMOVE_RECURSE ${WORK})
