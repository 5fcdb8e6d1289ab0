# Helpers shared by the CLI test scripts (included; CTest passes -DBIRNN=<path to birnn>).
#   run_ok(ARGS...)                    birnn ARGS must exit 0; leaves its stdout in `out`, its stderr in `err`
#   expect_failure(NEEDLE ARGS...)     birnn ARGS must exit 1 or 2 with NEEDLE (a regex) in its stderr
function(run_ok)
  execute_process(COMMAND ${BIRNN} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "birnn ${ARGN}: exit '${rc}'\nstdout: ${out}\nstderr: ${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
  set(err "${err}" PARENT_SCOPE)
endfunction()

function(expect_failure needle)
  execute_process(COMMAND ${BIRNN} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT (rc EQUAL 1 OR rc EQUAL 2) OR NOT err MATCHES "${needle}")
    message(FATAL_ERROR "birnn ${ARGN}: expected exit 1 or 2 and a message naming '${needle}', got '${rc}': ${err}")
  endif()
endfunction()
