# Project-wide compile settings, as one INTERFACE target every module links.
add_library(mcpgate_flags INTERFACE)
target_compile_features(mcpgate_flags INTERFACE cxx_std_20)
target_compile_options(mcpgate_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual -Wimplicit-fallthrough
  # GCC 12 reports a false positive on every asio::awaitable frame (operator delete mismatch).
  $<$<CXX_COMPILER_ID:GNU>:-Wno-mismatched-new-delete>)
if(MCPGATE_UNITY)
  # g++ warns when a class in an included file has a member of an anonymous-namespace type (or a
  # coroutine frame holding one): right for headers, wrong for the .cpp files a unity batch
  # includes, whose anonymous namespace is the batch's own.
  target_compile_options(mcpgate_flags INTERFACE $<$<CXX_COMPILER_ID:GNU>:-Wno-subobject-linkage>)
endif()
if(MCPGATE_WERROR)
  target_compile_options(mcpgate_flags INTERFACE -Werror)
endif()
target_compile_definitions(mcpgate_flags INTERFACE
  BOOST_ASIO_NO_DEPRECATED
  BOOST_BEAST_USE_STD_STRING_VIEW
  # clang 14 + libstdc++: Boost 1.74 only detects coroutines through libc++'s <experimental/coroutine>.
  $<$<CXX_COMPILER_ID:Clang>:BOOST_ASIO_HAS_CO_AWAIT BOOST_ASIO_HAS_STD_COROUTINE>)
target_include_directories(mcpgate_flags INTERFACE ${PROJECT_SOURCE_DIR}/src)

if(MCPGATE_SANITIZE)
  set(_san -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # clang 14: -fsanitize=function breaks coroutine code generation.
    list(APPEND _san -fno-sanitize=function)
  endif()
  target_compile_options(mcpgate_flags INTERFACE ${_san})
  target_link_options(mcpgate_flags INTERFACE ${_san})
endif()

if(MCPGATE_FUZZ)
  # Instrument all project code, not only the fuzzer entry points, or coverage stays near zero.
  target_compile_options(mcpgate_flags INTERFACE -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=function)
  target_link_options(mcpgate_flags INTERFACE -fsanitize=address,undefined)
endif()
