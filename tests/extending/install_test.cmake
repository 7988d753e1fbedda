# The path of docs/extending.md, as a new user takes it, against this build:
#   cmake --install <build> --prefix <tmp>/prefix
#   cmake -S examples/custom_kernel -B <tmp>/build -DCMAKE_PREFIX_PATH=<tmp>/prefix && cmake --build
#   bbc compile clipped_sum.onnxtxt            (a BB031 note, no error)
#   bbrun --plugin libclipped_sum_plugin.so    (runs; the totals are right)
#   bbrun --plugin … --list-ops                (the op, with the plugin as its origin)
#   clipped_sum_host clipped_sum.bb            (the kernel linked in instead)
# Run with cmake -P; every step is bounded in time.
set(work ${BB_WORK_DIR})
set(prefix ${work}/prefix)
file(REMOVE_RECURSE ${work})
file(MAKE_DIRECTORY ${work})

function(step name)
  cmake_parse_arguments(S "" "OUT;ERR;CODE" "COMMAND" ${ARGN})
  execute_process(COMMAND ${S_COMMAND} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 400)
  if(S_OUT)
    set(${S_OUT} "${out}" PARENT_SCOPE)
  endif()
  if(S_ERR)
    set(${S_ERR} "${err}" PARENT_SCOPE)
  endif()
  set(want 0)
  if(DEFINED S_CODE)
    set(want ${S_CODE})
  endif()
  if(NOT "${code}" STREQUAL "${want}")
    message(FATAL_ERROR "${name}: exit ${code}, expected ${want}\n--- stdout\n${out}\n--- stderr\n${err}")
  endif()
  message(STATUS "${name}: ok")
endfunction()

function(expect_match name text regex)
  if(NOT "${text}" MATCHES "${regex}")
    message(FATAL_ERROR "${name}: expected to match '${regex}' in:\n${text}")
  endif()
endfunction()

step("install" COMMAND ${CMAKE_COMMAND} --install ${BB_BINARY_DIR} --prefix ${prefix})

set(configure ${CMAKE_COMMAND} -S ${BB_EXAMPLE_DIR} -B ${work}/build -G ${BB_GENERATOR}
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=${BB_CXX_COMPILER})
if(BB_CXX_LAUNCHER)
  list(APPEND configure -DCMAKE_CXX_COMPILER_LAUNCHER=${BB_CXX_LAUNCHER})
endif()
if(BB_CXX_FLAGS)
  list(APPEND configure "-DCMAKE_CXX_FLAGS=${BB_CXX_FLAGS}")
endif()
if(BB_LINKER_FLAGS)
  list(APPEND configure "-DCMAKE_EXE_LINKER_FLAGS=${BB_LINKER_FLAGS}" "-DCMAKE_SHARED_LINKER_FLAGS=${BB_LINKER_FLAGS}")
endif()
step("configure the example" COMMAND ${configure})
step("build the example" COMMAND ${CMAKE_COMMAND} --build ${work}/build -j2)

set(bbc ${prefix}/bin/bbc)
set(bbrun ${prefix}/bin/bbrun)
set(plugin ${work}/build/libclipped_sum_plugin.so)
set(graph ${work}/clipped_sum.bb)

step("bbc compile" ERR compile_err
     COMMAND ${bbc} compile ${BB_EXAMPLE_DIR}/clipped_sum.onnxtxt -o ${graph} --ops ${BB_EXAMPLE_DIR}/ops.toml)
expect_match("bbc compile" "${compile_err}" "note BB031: 1 node uses ops of custom domains: com.example::ClippedSum \\(1 node\\)")
if("${compile_err}" MATCHES "error")
  message(FATAL_ERROR "bbc compile reported an error:\n${compile_err}")
endif()

step("bbrun --plugin" ERR run_err
     COMMAND ${bbrun} ${graph} --plugin ${plugin} --virtual-time --peer id:alice)
# factor 2.5 on {1, 2, 3}, clipped to 10: four executions.
expect_match("bbrun --plugin" "${run_err}" "total: [^\n]*2\\.5, 5, 7\\.5")
expect_match("bbrun --plugin" "${run_err}" "total: [^\n]*5, 10, 10")
expect_match("bbrun --plugin" "${run_err}" "total: [^\n]*7\\.5, 10, 10")
expect_match("bbrun --plugin" "${run_err}" "total: [^\n]*10, 10, 10")

step("bbrun --list-ops" OUT list_out COMMAND ${bbrun} --plugin ${plugin} --list-ops)
expect_match("bbrun --list-ops" "${list_out}" "com\\.example\tClippedSum\tcompute\t[^\n]*libclipped_sum_plugin\\.so\n")
expect_match("bbrun --list-ops" "${list_out}" "ai\\.bytesandbrains\\.syscall\tLog\teffect\tbuilt-in\n")

# Log writes through spdlog's default logger: stdout in a program of your own.
step("linked in" OUT host_out COMMAND ${work}/build/clipped_sum_host ${graph})
expect_match("linked in" "${host_out}" "total: [^\n]*5, 10, 10")
expect_match("linked in" "${host_out}" "total: [^\n]*10, 10, 10")
expect_match("linked in" "${host_out}" "executions done at t=300000000ns")

file(REMOVE_RECURSE ${work})
