# Helpers shared by every component: one static library per component, thin binaries,
# uniform warnings and sanitizer flags, and tests registered with CTest labels.
include_guard(GLOBAL)

set(CALICO_WARNINGS -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wimplicit-fallthrough)

if(CALICO_SANITIZE)
  set(CALICO_SAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
      -fno-omit-frame-pointer)
  add_compile_options(${CALICO_SAN_FLAGS})
  add_link_options(${CALICO_SAN_FLAGS})
endif()

# calico_apply_flags(target [STRICT]): STRICT adds -Wconversion for byte/prefix arithmetic.
function(calico_apply_flags target)
  cmake_parse_arguments(ARG "STRICT" "" "" ${ARGN})
  target_compile_options(${target} PRIVATE ${CALICO_WARNINGS})
  if(ARG_STRICT)
    target_compile_options(${target} PRIVATE -Wconversion -Wsign-conversion)
  endif()
endfunction()

# calico_add_library(NAME SOURCES ... [DEPS ...] [STRICT]) -> static library calico_NAME
# with alias calico::NAME. Include paths are repo-relative ("api/resources.h").
function(calico_add_library name)
  cmake_parse_arguments(ARG "STRICT" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(calico_${name} STATIC ${ARG_SOURCES})
  add_library(calico::${name} ALIAS calico_${name})
  target_include_directories(calico_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(calico_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  if(ARG_STRICT)
    calico_apply_flags(calico_${name} STRICT)
  else()
    calico_apply_flags(calico_${name})
  endif()
endfunction()

# calico_add_executable(NAME SOURCES ... DEPS ...): a thin binary.
function(calico_add_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  calico_apply_flags(${name})
endfunction()

# calico_add_test(NAME SOURCES ... DEPS ... KIND unit|integration|interop|fuzz [TIMEOUT s])
# One gtest binary per component and kind; every case is registered separately with
# gtest_discover_tests and carries the KIND as a CTest label.  Integration and interop
# tests need root (netns, etcd, kernel routes) and are labelled "root" as well.
function(calico_add_test name)
  cmake_parse_arguments(ARG "" "KIND;TIMEOUT" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_KIND)
    message(FATAL_ERROR "calico_add_test(${name}): KIND is required")
  endif()
  if(NOT ARG_TIMEOUT)
    if(ARG_KIND STREQUAL "unit")
      set(ARG_TIMEOUT 60)
    else()
      set(ARG_TIMEOUT 300)
    endif()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  calico_apply_flags(${name})
  set(labels ${ARG_KIND})
  if(NOT ARG_KIND STREQUAL "unit")
    list(APPEND labels root)
  endif()
  include(GoogleTest)
  # A GTEST_SKIP()ped test is reported by CTest as skipped ("Not Run"), never as passed.
  gtest_discover_tests(${name}
    PROPERTIES LABELS "${labels}" TIMEOUT ${ARG_TIMEOUT}
      SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]"
    DISCOVERY_TIMEOUT 60)
endfunction()
