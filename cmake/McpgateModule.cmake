# mcpgate_module(NAME x SOURCES ... DEPS ...): a static library mcpgate_x from src/x, and its unit
# test executable mcpgate_x_tests from src/x/*_test.cpp (when there are any).
function(mcpgate_module)
  cmake_parse_arguments(M "" "NAME" "SOURCES;DEPS" ${ARGN})
  if(NOT M_SOURCES)
    # Default: every .cpp of the folder that is not a test.
    file(GLOB M_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
    list(FILTER M_SOURCES EXCLUDE REGEX "(_test|/main)\\.cpp$")
  endif()
  if(M_SOURCES)
    add_library(mcpgate_${M_NAME} STATIC ${M_SOURCES})
    target_link_libraries(mcpgate_${M_NAME} PUBLIC mcpgate_flags ${M_DEPS})
  else()
    # A header-only module (so far).
    add_library(mcpgate_${M_NAME} INTERFACE)
    target_link_libraries(mcpgate_${M_NAME} INTERFACE mcpgate_flags ${M_DEPS})
  endif()
  file(GLOB _tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cpp)
  if(_tests AND MCPGATE_BUILD_TESTS)
    add_executable(mcpgate_${M_NAME}_tests ${_tests})
    target_link_libraries(mcpgate_${M_NAME}_tests PRIVATE mcpgate_${M_NAME} GTest::gtest GTest::gmock GTest::gtest_main)
    # One ctest entry per module binary, all of its tests in one process: a process per test
    # (gtest_discover_tests) started the large ASan binaries ~1 100 times, which was most of the
    # unit tests' time in CI (the OAuth binary: ~375 s as 150 processes, 47 s as one).
    # `ctest -R mcpgate_oauth_tests` runs one module; `--gtest_filter` narrows further.
    add_test(NAME mcpgate_${M_NAME}_tests COMMAND mcpgate_${M_NAME}_tests
             WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties(mcpgate_${M_NAME}_tests PROPERTIES LABELS unit)
  endif()
endfunction()
