# Shared compile settings for project targets (never applied to generated code).
add_library(bb_warnings INTERFACE)
add_library(bb::warnings ALIAS bb_warnings)
target_compile_options(bb_warnings INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic>
  $<$<BOOL:${BB_WERROR}>:-Werror>)

# bb_library(NAME SOURCES... [DEPS ...]) — a project library with its warnings.
function(bb_add_warnings target)
  target_link_libraries(${target} PRIVATE bb_warnings)
endfunction()
