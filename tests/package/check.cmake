# Installs the birnn build into a private prefix, then configures, builds and runs tests/package
# against it with find_package(birnn). Invoked by CTest with -DBUILD_DIR=... -DSOURCE_DIR=...
set(prefix ${BUILD_DIR}/package_test/install)
file(REMOVE_RECURSE ${BUILD_DIR}/package_test)
foreach(step
    "${CMAKE_COMMAND};--install;${BUILD_DIR};--prefix;${prefix}"
    "${CMAKE_COMMAND};-S;${SOURCE_DIR}/tests/package;-B;${BUILD_DIR}/package_test/build;-DCMAKE_PREFIX_PATH=${prefix}"
    "${CMAKE_COMMAND};--build;${BUILD_DIR}/package_test/build"
    "${BUILD_DIR}/package_test/build/consumer")
  execute_process(COMMAND ${step} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "step failed (${rc}): ${step}\n${out}\n${err}")
  endif()
endforeach()
message(STATUS "consumer printed: ${out}")
