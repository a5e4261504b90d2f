# xr_test(NAME SOURCES ... [LIBS ...] [LABELS ...] [ARGS ...] [TIMEOUT s])
# Declares a test in one line, after nng's cmake/NNGHelpers.cmake nng_test().
# Every test gets a label (unit, replay, sim, integration, emulators, ...).
function(xr_test NAME)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS;ARGS" ${ARGN})
  add_executable(${NAME} ${T_SOURCES})
  set_target_properties(${NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                        ${CMAKE_BINARY_DIR}/tests)
  target_link_libraries(${NAME} PRIVATE ${T_LIBS})
  target_include_directories(${NAME} PRIVATE ${CMAKE_SOURCE_DIR}/tests)
  add_test(NAME ${NAME} COMMAND ${NAME} ${T_ARGS})
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  set_tests_properties(${NAME} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
                       ENVIRONMENT "XROAD_SOURCE_DIR=${CMAKE_SOURCE_DIR};XROAD_BUILD_DIR=${CMAKE_BINARY_DIR}")
endfunction()

# xr_script_test(NAME COMMAND ... [LABELS ...] [TIMEOUT s]): a test that runs
# a script or binary already built elsewhere.
function(xr_script_test NAME)
  cmake_parse_arguments(T "" "TIMEOUT" "COMMAND;LABELS" ${ARGN})
  add_test(NAME ${NAME} COMMAND ${T_COMMAND})
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  set_tests_properties(${NAME} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
                       ENVIRONMENT "XROAD_SOURCE_DIR=${CMAKE_SOURCE_DIR};XROAD_BUILD_DIR=${CMAKE_BINARY_DIR}")
endfunction()
