# cmake -DBIN=... -DARGS="a;b" -DEXPECT=1 [-DMATCH=regex] -P expect_exit.cmake
# Runs BIN ARGS and passes only when the exit code is EXPECT (a crash or a signal never passes)
# and, when MATCH is given, the combined output matches it.
execute_process(COMMAND ${BIN} ${ARGS} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT "${rc}" STREQUAL "${EXPECT}")
  message(FATAL_ERROR "exit code ${rc}, expected ${EXPECT}")
endif()
if(DEFINED MATCH AND NOT "${out}${err}" MATCHES "${MATCH}")
  message(FATAL_ERROR "output does not match ${MATCH}")
endif()
